"""The limitation clock fed from what the case records (arrears.limitation is the rule).

Interrupting events come from the household's history: a written notice, demand or lawyer's
letter recorded as delivered; a promise to pay; a payment (not reversed) — a part payment
acknowledges the arrears; a payment order, suit or arbitration filed. A letter merely sent is
not an event. Two queries for any number of households, plus one for their unpaid months.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from households.models import Channel, ContactAttempt, Outcome

from .limitation import (
    DEMAND_DELIVERED,
    EXPIRED,
    LEGAL_FILING,
    NEAR,
    OK,
    PART_PAYMENT,
    PAYMENT_PLAN,
    PROMISE,
    Clock,
    Event,
    clock,
)
from .models import DebtPeriod, Payment, PromiseToPay

WRITTEN_DEMANDS = [Channel.PAYMENT_NOTICE, Channel.WRITTEN_DEMAND, Channel.LAWYER_LETTER]
FILINGS = [Channel.PAYMENT_ORDER, Channel.LAWSUIT, Channel.ARBITRATION]


def household_events(household_ids) -> dict[int, list[Event]]:
    ids = list(household_ids)
    events: dict[int, list[Event]] = defaultdict(list)
    local = timezone.localdate
    for household_id, channel, outcome, at in ContactAttempt.objects.filter(
        household_id__in=ids, corrections__isnull=True
    ).values_list("household_id", "channel", "outcome", "occurred_at"):
        if channel in WRITTEN_DEMANDS and outcome == Outcome.DELIVERED:
            events[household_id].append(Event(local(at), DEMAND_DELIVERED))
        elif channel in FILINGS:
            events[household_id].append(Event(local(at), LEGAL_FILING))
    for household_id, at in PromiseToPay.objects.filter(case__household_id__in=ids).values_list(
        "case__household_id", "recorded_at"
    ):
        events[household_id].append(Event(local(at), PROMISE))
    for household_id, at in Payment.objects.filter(
        household_id__in=ids, kind=Payment.Kind.PAYMENT, reversed_by__isnull=True
    ).values_list("household_id", "paid_at"):
        events[household_id].append(Event(local(at), PART_PAYMENT))
    from escalation.models import PaymentPlan
    from escalation.proceedings import filing_dates

    for household_id, on in PaymentPlan.objects.filter(case__household_id__in=ids).values_list(
        "case__household_id", "agreed_on"
    ):
        events[household_id].append(Event(on, PAYMENT_PLAN))
    for household_id, on in filing_dates(ids):
        events[household_id].append(Event(on, LEGAL_FILING))
    return events


@dataclass(frozen=True)
class PeriodClock:
    month: datetime.date
    balance: object  # Decimal
    clock: Clock
    state: str


def unpaid_clocks(
    household_ids, *, today: datetime.date | None = None
) -> dict[int, list[PeriodClock]]:
    """Every unpaid month of the households with its limitation date and state."""
    today = today or timezone.localdate()
    events = household_events(household_ids)
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
    from .ledger import add_months, month_ranges

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
