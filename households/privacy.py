"""What of an owner's personal information each role may see (PIPL: the minimum needed)."""

from arrears.access import CASE_WORKERS


def can_see_phones(role: str | None) -> bool:
    """Whether a role sees full numbers: the rule is arrears.access.may_see_phones, which
    views ask with the user and the household."""
    return role in CASE_WORKERS


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]
