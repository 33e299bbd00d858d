"""How the desk names a person, the same on every page, list, export, summary and message."""


def person_name(user) -> str:
    """The staff profile's display name, else the username; empty for nobody.

    Select `staff_profile` with the user (select_related) where a list names many people."""
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return (profile.display_name if profile else "") or user.get_username()
