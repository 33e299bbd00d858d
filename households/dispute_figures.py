"""What open disputes say about the service (issue 17.3): by age, by cause, and the amount
they hold up, per office and for the region. One function feeds the Disputes page, the
Monday pack and the director's regional view.

A dispute is *open* at a moment when it was recorded by then and its written answer was not
yet delivered (households.disputes: collection on what it disputes is paused until then).

- Age: whole days from the local day it was recorded to the local day of the moment:
  under 7 days (0–6), 7–14, 15–30, over 30 (31 and more).
- Cause: a service dispute's cause (漏水未修, 配套设施不完善, …); a dispute of some months is
  "months", one of an amount the owner says was paid "amount".
- Amount held up: the balance (due − paid) of the months it names; a dispute naming no months
  holds up its case's balance when it is about the service, and the amount disputed (never
  more than the case's balance) when it is about an amount. An office's (and the region's)
  total counts each household's months once, however many disputes name them, and never more
  than the case owes; the figures by age and cause add each dispute's own amount.
  Balances are the ledger's as it stands when the figures are made.
- A work order is overdue when its due date is before the moment's local day, the
  department has not reported it done by then, and the dispute is still open.

Two queries for any number of disputes (the open disputes with their household, office, case
and work order; the months they name with their balances), whatever the number of offices.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.money import ZERO
from households.models import Dispute, DisputeCause, DisputeEvent, DisputeKind

# (key, label, first day, last day or None): ages in whole days.
AGES = (
    ("under_7", _("under 7 days"), 0, 6),
    ("7_14", _("7–14 days"), 7, 14),
    ("15_30", _("15–30 days"), 15, 30),
    ("over_30", _("over 30 days"), 31, None),
)
AGE_KEYS = tuple(key for key, *_rest in AGES)
MONTHS, AMOUNT = DisputeKind.MONTHS.value, DisputeKind.AMOUNT.value
CAUSE_KEYS = (*DisputeCause.values, MONTHS, AMOUNT)


def age_label(key: str) -> str:
    return next(str(label) for k, label, *_rest in AGES if k == key)


def cause_label(key: str) -> str:
    if key == MONTHS:
        return str(_("months disputed"))
    if key == AMOUNT:
        return str(_("amount said to be paid"))
    return str(DisputeCause(key).label)


def age_key(days: int) -> str:
    for key, _label, first, last in AGES:
        if days >= first and (last is None or days <= last):
            return key
    return AGE_KEYS[0]  # recorded "after" the moment's day: cannot be, as open means recorded


def cause_of(dispute: Dispute) -> str:
    return dispute.cause if dispute.kind == DisputeKind.SERVICE and dispute.cause else dispute.kind


def age_bounds(key: str, at: datetime.datetime) -> Q:
    """The disputes recorded on the local days of age bucket `key` at `at` (for a list)."""
    _k, _label, first, last = next(a for a in AGES if a[0] == key)
    today = timezone.localdate(at)

    def midnight(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    q = Q(recorded_at__lt=midnight(today - datetime.timedelta(days=first - 1)))
    if last is not None:
        q &= Q(recorded_at__gte=midnight(today - datetime.timedelta(days=last)))
    return q


def open_at(disputes: QuerySet, at: datetime.datetime) -> QuerySet:
    """`disputes` narrowed to those open at `at`: recorded, written answer not delivered."""
    answered = DisputeEvent.objects.filter(
        dispute=OuterRef("pk"),
        kind=DisputeEvent.Kind.ANSWER_DELIVERED,
        happened_at__lte=at,
    )
    return disputes.filter(recorded_at__lte=at).exclude(Exists(answered))


@dataclass(frozen=True)
class OpenDispute:
    dispute: Dispute  # with household (its office), case and work order loaded
    age_days: int
    age: str  # a key of AGES
    cause: str  # a key of CAUSE_KEYS
    held: Decimal
    whole_debt: bool
    months: tuple[tuple[datetime.date, Decimal], ...]  # (month, balance) it names
    overdue_days: int  # days its work order is overdue; 0 if none or not overdue

    @property
    def office(self):
        return self.dispute.household.office

    @property
    def work_order(self):
        return getattr(self.dispute, "work_order", None)

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def open_disputes(disputes: QuerySet, *, at: datetime.datetime | None = None) -> list[OpenDispute]:
    """The disputes of `disputes` open at `at`, oldest first, each with its age, cause and
    the amount it holds up (two queries)."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    rows = list(
        open_at(disputes, at)
        .select_related("household__office", "case", "work_order")
        .annotate(
            work_done=Exists(
                DisputeEvent.objects.filter(
                    dispute=OuterRef("pk"),
                    kind=DisputeEvent.Kind.WORK_DONE,
                    happened_at__lte=at,
                )
            )
        )
        .order_by("recorded_at", "pk")
    )
    if not rows:
        return []
    named: dict[int, list] = defaultdict(list)
    for dispute_id, month, due, paid in (
        Dispute.months.through.objects.filter(dispute_id__in=[d.pk for d in rows])
        .order_by("debtperiod__month")
        .values_list("dispute_id", "debtperiod__month", "debtperiod__amount_due",
                     "debtperiod__amount_paid")
    ):  # fmt: skip
        named[dispute_id].append((month, max(due - paid, ZERO)))
    result = []
    for dispute in rows:
        months = tuple(named.get(dispute.pk, ()))
        balance = max(dispute.case.balance, ZERO)
        whole = False
        if months:
            held = sum((owed for _m, owed in months), ZERO)
        elif dispute.kind == DisputeKind.AMOUNT and dispute.amount is not None:
            held = min(dispute.amount, balance)
            whole = dispute.amount >= balance
        else:  # the service, naming no months: the whole debt
            held, whole = balance, True
        days = (today - timezone.localdate(dispute.recorded_at)).days
        order = getattr(dispute, "work_order", None)
        late = order is not None and not dispute.work_done
        overdue = (today - order.due_date).days if late else 0
        result.append(
            OpenDispute(
                dispute=dispute,
                age_days=days,
                age=age_key(days),
                cause=cause_of(dispute),
                held=held,
                whole_debt=whole,
                months=months,
                overdue_days=max(overdue, 0),
            )
        )
    return result


