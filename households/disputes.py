"""Disputes: what the owner disputes pauses collection contact on it (issue 17.2).

A dispute names some months, an amount the owner says was paid, or the service (a cause from
DisputeCause). From the moment it is recorded until the office's written answer is delivered,
collection calls, messages and visits about the disputed months stop: when every unpaid month
of the household is under an open dispute (a service dispute that names no months, or an
amount dispute for the whole balance, covers them all), the contact policy refuses them as a
breach (households.contact_policy, rule `disputed`). A dispute never restarts the limitation
clock: it is not a demand, nor the owner agreeing to pay.

Nothing is edited: the answer, the resolution (upheld, rejected with the reason, settled) and
any correction are DisputeEvents. `pause_since` is a plain function over `DisputeFacts`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.ledger import ledger_ranges
from arrears.messages import Message
from arrears.models import DebtPeriod, Notification
from arrears.money import ZERO
from arrears.notifications import notify, office_managers
from households.evidence import validate_evidence
from households.models import (
    Department,
    Dispute,
    DisputeCause,
    DisputeEvent,
    DisputeKind,
    DisputeRoute,
    DisputeSource,
    DisputeWorkOrder,
)

OPEN = "open"
ANSWERED = "answered"
RESOLVED = "resolved"
# Where a service complaint goes, and how many days the department has, when the office has
# no DisputeRoute of its own for the cause (an office manager or the administrator sets those).
DEFAULT_ROUTES = {
    DisputeCause.LEAK_UNREPAIRED: (Department.ENGINEERING, 7),
    DisputeCause.FACILITIES: (Department.ENGINEERING, 7),
    DisputeCause.PROPERTY_DEFECT: (Department.ENGINEERING, 7),
    DisputeCause.SECURITY: (Department.SECURITY, 7),
    DisputeCause.CLEANING: (Department.CLEANING, 7),
    DisputeCause.RENOVATION: (Department.CUSTOMER_SERVICE, 7),
    DisputeCause.OTHER: (Department.CUSTOMER_SERVICE, 7),
}
RESOLUTIONS = frozenset(
    {DisputeEvent.Kind.UPHELD, DisputeEvent.Kind.REJECTED, DisputeEvent.Kind.SETTLED}
)


# --- The pause rule: plain data, no database ----------------------------------------------


@dataclass(frozen=True)
class DisputeFacts:
    recorded_at: datetime.datetime
    answered_at: datetime.datetime | None  # the written answer delivered; None while open
    months: frozenset[datetime.date] = frozenset()
    whole_debt: bool = False  # a service dispute naming no months, an amount for it all

    def open_at(self, at: datetime.datetime) -> bool:
        return self.recorded_at <= at and (self.answered_at is None or at < self.answered_at)


def pause_since(
    disputes: Iterable[DisputeFacts], unpaid_months: Iterable[datetime.date], at
) -> datetime.datetime | None:
    """The moment from which every unpaid month is under a dispute open at `at`, or None.

    Disputes are taken in the order they were recorded; the pause starts with the one that
    completes the cover (a whole-debt dispute completes it alone). With no unpaid month there
    is nothing to collect and nothing to pause.
    """
    unpaid = set(unpaid_months)
    if not unpaid:
        return None
    covered: set[datetime.date] = set()
    for facts in sorted((d for d in disputes if d.open_at(at)), key=lambda d: d.recorded_at):
        if facts.whole_debt:
            return facts.recorded_at
        covered |= facts.months
        if unpaid <= covered:
            return facts.recorded_at
    return None


# --- Reading ------------------------------------------------------------------------------


def status(dispute: Dispute) -> str:
    """open → answered (written answer delivered) → resolved; from its events."""
    kinds = {e.kind for e in dispute.events.all()}
    if kinds & RESOLUTIONS:
        return RESOLVED
    if DisputeEvent.Kind.ANSWER_DELIVERED in kinds:
        return ANSWERED
    return OPEN


def answered_at(dispute: Dispute) -> datetime.datetime | None:
    times = [
        e.happened_at for e in dispute.events.all() if e.kind == DisputeEvent.Kind.ANSWER_DELIVERED
    ]
    return min(times) if times else None


def _with_events(qs):
    return qs.prefetch_related(
        Prefetch("events", queryset=DisputeEvent.objects.order_by("happened_at", "pk")),
        Prefetch("months", queryset=DebtPeriod.objects.order_by("month")),
    )


def facts_of(dispute: Dispute, balance: Decimal | None = None) -> DisputeFacts:
    months = frozenset(p.month for p in dispute.months.all())
    whole = not months and (
        dispute.kind == DisputeKind.SERVICE
        or (
            dispute.kind == DisputeKind.AMOUNT
            and balance is not None
            and dispute.amount is not None
            and dispute.amount >= balance
        )
    )
    return DisputeFacts(
        recorded_at=dispute.recorded_at,
        answered_at=answered_at(dispute),
        months=months,
        whole_debt=whole,
    )


def _loaded(household_ids: Iterable[int], at) -> tuple[dict[int, list], dict[int, list]]:
    """The households' disputes recorded by `at` (with events and months) and their unpaid
    months as (month, due, paid), each by household id: three queries, or one if none."""
    disputes = list(
        _with_events(
            Dispute.objects.filter(household_id__in=set(household_ids), recorded_at__lte=at)
        )
    )
    if not disputes:
        return {}, {}
    by_household: dict[int, list] = {}
    for dispute in disputes:
        by_household.setdefault(dispute.household_id, []).append(dispute)
    unpaid: dict[int, list] = {}
    for hid, month, due, paid in DebtPeriod.objects.filter(
        household_id__in=set(by_household), amount_paid__lt=F("amount_due")
    ).values_list("household_id", "month", "amount_due", "amount_paid"):
        unpaid.setdefault(hid, []).append((month, due, paid))
    return by_household, unpaid


def _facts(disputes: list, unpaid: list) -> list[DisputeFacts]:
    balance = sum((due - paid for _m, due, paid in unpaid), ZERO)
    return [facts_of(d, balance) for d in disputes]


def household_pauses(household_ids: Iterable[int], at) -> dict[int, datetime.datetime]:
    """household id → since when collection contact is paused at `at` (paused ones only).
    Three queries for any number of households."""
    by_household, unpaid = _loaded(household_ids, at)
    found = {}
    for hid, rows in by_household.items():
        months = unpaid.get(hid, [])
        since = pause_since(_facts(rows, months), [m for m, _d, _p in months], at)
        if since is not None:
            found[hid] = since
    return found


ALL_MONTHS = object()  # a whole-debt dispute: every unpaid month is under review


def _open_months(facts: Iterable[DisputeFacts], at):
    months: set = set()
    for fact in facts:
        if not fact.open_at(at):
            continue
        if fact.whole_debt:
            return ALL_MONTHS
        months |= fact.months
    return months


def disputed_months(household_id: int, at):
    """The months under a dispute open at `at` (a set of first days), or ALL_MONTHS when a
    whole-debt dispute is open: letters leave them out and say they are under review."""
    by_household, unpaid = _loaded([household_id], at)
    rows = by_household.get(household_id, [])
    return _open_months(_facts(rows, unpaid.get(household_id, [])), at)


def paused_month_ranges(household_id: int, at) -> list | None:
    """What a collector must not ask for at `at`: the unpaid months under an open dispute as
    ranges with their balances ([] when none), or None when a whole-debt dispute pauses
    everything (the contact policy then refuses collection contact outright)."""
    by_household, unpaid = _loaded([household_id], at)
    rows, owed = by_household.get(household_id, []), unpaid.get(household_id, [])
    months = _open_months(_facts(rows, owed), at)
    if months is ALL_MONTHS:
        return None
    return ledger_ranges(row for row in owed if row[0] in months)


def household_pause(household_id: int, at) -> datetime.datetime | None:
    return household_pauses([household_id], at).get(household_id)


def open_disputes(case) -> list[Dispute]:
    """The household's disputes not yet resolved, newest first (the case page shows them
    above the timeline)."""
    rows = _with_events(
        Dispute.objects.filter(household_id=case.household_id).select_related(
            "recorded_by", "work_order"
        )
    )
    return [d for d in rows if status(d) != RESOLVED]


def month_ranges_of(dispute: Dispute) -> list:
    """The months a dispute names, as ranges with what is due and paid on them."""
    return ledger_ranges((p.month, p.amount_due, p.amount_paid) for p in dispute.months.all())


def dispute_rows(case) -> list[dict]:
    """The case page's open disputes, newest first: what, since when, the owner's words and
    where it stands (three queries)."""
    rows = []
    for dispute in open_disputes(case):
        rows.append(
            {
                "dispute": dispute,
                "state": status(dispute),
                "months": month_ranges_of(dispute),
                "answered_at": answered_at(dispute),
                "work_order": getattr(dispute, "work_order", None),
            }
        )
    return rows


# --- Routing: where a service complaint goes ----------------------------------------------


def route_for(office_id: int, cause: str) -> tuple[str, int]:
    """(department, days to fix) for a service complaint of `cause` in the office: its own
    DisputeRoute, else the default."""
    row = (
        DisputeRoute.objects.filter(office_id=office_id, cause=cause)
        .values_list("department", "days")
        .first()
    )
    return tuple(row) if row else DEFAULT_ROUTES[cause]


def office_routes(office_id: int) -> list[dict]:
    """Every cause with where it goes in the office and whether that is the office's own
    setting or the default (one query)."""
    own = {r.cause: r for r in DisputeRoute.objects.filter(office_id=office_id)}
    rows = []
    for cause in DisputeCause:
        department, days = DEFAULT_ROUTES[cause]
        row = own.get(cause.value)
        rows.append(
            {
                "cause": cause,
                "department": Department(row.department if row else department),
                "days": row.days if row else days,
                "own": row is not None,
            }
        )
    return rows


def office_routes_save(*, office_id: int, routes: dict, by) -> int:
    """Set where the office's service complaints go: `routes` maps a cause to (department,
    days). A cause set back to the default keeps its row (with its history), set to the
    default. Returns how many causes changed."""
    changed = 0
    current = {r["cause"].value: r for r in office_routes(office_id)}
    for cause, (department, days) in routes.items():
        if cause not in DisputeCause.values or department not in Department.values:
            raise _error("routes", _("Choose a department for each cause."), "department")
        if not 1 <= int(days) <= 90:
            raise _error("routes", _("Give each department between 1 and 90 days."), "days")
        row = current[cause]
        if (row["department"].value, row["days"]) == (department, int(days)):
            continue
        route = DisputeRoute.objects.filter(office_id=office_id, cause=cause).first()
        route = route or DisputeRoute(office_id=office_id, cause=cause)
        route.department, route.days = department, int(days)
        route._history_user = by
        route.full_clean()
        route.save()
        changed += 1
    return changed


# --- Recording ----------------------------------------------------------------------------


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def dispute_record(
    *,
    case,
    kind: str,
    months: Iterable = (),
    amount: Decimal | None = None,
    cause: str | None = None,
    words: str = "",
    source: str,
    by=None,
    file=None,
    now: datetime.datetime | None = None,
) -> Dispute:
    """Record what the owner disputes on `case`; collection on it pauses from now.

    `months` are DebtPeriods (or their ids) of the case's household; `by` is None when the
    owner recorded it on the statement page. Raises ValidationError (a message saying what to
    do, keyed by field) and saves nothing when the dispute does not hold together.
    """
    now = now or timezone.now()
    words = (words or "").strip()
    if kind not in DisputeKind.values:
        raise _error(
            "kind", _("Choose what the owner disputes: months, an amount or the service."), "kind"
        )
    if source not in DisputeSource.values:
        raise _error("source", _("Choose where the dispute came from."), "source")
    if source != DisputeSource.STATEMENT and by is None:
        raise _error("source", _("A dispute recorded by staff names who recorded it."), "by")
    ids = {m.pk if isinstance(m, DebtPeriod) else int(m) for m in months}
    periods = list(
        DebtPeriod.objects.filter(pk__in=ids, household_id=case.household_id).order_by("month")
    )
    if len(periods) != len(ids):
        raise _error(
            "months",
            _("Choose months from this household's ledger only."),
            "other_household",
        )
    if kind == DisputeKind.MONTHS and not periods:
        raise _error("months", _("Choose the months the owner disputes."), "no_months")
    if kind == DisputeKind.AMOUNT and (amount is None or amount <= 0):
        raise _error(
            "amount",
            _("Enter the amount the owner says was paid (more than 0), from their receipt."),
            "no_amount",
        )
    if kind != DisputeKind.AMOUNT and amount is not None:
        raise _error(
            "amount",
            _("An amount belongs to an amount dispute only: clear it or choose that kind."),
            "amount",
        )
    if kind == DisputeKind.SERVICE and cause not in DisputeCause.values:
        raise _error("cause", _("Choose what the service complaint is about."), "no_cause")
    if kind != DisputeKind.SERVICE and cause:
        raise _error(
            "cause",
            _("A cause belongs to a service dispute only: clear it or choose that kind."),
            "cause",
        )
    if not words:
        raise _error(
            "words",
            _("Write down what the owner said, in their words."),
            "no_words",
        )
    # A photo is decoded and written again, a PDF checked (households.evidence): the upload
    # itself is never stored. Errors are the "evidence" field's.
    checked_file = validate_evidence([file])[0] if file is not None else None
    with transaction.atomic():
        dispute = Dispute(
            household_id=case.household_id,
            case=case,
            kind=kind,
            amount=amount,
            cause=cause or "",
            words=words,
            source=source,
            recorded_by=by,
            recorded_at=now,
        )
        if file is not None:
            dispute.original_name = (file.name or "")[:200]
            dispute.file, dispute.content_type = checked_file
        dispute.save()
        if periods:
            dispute.months.set(periods)
        if kind == DisputeKind.SERVICE:
            department, days = route_for(case.household.office_id, cause)
            DisputeWorkOrder.objects.create(
                dispute=dispute,
                department=department,
                due_date=timezone.localdate(now) + datetime.timedelta(days=days),
                created_at=now,
            )
        _tell_managers(case, dispute)
    return dispute


def _tell_managers(case, dispute: Dispute) -> None:
    body = Message(
        gettext_noop(
            "Collection contact about the disputed months is paused until the written "
            "answer is delivered. The owner's words: %(words)s"
        ),
        words=dispute.words,
    )
    if dispute.kind == DisputeKind.AMOUNT:
        # The owner says it was paid: the manager is asked to check the receipt.
        body = Message(
            gettext_noop(
                "Collection contact about the disputed months is paused until the written "
                "answer is delivered. Check the owner's receipt against the payments and "
                "record what you found on the dispute page. The owner's words: %(words)s"
            ),
            words=dispute.words,
        )
    notify(
        recipients=office_managers(case.campaign.office),
        kind=Notification.Kind.DISPUTE,
        title=Message(
            gettext_noop("Dispute on %(unit)s: %(what)s"),
            unit=case.household.unit_code,
            what=DisputeKind(dispute.kind).label,
        ),
        body=body,
        # The dispute's page (escalation's URL, reached by name: no import upward).
        url=reverse("dispute-detail", args=[dispute.pk]),
    )


def _event(dispute, kind, *, by, at, note="") -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute, kind=kind, happened_at=at, note=(note or "").strip(), recorded_by=by
    )


def dispute_answer_delivered(*, dispute: Dispute, by, at=None, note: str = "") -> DisputeEvent:
    """The office's written answer reached the owner: collection on the months may resume."""
    at = at or timezone.now()
    current = status(dispute)
    if current != OPEN:
        raise _error(
            "kind", _("The written answer to this dispute is already recorded."), "answered"
        )
    if at < dispute.recorded_at:
        raise _error(
            "happened_at",
            _("The answer cannot be delivered before the dispute was recorded: check the date."),
            "before",
        )
    return _event(dispute, DisputeEvent.Kind.ANSWER_DELIVERED, by=by, at=at, note=note)


