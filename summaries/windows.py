"""When reports run and what each covers: the 18:00 → 18:00 window of a day's reports.

Attempts and payments count by when they were entered (`recorded_at`); the window of the 18:00
report of a day runs from the region's cut-off the day before to the cut-off on the day.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from arrears.models import Region, Summary


def local_day(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def daily_cutoff(region: Region) -> datetime.time:
    """The region's 18:00: when its daily reports run, and where one report's window ends."""
    return scheduled_times(region)[Summary.Kind.DAILY_OFFICE]


def report_window(
    day: datetime.date, region: Region
) -> tuple[datetime.datetime, datetime.datetime]:
    """[cut-off the day before, cut-off on `day`): what the 18:00 report of `day` covers."""
    cutoff = daily_cutoff(region)
    end = timezone.make_aware(datetime.datetime.combine(day, cutoff))
    start = timezone.make_aware(datetime.datetime.combine(day - datetime.timedelta(days=1), cutoff))
    return start, end


def report_day(moment: datetime.datetime, region: Region) -> datetime.date:
    """The day whose 18:00 report covers what is recorded at `moment`: after the cut-off,
    the next day's."""
    local = timezone.localtime(moment)
    after_cutoff = local.time() >= daily_cutoff(region)
    return local.date() + datetime.timedelta(days=1) if after_cutoff else local.date()


def window_data(start: datetime.datetime, end: datetime.datetime) -> dict:
    """How a stored summary states its window: local times, and what is counted by it."""
    return {"from": timezone.localtime(start), "to": timezone.localtime(end), "by": "recorded"}


def window_label(window: dict | None) -> str:
    """ "18:00 11-24 → 18:00 11-25" from a stored window (empty for summaries stored before
    windows were stated)."""
    if not window:
        return ""
    ends = []
    for key in ("from", "to"):
        value = window[key]
        moment = (
            value
            if isinstance(value, datetime.datetime)
            else datetime.datetime.fromisoformat(value)
        )
        ends.append(f"{timezone.localtime(moment):%H:%M %m-%d}")
    return " → ".join(ends)


def scheduled_times(region: Region) -> dict[str, datetime.time]:
    """The region's own hours, else the settings' (read as times at start-up)."""
    return {
        Summary.Kind.DAILY_OFFICE: region.daily_summary_at or settings.SUMMARY_DAILY_AT,
        Summary.Kind.MORNING_BRIEF: region.morning_brief_at or settings.SUMMARY_BRIEF_AT,
        Summary.Kind.WEEKLY_PACK: region.weekly_pack_at or settings.SUMMARY_WEEKLY_AT,
    }
