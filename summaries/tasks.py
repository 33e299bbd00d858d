"""Celery tasks: thin wrappers that take dates as ISO strings and call summaries.producing.

Summaries are stored one per kind, scope and date, and people are told once, so a task that
runs twice does no harm.
"""

import datetime

from celery import shared_task
from django.utils import timezone

from arrears.tasks import RELIABLE
from summaries import producing


def _day(value: str | None, default: datetime.date) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else default


@shared_task(name="arrears.tasks.daily_summaries", **RELIABLE)
def daily_summaries(day: str | None = None, by: str = "schedule") -> int:
    """The 18:00 team, office and operations reports for `day` (default today)."""
    return len(producing.produce_daily(day=_day(day, timezone.localdate()), by=by))


@shared_task(name="arrears.tasks.morning_brief", **RELIABLE)
def morning_brief(day: str | None = None, by: str = "schedule") -> int:
    """The director's brief on `day` (default yesterday), ready before 09:00."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return len(producing.produce_brief(day=_day(day, yesterday), by=by))


@shared_task(name="arrears.tasks.weekly_pack", **RELIABLE)
def weekly_pack(week_of: str | None = None, by: str = "schedule") -> int:
    """The Monday 16:00 meeting pack for the week of `week_of` (default this week)."""
    return len(producing.produce_weekly(monday=_day(week_of, timezone.localdate()), by=by))


@shared_task(name="arrears.tasks.catch_up_summaries", **RELIABLE)
def catch_up_summaries() -> int:
    return len(producing.catch_up())
