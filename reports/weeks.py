"""How a report names its week and the moment it was made, in the reader's language."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _


def week_label(monday: datetime.date) -> str:
    """ "2026-11-23 — 2026-11-29 (第48周)" / "2026-11-23 — 2026-11-29 (week 48)": Monday to
    Sunday, with the ISO week number."""
    sunday = monday + datetime.timedelta(days=6)
    return _("%(start)s — %(end)s (week %(week)s)") % {
        "start": f"{monday:%Y-%m-%d}",
        "end": f"{sunday:%Y-%m-%d}",
        "week": monday.isocalendar().week,
    }


def moment_label(moment: datetime.datetime) -> str:
    """A local date and time to the minute, never an ISO timestamp."""
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M}"
