"""Celery tasks of the lawful road: thin, like arrears.tasks."""

import datetime

from celery import shared_task

from arrears.tasks import RELIABLE

from .reminders import send_reminders


@shared_task(**RELIABLE)
def daily_reminders(day: str | None = None) -> int:
    """The morning's reminders (escalation.reminders); safe to run twice."""
    return send_reminders(datetime.date.fromisoformat(day) if day else None)