def dispute_resolve(*, dispute: Dispute, outcome: str, by, note: str = "", at=None) -> DisputeEvent:
    """Upheld, rejected (with the reason) or settled: after the written answer only."""
    at = at or timezone.now()
    if outcome not in RESOLUTIONS:
        raise _error("kind", _("Choose upheld, rejected or settled."), "outcome")
    current = status(dispute)
    if current == RESOLVED:
        raise _error("kind", _("This dispute is already resolved."), "resolved")
    if current == OPEN:
        raise _error(
            "kind",
            _("Deliver the written answer first, then record how the dispute was resolved."),
            "not_answered",
        )
    if outcome == DisputeEvent.Kind.REJECTED and not (note or "").strip():
        raise _error("note", _("Give the reason the dispute was rejected."), "no_reason")
    if outcome == DisputeEvent.Kind.SETTLED and not (note or "").strip():
        raise _error("note", _("Write down what was agreed with the owner."), "no_terms")
    return _event(dispute, outcome, by=by, at=at, note=note)


def _not_resolved(dispute: Dispute) -> None:
    if status(dispute) == RESOLVED:
        raise _error(
            "kind",
            _("This dispute is already resolved: record nothing more on it."),
            "resolved",
        )


def dispute_work_done(*, dispute: Dispute, by, note: str = "", at=None) -> DisputeEvent:
    """The department reports the service problem fixed: a new step, the work order itself
    is never edited. Once per work order."""
    at = at or timezone.now()
    if getattr(dispute, "work_order", None) is None:
        raise _error("kind", _("Only a service dispute has a work order to report done."), "none")
    _not_resolved(dispute)
    if any(e.kind == DisputeEvent.Kind.WORK_DONE for e in dispute.events.all()):
        raise _error(
            "kind",
            _("The work order is already reported done: add a note instead if anything changed."),
            "done",
        )
    if at < dispute.recorded_at:
        raise _error(
            "happened_at",
            _("The work cannot be done before the dispute was recorded: check the date."),
            "before",
        )
    return _event(dispute, DisputeEvent.Kind.WORK_DONE, by=by, at=at, note=note)


