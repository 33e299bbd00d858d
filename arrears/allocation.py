"""Allocating a payment to debt periods: the oldest unpaid month first.

Pure functions over plain values, so the rule can be tested without a database;
arrears.payments applies the result inside a locked transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from arrears.money import CENT, ZERO


@dataclass(frozen=True)
class OpenPeriod:
    period_id: int
    month: date
    outstanding: Decimal


@dataclass(frozen=True)
class Allocation:
    lines: tuple[tuple[int, Decimal], ...]  # (period id, amount), oldest month first
    remainder: Decimal  # what is left over: credit on the household's account

    @property
    def allocated(self) -> Decimal:
        return sum((amount for _, amount in self.lines), ZERO)


def allocate(amount: Decimal, periods: Iterable[OpenPeriod]) -> Allocation:
    """Spread `amount` over `periods`, oldest month first, never beyond what each owes."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    if amount <= 0:
        raise ValueError("amount must be positive")
    if amount != amount.quantize(CENT):
        raise ValueError("amount must be in whole fen (two decimal places)")
    left = amount
    lines = []
    for period in sorted(periods, key=lambda p: (p.month, p.period_id)):
        if left <= 0:
            break
        if period.outstanding <= 0:
            continue
        part = min(left, period.outstanding)
        lines.append((period.period_id, part))
        left -= part
    return Allocation(lines=tuple(lines), remainder=left)
