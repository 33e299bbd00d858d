"""The limitation clock per unpaid month (DESIGN.md §5.4). Decision support, not legal advice.

Civil Code art. 188: three years from when the creditor knew or should have known of the
claim — here, each month's fee is its own debt and the clock runs from its due date.
Art. 195: the period is interrupted, and starts again in full from the interruption, when a
demand reaches the obligor, when the obligor agrees to perform (an acknowledgement, a promise,
a part payment, a payment plan), or when a suit, arbitration or payment order is filed.

Rules this module follows (and its tests pin down):
- a month's fee falls due on the first day of that month (DebtPeriod.month);
- the limit is the same calendar day three years on; a 29 February becomes 28 February;
- an event interrupts only a debt already due (an event before the due date does nothing) and
  only while that debt is not yet time-barred: an event on the last day still interrupts, one
  a day later does not revive it;
- a demand interrupts only once it has reached the owner (delivered), never when merely sent;
- a period within NEAR_DAYS of its limit is "near"; past its limit, "expired" (for legal review).
"""

import datetime
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

YEARS = 3
NEAR_DAYS = 90

DEMAND_DELIVERED = "demand_delivered"
ACKNOWLEDGEMENT = "acknowledgement"
PROMISE = "promise"
PART_PAYMENT = "part_payment"
PAYMENT_PLAN = "payment_plan"
LEGAL_FILING = "legal_filing"
INTERRUPTING = frozenset(
    {DEMAND_DELIVERED, ACKNOWLEDGEMENT, PROMISE, PART_PAYMENT, PAYMENT_PLAN, LEGAL_FILING}
)

OK, NEAR, EXPIRED = "ok", "near", "expired"


@dataclass(frozen=True)
class Event:
    on: datetime.date
    kind: str

    def __post_init__(self):
        if self.kind not in INTERRUPTING:
            raise ValueError(f"{self.kind!r} does not interrupt the limitation period")


@dataclass(frozen=True)
class Clock:
    due: datetime.date
    limit: datetime.date
    interrupted_by: Event | None  # the last event that restarted the period

    def state(self, today: datetime.date) -> str:
        return state_on(self.limit, today)

    def days_left(self, today: datetime.date) -> int:
        return (self.limit - today).days


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def clock(due: datetime.date, events: Iterable[Event]) -> Clock:
    """The limitation date of a debt that fell due on `due`, given the interrupting events."""
    limit, last = add_years(due, YEARS), None
    for event in sorted(events, key=lambda e: e.on):
        if event.on < due:
            continue  # nothing to interrupt yet
        if event.on > limit:
            break  # already time-barred: a later event does not revive the period
        limit, last = add_years(event.on, YEARS), event
    return Clock(due=due, limit=limit, interrupted_by=last)


def limits(dues: Sequence[datetime.date], events: Iterable[Event]) -> list[datetime.date]:
    """The limitation date of each debt in `dues`: the same dates as
    `[clock(due, events).limit for due in dues]`, with the events sorted once for all of them.

    A clock that takes an event goes on taking each next event that falls within the limit
    it has reached and stops at the first that does not (later events fall later still), so
    from any event on, where the clock ends depends on that event alone: `reach[j]` below.
    A debt's clock takes the first event on or after its due date if that event is within
    three years of the due date, and then ends where that event's chain ends."""
    days = sorted(e.on for e in events)
    reach: list[datetime.date] = [datetime.date.min] * len(days)
    for j in reversed(range(len(days))):
        own = add_years(days[j], YEARS)
        reach[j] = reach[j + 1] if j + 1 < len(days) and days[j + 1] <= own else own
    result = []
    for due in dues:
        limit = add_years(due, YEARS)
        j = bisect_left(days, due)  # the first event on or after the due date
        result.append(reach[j] if j < len(days) and days[j] <= limit else limit)
    return result


def state_on(limit: datetime.date, today: datetime.date) -> str:
    """Clock.state for a bare limitation date."""
    if today > limit:
        return EXPIRED
    return NEAR if (limit - today).days <= NEAR_DAYS else OK
