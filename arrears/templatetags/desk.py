from decimal import Decimal, InvalidOperation

from django import template

from arrears import stored_text
from arrears.money import CENT
from arrears.people import person_name

register = template.Library()


@register.filter
def moment(value, format_name="DATETIME_FORMAT"):
    """A timestamp a stored payload holds as ISO text ("2026-11-29T22:30:00+08:00"), in local
    time and the reader's locale's format (issue 16.8: no raw ISO in a page)."""
    return stored_text.moment(value, format_name)


@register.filter
def team_label(value):
    """A team as a summary stored it (“A组”), in the reader's language (“Team A”)."""
    return stored_text.team_label(value)


@register.filter
def cny(value) -> str:
    """¥1,234.50 — money as the offices write it; empty for None."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def person(user) -> str:
    """A user's name as the desk shows it (arrears.people.person_name)."""
    return person_name(user)


@register.filter
def get(mapping, key):
    """mapping[key] in a template; empty when missing."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def signed(value) -> str:
    """+3 / −2 / ±0 for a change since the day before."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if number > 0:
        return f"+{value}"
    return f"−{abs(number)}" if number < 0 else "±0"


@register.filter
def signed_cny(value) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if number == 0:
        return "±¥0.00"
    return ("+" if number > 0 else "−") + cny(abs(number))
