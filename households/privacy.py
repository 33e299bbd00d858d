"""What of an owner's personal information each role may see (PIPL: the minimum needed)."""

from arrears.models import Role

# Roles that phone owners or decide how they are contacted see full numbers.
PHONE_ROLES = {Role.COLLECTOR, Role.TEAM_LEADER, Role.OFFICE_MANAGER, Role.ADMINISTRATOR}


def can_see_phones(role: str | None) -> bool:
    return role in PHONE_ROLES


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]
