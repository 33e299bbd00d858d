"""Months and money of the fee ledger: month arithmetic, compact ranges, fees from area."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import ngettext

from arrears.money import CENT, ZERO


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included."""
    first, last = first_of_month(first), first_of_month(last)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, i) for i in range(max(count, 0))]


def monthly_fee(area_m2: Decimal, rate_per_m2: Decimal) -> Decimal:
    """Area × monthly rate, rounded half-up to the fen as billing systems do."""
    return (area_m2 * rate_per_m2).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MonthRange:
    start: date
    end: date
    count: int
    due: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.due - self.paid

    def __str__(self) -> str:
        months = ngettext("%(n)d month", "%(n)d months", self.count) % {"n": self.count}
        if self.count == 1:
            return f"{self.start:%Y-%m} ({months})"
        return f"{self.start:%Y-%m} — {self.end:%Y-%m} ({months})"


def month_ranges(months: Iterable[date]) -> list[MonthRange]:
    """Collapse months into runs of consecutive months: [2013-05 … 2015-05] → one range."""
    return ledger_ranges((m, ZERO, ZERO) for m in months)


def ledger_ranges(rows: Iterable[tuple[date, Decimal, Decimal]]) -> list[MonthRange]:
    """Runs of consecutive months from (month, due, paid) rows, with their totals."""
    ordered: Sequence = sorted(rows, key=lambda r: r[0])
    ranges: list[MonthRange] = []
    for month, due, paid in ordered:
        month = first_of_month(month)
        last = ranges[-1] if ranges else None
        if last and add_months(last.end, 1) == month:
            ranges[-1] = MonthRange(
                last.start, month, last.count + 1, last.due + due, last.paid + paid
            )
        elif last and last.end == month:
            continue
        else:
            ranges.append(MonthRange(month, month, 1, due, paid))
    return ranges
