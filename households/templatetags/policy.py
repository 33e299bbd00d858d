from django import template

from arrears.unlawful import flag_details as details
from households.contact_policy import (
    EXEMPTION_CODES,
    RULE_CODES,
    WARNING_CODES,
    make_breach,
    make_exemption,
)

register = template.Library()
KNOWN = set(RULE_CODES) | set(WARNING_CODES)


@register.filter
def breach_message(code: str) -> str:
    """The rule's message for a stored breach code (translated at display time)."""
    return str(make_breach(code).message) if code in KNOWN else code


@register.filter
def exemption_message(code: str) -> str:
    """What a stored exemption code means (translated at display time)."""
    return str(make_exemption(code).message) if code in EXEMPTION_CODES else code


@register.filter
def flag_details(terms) -> list:
    """Stored flagged phrases with their rules: [(phrase, Forbidden | None)]."""
    return details(terms or [])
