from decimal import Decimal, InvalidOperation

from django import template

from arrears.money import CENT
from arrears.people import person_name

register = template.Library()


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