@dataclass
class Tally:
    count: int = 0
    held: Decimal = ZERO

    def add(self, count: int, held: Decimal) -> None:
        self.count += count
        self.held += held


@dataclass
class OfficeDisputes:
    """One office's open disputes (or the region's, as the sum of its offices)."""

    office_id: int | None
    name: str
    code: str = ""
    ages: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in AGE_KEYS})
    causes: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in CAUSE_KEYS})
    open: int = 0
    held: Decimal = ZERO  # each household's months once
    orders_overdue: int = 0

    def add(self, other: OfficeDisputes) -> None:
        for key, tally in other.ages.items():
            self.ages[key].add(tally.count, tally.held)
        for key, tally in other.causes.items():
            self.causes[key].add(tally.count, tally.held)
        self.open += other.open
        self.held += other.held
        self.orders_overdue += other.orders_overdue

    def as_data(self) -> dict:
        """Plain data for a stored summary (the Monday pack)."""
        return {
            "office": self.name,
            "office_id": self.office_id,
            "open": self.open,
            "held": self.held,
            "orders_overdue": self.orders_overdue,
            "ages": {k: {"count": t.count, "held": t.held} for k, t in self.ages.items()},
            "causes": {k: {"count": t.count, "held": t.held} for k, t in self.causes.items()},
        }


def _households_held(rows: Iterable[OpenDispute]) -> Decimal:
    """What a set of disputes holds up, each household's months counted once and never more
    than its case's balance."""
    per_household: dict[int, dict] = {}
    for row in rows:
        d = row.dispute
        h = per_household.setdefault(
            d.household_id, {"whole": False, "months": {}, "amounts": ZERO, "balance": ZERO}
        )
        h["balance"] = max(h["balance"], max(d.case.balance, ZERO))
        if row.whole_debt:
            h["whole"] = True
        elif row.months:
            h["months"].update(dict(row.months))
        else:
            h["amounts"] += row.held
    total = ZERO
    for h in per_household.values():
        if h["whole"]:
            total += h["balance"]
        else:
            total += min(sum(h["months"].values(), ZERO) + h["amounts"], h["balance"])
    return total


@dataclass
class DisputeFigures:
    offices: list[OfficeDisputes]  # one per office asked for, in their order
    total: OfficeDisputes  # the sum of the offices
    rows: list[OpenDispute]  # every open dispute, oldest first

    @property
    def causes_seen(self) -> list[str]:
        """The causes with at least one open dispute, the service's first."""
        return [k for k in CAUSE_KEYS if self.total.causes[k].count]


def dispute_figures(
    disputes: QuerySet, *, offices: Iterable, at: datetime.datetime | None = None
) -> DisputeFigures:
    """The open disputes of `disputes` at `at`, tallied per office of `offices` (objects with
    pk, name and code; an office with none gets a row of zeros) and in total. Disputes of an
    office not in `offices` are left out. Two queries."""
    offices = list(offices)
    rows = open_disputes(disputes, at=at)
    per_office = {o.pk: OfficeDisputes(o.pk, o.name, getattr(o, "code", "")) for o in offices}
    mine: dict[int, list[OpenDispute]] = defaultdict(list)
    for row in rows:
        figures = per_office.get(row.dispute.household.office_id)
        if figures is None:
            continue
        mine[figures.office_id].append(row)
        figures.open += 1
        figures.ages[row.age].add(1, row.held)
        figures.causes[row.cause].add(1, row.held)
        figures.orders_overdue += row.overdue
    for office_id, figures in per_office.items():
        figures.held = _households_held(mine.get(office_id, ()))
    total = OfficeDisputes(None, "")
    for figures in per_office.values():
        total.add(figures)
    kept = [r for r in rows if r.dispute.household.office_id in per_office]
    return DisputeFigures(offices=list(per_office.values()), total=total, rows=kept)


def _money(value) -> Decimal:
    return Decimal(str(value or 0))


def totals_of(rows: list[dict]) -> dict:
    """The sum of several offices' `OfficeDisputes.as_data()` (a region's pack), with the
    causes that have an open dispute (`causes_seen`). Reads stored data too: amounts may be
    strings once a summary is stored."""
    total = OfficeDisputes(None, "")
    for row in rows:
        total.open += row["open"]
        total.held += _money(row["held"])
        total.orders_overdue += row["orders_overdue"]
        for key, tally in row["ages"].items():
            if key in total.ages:
                total.ages[key].add(tally["count"], _money(tally["held"]))
        for key, tally in row["causes"].items():
            if key in total.causes:
                total.causes[key].add(tally["count"], _money(tally["held"]))
    data = total.as_data()
    data["causes_seen"] = [k for k in CAUSE_KEYS if total.causes[k].count]
    return data
