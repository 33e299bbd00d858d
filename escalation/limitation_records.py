"""The limitation clock fed from what the case records (escalation.limitation is the rule).

Only a proven event interrupts the period (Civil Code art. 195), each from its own record:
- a demand that reached the owner: a payment notice or formal demand issued here and recorded
  as delivered (escalation.letter_records.letter_record_delivery), with the signed receipt or
  the tracking record scanned — on the day of delivery;
- a filing: the `filed` step of the legal stage (escalation.proceedings) — on its day;
- a payment plan: a recorded plan — on the day it was agreed;
- a promise: the conversation that recorded it, with the owner or a co-owner — on the day it
  was made (the attempt's `occurred_at`, not the day someone typed it);
- a payment not reversed: a part payment acknowledges the debt — on the day it was paid.

What the contact form says happened — a written demand, notice or lawyer's letter "delivered",
a payment order, suit or arbitration — is kept and shown as *claimed, not proven*, and moves no
date: anyone can type it, dated as far back as they like. So is an agreement written down long
after the fact: a promise or a plan recorded more than settings.BACKDATE_DAYS days (the backdating limit) after the
day it says it was made counts only with a file attached (the owner's written acknowledgement, a recording,
the signed plan); without one, the record is the collector's word alone, and a backdated word
must not keep a time-barred month alive. A promise given by anyone but an owner is not the
owner's acknowledgement. An attempt withdrawn by a correcting entry is neither proof nor claim.

Every reader (case page, case list, Monday pack) goes through household_interruptions: one
rule. A fixed number of queries for any number of households.

The Monday pack (`near_limit`) asks the database for the only months that can be near or
past their limit — a month's limit is never before three years after it fell due — and
dates them with escalation.limitation.limits, one pass per household, not one clock per
unpaid month of the region.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.ledger import add_months, month_ranges
from arrears.models import DebtPeriod, Payment, PromiseToPay
from escalation.limitation import (
    DEMAND_DELIVERED,
    EXPIRED,
    LEGAL_FILING,
    NEAR,
    NEAR_DAYS,
    OK,
    PART_PAYMENT,
    PAYMENT_PLAN,
    PROMISE,
    YEARS,
    Clock,
    Event,
    add_years,
    clock,
    limits,
    state_on,
)
from escalation.models import PaymentPlan
from escalation.proceedings import filing_dates
from households.claims import (
    FILINGS,
    WHY_NO_CONVERSATION,
    WHY_PLAN_LATE,
    promise_rows,
    promise_why,
    written_rows,
    written_why,
)
from households.models import Channel, ContactAttempt, Outcome


@dataclass(frozen=True)
class Claim:
    """Something recorded that would interrupt the period if it were proven. It moves no date."""

    on: datetime.date  # the day it says it happened
    kind: str  # the event it claims: escalation.limitation's DEMAND_DELIVERED, PROMISE, …
    what: str
    why: str
    recorded_on: datetime.date
    attempt_id: int | None = None


@dataclass
class Interruptions:
    events: list[Event] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)


def household_interruptions(household_ids) -> dict[int, Interruptions]:
    """Each household's proven interrupting events, and what was only claimed (`household_ids`:
    ids, or a query of them, which the database reads as a subquery)."""
    ids = household_ids if isinstance(household_ids, QuerySet) else list(household_ids)
    found: dict[int, Interruptions] = defaultdict(Interruptions)
    _written_and_filings(ids, found)
    _promises(ids, found)
    for household_id, at in Payment.objects.filter(
        household_id__in=ids, kind=Payment.Kind.PAYMENT, reversed_by__isnull=True
    ).values_list("household_id", "paid_at"):
        found[household_id].events.append(Event(timezone.localdate(at), PART_PAYMENT))
    _plans(ids, found)
    for household_id, on in filing_dates(ids):
        found[household_id].events.append(Event(on, LEGAL_FILING))
    return found


def _written_and_filings(ids: list[int], found: dict[int, Interruptions]) -> None:
    """Written contact logged as delivered, and filings logged as attempts: a delivery is
    proven only by the letter's delivery record with its scan; a filing never is (it is
    proven by the legal stage, read separately)."""
    local = timezone.localdate
    rows = written_rows(ContactAttempt.objects.filter(household_id__in=ids))
    for pk, household_id, channel, outcome, at, recorded, delivered_on, proven in rows:
        why = written_why(channel, proven=proven)
        if why is None:
            found[household_id].events.append(Event(delivered_on, DEMAND_DELIVERED))
            continue
        kind = LEGAL_FILING if channel in FILINGS else DEMAND_DELIVERED
        found[household_id].claims.append(
            Claim(
                on=local(at),
                kind=kind,
                what=f"{Channel(channel).label} · {Outcome(outcome).label}",
                why=why,
                recorded_on=local(recorded),
                attempt_id=pk,
            )
        )


def _promises(ids: list[int], found: dict[int, Interruptions]) -> None:
    """Promises, from the conversation that recorded them (see the module's rules)."""
    local = timezone.localdate
    rows = promise_rows(PromiseToPay.objects.filter(case__household_id__in=ids))
    what = str(_("promise to pay"))
    for household_id, attempt_id, made, typed, person, recorded, withdrawn, has_file in rows:
        if attempt_id is None:
            claim = Claim(local(recorded), PROMISE, what, str(WHY_NO_CONVERSATION), local(recorded))
            found[household_id].claims.append(claim)
            continue
        if withdrawn:
            continue
        made_on = local(made)
        why = promise_why(person, made=made, typed=typed, has_file=has_file)
        if why is None:
            found[household_id].events.append(Event(made_on, PROMISE))
            continue
        found[household_id].claims.append(
            Claim(made_on, PROMISE, what, why, local(typed), attempt_id=attempt_id)
        )


def _plans(ids: list[int], found: dict[int, Interruptions]) -> None:
    """Payment plans, from the day agreed; one recorded late needs its signed copy."""
    what = str(_("payment plan"))
    for household_id, agreed, recorded, signed in PaymentPlan.objects.filter(
        case__household_id__in=ids
    ).values_list("case__household_id", "agreed_on", "recorded_at", "signed_copy"):
        late = (timezone.localdate(recorded) - agreed).days
        if late > settings.BACKDATE_DAYS and not signed:
            why = str(WHY_PLAN_LATE) % {"days": late}
            found[household_id].claims.append(
                Claim(agreed, PAYMENT_PLAN, what, why, timezone.localdate(recorded))
            )
        else:
            found[household_id].events.append(Event(agreed, PAYMENT_PLAN))


def household_events(household_ids) -> dict[int, list[Event]]:
    """The proven interrupting events of each household that has any."""
    return {h: i.events for h, i in household_interruptions(household_ids).items() if i.events}


def household_claims(household_ids) -> dict[int, list[Claim]]:
    """What each household's records claim without proof, oldest first."""
    return {
        h: sorted(i.claims, key=lambda c: c.on)
        for h, i in household_interruptions(household_ids).items()
        if i.claims
    }


@dataclass(frozen=True)
class PeriodClock:
    month: datetime.date
    balance: object  # Decimal
    clock: Clock
    state: str


def unpaid_clocks(
    household_ids, *, today: datetime.date | None = None, events: dict | None = None
) -> dict[int, list[PeriodClock]]:
    """Every unpaid month of the households with its limitation date and state (`events`:
    household_events' answer, when the caller already has it)."""
    today = today or timezone.localdate()
    events = household_events(household_ids) if events is None else events
    result: dict[int, list[PeriodClock]] = defaultdict(list)
    rows = (
        DebtPeriod.objects.filter(
            household_id__in=list(household_ids), amount_paid__lt=F("amount_due")
        )
        .order_by("household_id", "month")
        .values_list("household_id", "month", "amount_due", "amount_paid")
    )
    for household_id, month, due, paid in rows:
        c = clock(month, events.get(household_id, []))
        result[household_id].append(PeriodClock(month, due - paid, c, c.state(today)))
    return result


def worst_state(clocks: list[PeriodClock]) -> str:
    states = {c.state for c in clocks}
    return EXPIRED if EXPIRED in states else NEAR if NEAR in states else OK


def earliest_limit(clocks: list[PeriodClock]) -> datetime.date | None:
    return min((c.clock.limit for c in clocks), default=None)


@dataclass(frozen=True)
class LimitationGroup:
    months: object  # arrears.ledger.MonthRange
    limit: datetime.date
    state: str
    interrupted_by: Event | None


def limitation_groups(clocks: list[PeriodClock]) -> list[LimitationGroup]:
    """Consecutive unpaid months that share a limitation date, as ranges for the case page."""
    groups: list[list[PeriodClock]] = []
    for c in clocks:
        last = groups[-1][-1] if groups else None
        if last and last.clock.limit == c.clock.limit and add_months(last.month, 1) == c.month:
            groups[-1].append(c)
        else:
            groups.append([c])
    return [
        LimitationGroup(
            months=month_ranges([c.month for c in group])[0],
            limit=group[0].clock.limit,
            state=group[0].state,
            interrupted_by=group[0].clock.interrupted_by,
        )
        for group in groups
    ]


@dataclass(frozen=True)
class LimitationPanel:
    groups: list[LimitationGroup]
    claims: list[Claim]
    claimed_attempts: frozenset[int]  # the timeline marks these attempts


def household_limitation(household_id: int, *, today: datetime.date | None = None):
    """The case page's limitation panel: the unpaid months grouped by their limitation date,
    and what was claimed without proof (shown, never counted)."""
    found = household_interruptions([household_id]).get(household_id, Interruptions())
    clocks = unpaid_clocks([household_id], today=today, events={household_id: found.events})
    return LimitationPanel(
        groups=limitation_groups(clocks.get(household_id, [])),
        claims=sorted(found.claims, key=lambda c: c.on),
        claimed_attempts=frozenset(c.attempt_id for c in found.claims if c.attempt_id),
    )


@dataclass(frozen=True)
class NearLimit:
    """A household with unpaid months near or past their limitation date."""

    state: str  # NEAR or EXPIRED: its earliest limit's
    limit: datetime.date  # the earliest limit of its unpaid months
    months: int  # how many of its unpaid months are near or past their limit


def near_limit(household_ids, *, today: datetime.date) -> dict[int, NearLimit]:
    """The households (a queryset of ids, or ids) with an unpaid month near or past its
    limitation date on `today`, with the same dates and states as unpaid_clocks.

    A month's limit is at least three years after it fell due, so a month due after
    `cutoff` is more than NEAR_DAYS from its limit and cannot be near: only the months
    before it are read, and only their households' events (a fixed number of queries)."""
    cutoff = add_years(today + datetime.timedelta(days=NEAR_DAYS), -YEARS) + datetime.timedelta(
        days=1  # a margin for 29 February; `limits` decides exactly
    )
    candidates = DebtPeriod.objects.filter(
        household_id__in=household_ids, amount_paid__lt=F("amount_due"), month__lte=cutoff
    )
    months: dict[int, list[datetime.date]] = defaultdict(list)
    for household_id, month in candidates.order_by("household_id", "month").values_list(
        "household_id", "month"
    ):
        months[household_id].append(month)
    # their households' events, read through a subquery: thousands of ids as parameters cost
    # more to send than the rows they select
    events = household_events(candidates.values("household_id"))
    found = {}
    for household_id, dues in months.items():
        dated = limits(dues, events.get(household_id, []))
        earliest = min(dated)
        state = state_on(earliest, today)
        if state != OK:
            near = sum(1 for limit in dated if state_on(limit, today) != OK)
            found[household_id] = NearLimit(state, earliest, near)
    return found