def dispute_receipt_check(
    *,
    dispute: Dispute,
    by,
    found: bool,
    receipt_number: str = "",
    receipt_date: datetime.date | None = None,
    note: str = "",
    at=None,
) -> DisputeEvent:
    """What the office found when it looked for the payment on the owner's receipt (an
    amount dispute only): a matching payment found or not, with the receipt's number and
    date. A second check is a new step; the latest is the one that stands."""
    at = at or timezone.now()
    receipt_number = (receipt_number or "").strip()
    if dispute.kind != DisputeKind.AMOUNT:
        raise _error(
            "kind", _("A receipt check belongs to an amount dispute (“I paid that”)."), "kind"
        )
    _not_resolved(dispute)
    if not receipt_number and receipt_date is None:
        raise _error(
            "receipt_number",
            _("Enter the receipt number or its date, as the owner's receipt shows it."),
            "no_receipt",
        )
    if receipt_date is not None and receipt_date > timezone.localdate(at):
        raise _error(
            "receipt_date",
            _("The receipt date cannot be in the future: enter the date printed on it."),
            "future",
        )
    event = DisputeEvent(
        dispute=dispute,
        kind=DisputeEvent.Kind.RECEIPT_FOUND if found else DisputeEvent.Kind.RECEIPT_NOT_FOUND,
        happened_at=at,
        note=(note or "").strip(),
        receipt_number=receipt_number,
        receipt_date=receipt_date,
        recorded_by=by,
    )
    event.save()
    return event


