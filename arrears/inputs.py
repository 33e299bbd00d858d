"""What every form and query string may hold: dates in a sane range, money that is a number.

One place decides it, so that no page answers 500 to a date like 0001-01-01 or 9999-12-31
(they overflow when turned into a moment, a week or a month) or to an amount like NaN:

- `parse_day` reads a day from a query string or a raw POST (`week_of`, `date`, …);
- `SaneDateField` / `SaneDateTimeField` are the form fields of every date a person types;
- `MoneyField` is the form field of every amount (finite, two decimals, at most 12 digits);
- `SaneDateFilter` and `MoneyFilter` are the list filters' date and amount (django-filter);
- `parse_ids` reads the ids a list or a batch is given (`?id=…`).

A value outside the range is refused with a message that gives the range to keep to.
"""

import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.money import MONEY_DIGITS, MONEY_PLACES

# No ledger, payment, contact or letter of the offices is older than this.
EARLIEST_DATE = datetime.date(2000, 1, 1)
# Plans, promises and call-backs reach at most this far ahead of today.
YEARS_AHEAD = 5
# The largest primary key the databases store (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def latest_date(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def out_of_range_message() -> str:
    return _("Enter a date from %(earliest)s to %(latest)s: check the year.") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": latest_date().isoformat(),
    }


def validate_sane_date(value: datetime.date | datetime.datetime) -> None:
    """Refuse a date (or the local date of a moment) outside EARLIEST_DATE … today + 5 years."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            try:
                value = timezone.localtime(value)
            except OverflowError:
                raise ValidationError(out_of_range_message(), code="date_range") from None
        value = value.date()
    if not EARLIEST_DATE <= value <= latest_date():
        raise ValidationError(out_of_range_message(), code="date_range")


def parse_day(text: str | None) -> datetime.date:
    """A day written YYYY-MM-DD, within the sane range. ValueError (its text says what to do)
    for anything else."""
    try:
        day = datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValueError(_("Enter the day as YYYY-MM-DD, e.g. 2026-03-16.")) from None
    try:
        validate_sane_date(day)
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None
    return day


def parse_ids(values) -> list[int]:
    """The ids in a query string or a raw POST (`?id=3&id=5`), skipping what is not one: a
    larger number than the database stores would make the query fail, not find nothing."""
    ids = []
    for value in values:
        if value.isdecimal() and value.isascii() and len(value) <= 19 and 0 < int(value) <= MAX_ID:
            ids.append(int(value))
    return ids


def too_long(text: str, *, limit: int, what: str) -> str | None:
    """The row problem of an imported text longer than its column holds (checked at preview,
    so that nothing fails at commit and nothing is cut short)."""
    if len(text) <= limit:
        return None
    return _(
        "%(what)s is %(n)d characters long, more than the %(limit)d it may hold: shorten it"
    ) % {
        "what": what,
        "n": len(text),
        "limit": limit,
    }


def too_large(amount: Decimal | None, *, digits: int, places: int = MONEY_PLACES) -> bool:
    """Whether an amount has more digits before the point than its column holds."""
    return amount is not None and abs(amount) >= Decimal(10) ** (digits - places)


def validate_finite(value: Decimal) -> None:
    if value is not None and not value.is_finite():
        raise ValidationError(_("Enter the amount as a number, e.g. 1234.50."), code="invalid")


def parse_amount(text: str) -> Decimal:
    """An amount in yuan from free text (a plan's instalment line): finite, two decimals."""
    from decimal import InvalidOperation

    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(_("Enter the amount as a number, e.g. 1234.50.")) from None
    if not amount.is_finite() or amount.adjusted() >= MONEY_DIGITS - MONEY_PLACES:
        raise ValueError(_("Enter the amount as a number, e.g. 1234.50."))
    return amount.quantize(Decimal(1).scaleb(-MONEY_PLACES))


class SaneDateField(forms.DateField):
    default_validators = [validate_sane_date]


class SaneDateTimeField(forms.DateTimeField):
    default_validators = [validate_sane_date]

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:
            raise ValidationError(out_of_range_message(), code="date_range") from None


class MoneyField(forms.DecimalField):
    """An amount in yuan: a finite number with at most 12 digits and 2 decimals."""

    default_validators = [validate_finite]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_PLACES)
        super().__init__(**kwargs)


class SaneDateFilter(django_filters.DateFilter):
    field_class = SaneDateField


class MoneyFilter(django_filters.NumberFilter):
    """An amount to filter a list by: what MoneyField accepts (a number the database can
    compare, not 1e999999)."""

    field_class = MoneyField
