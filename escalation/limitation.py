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
from collections.abc import Iterable
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
        if today > self.limit:
            return EXPIRED
        return NEAR if (self.limit - today).days <= NEAR_DAYS else OK

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
