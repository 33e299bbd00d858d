from django import template

from households.contact_policy import RULE_CODES, WARNING_CODES, make_breach

register = template.Library()
KNOWN = set(RULE_CODES) | set(WARNING_CODES)


@register.filter
def breach_message(code: str) -> str:
    """The rule's message for a stored breach code (translated at display time)."""
    return str(make_breach(code).message) if code in KNOWN else code


@register.filter
def flag_details(terms) -> list:
    """Stored flagged phrases with their rules: [(phrase, Forbidden | None)]."""
    from households.unlawful import flag_details as details

    return details(terms or [])