RECEIPT_CHECKS = frozenset({DisputeEvent.Kind.RECEIPT_FOUND, DisputeEvent.Kind.RECEIPT_NOT_FOUND})


def receipt_check_due(dispute: Dispute) -> bool:
    """An open amount dispute whose receipt has not been checked yet: the manager's to-do."""
    return (
        dispute.kind == DisputeKind.AMOUNT
        and status(dispute) != RESOLVED
        and not any(e.kind in RECEIPT_CHECKS for e in dispute.events.all())
    )


@dataclass(frozen=True)
class WorkOrderState:
    department: str
    due_date: datetime.date
    done_at: datetime.datetime | None
    overdue: bool


def work_order_state(dispute: Dispute, today: datetime.date | None = None) -> WorkOrderState | None:
    """The work order of a service dispute: due when, done when, overdue (past its due date
    and not reported done)."""
    order = getattr(dispute, "work_order", None)
    if order is None:
        return None
    today = today or timezone.localdate()
    done = [e.happened_at for e in dispute.events.all() if e.kind == DisputeEvent.Kind.WORK_DONE]
    done_at = min(done) if done else None
    return WorkOrderState(
        department=order.get_department_display(),
        due_date=order.due_date,
        done_at=done_at,
        overdue=done_at is None and order.due_date < today,
    )
