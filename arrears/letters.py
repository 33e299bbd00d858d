"""Written payment notices (催缴通知书) and formal demands with a deadline (催告函).

What a letter says is assembled here from the ledger, so the printed page, a later .docx and
a batch all say the same thing. Courts have dismissed fee claims where no written demand
could be proven: the demand gives at least MIN_DEADLINE_DAYS to pay, and its delivery is
recorded on the case (a delivered letter restarts the limitation clock).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .ledger import ledger_ranges
from .models import Case

NOTICE, DEMAND = "notice", "demand"
KINDS = {
    NOTICE: _("Payment notice (催缴通知书)"),
    DEMAND: _("Formal demand with a deadline (催告函)"),
}
MIN_DEADLINE_DAYS = 15


@dataclass(frozen=True)
class Letter:
    kind: str
    case: Case
    owners: list[str]
    ranges: list  # arrears.ledger.MonthRange with due/paid
    total: Decimal
    dated: datetime.date
    deadline: datetime.date | None

    @property
    def title(self) -> str:
        return "催告函" if self.kind == DEMAND else "催缴通知书"


def letter_for(
    case: Case, *, kind: str, dated: datetime.date, deadline_days: int = MIN_DEADLINE_DAYS
) -> Letter:
    """The letter for a case's unpaid months in its campaign, as of `dated`."""
    if kind not in KINDS:
        raise ValueError(f"unknown letter {kind!r}")
    if kind == DEMAND and deadline_days < MIN_DEADLINE_DAYS:
        raise ValueError(f"a demand gives at least {MIN_DEADLINE_DAYS} days to pay")
    periods = [
        (month, due, paid)
        for month, due, paid in case.periods()
        .order_by("month")
        .values_list("month", "amount_due", "amount_paid")
        if paid < due
    ]
    ranges = ledger_ranges(periods)
    return Letter(
        kind=kind,
        case=case,
        owners=list(case.household.owners.values_list("name", flat=True)),
        ranges=ranges,
        total=sum((r.balance for r in ranges), Decimal("0.00")),
        dated=dated,
        deadline=dated + datetime.timedelta(days=deadline_days) if kind == DEMAND else None,
    )
