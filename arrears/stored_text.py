"""Words a stored payload (a summary's data) holds in the default language, put in the
reader's language when shown (issue 16.8)."""

import datetime
import re

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

TEAM = "Team %(code)s"  # teams.models.Team.__str__ for a team without a name


def team_code(text) -> str | None:
    """The code of a team stored by its default label (“A组” → "A"); None for a name."""
    if not isinstance(text, str):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        pattern = re.escape(gettext(TEAM)).replace(re.escape("%(code)s"), r"(?P<code>[\w-]{1,20})")
    match = re.fullmatch(pattern, text)
    return match["code"] if match else None


def team_label(text):
    """A stored team label in the active language; a team's own name as it is."""
    code = team_code(text)
    return text if code is None else gettext(TEAM) % {"code": code}


def moment(value, format_name: str = "DATETIME_FORMAT") -> str:
    """An ISO timestamp (text, as JSON keeps it, or a datetime) in local time, formatted for
    the active locale (Django's DATETIME_FORMAT: “Nov. 29, 2026, 10:30 p.m.” / “2026年11月29日
    22:30”). Anything else is shown as it is."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(moment, datetime.datetime):
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return formats.date_format(timezone.localtime(moment), format_name)
