"""Celery tasks of the lawful road: thin, like arrears.tasks."""

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from arrears.tasks import RELIABLE
from escalation.personal_data import erase_expired
from escalation.reminders import send_reminders


@shared_task(name="escalation.tasks.daily_reminders", **RELIABLE)
def daily_reminders(day: str | None = None) -> int:
    """The morning's reminders (escalation.reminders); safe to run twice."""
    return send_reminders(datetime.date.fromisoformat(day) if day else None)


@shared_task(name="escalation.tasks.catch_up_reminders", **RELIABLE)
def catch_up_reminders() -> int:
    """Today's reminders, if the morning run was missed (broker or worker down) or something
    fell due since; nobody hears anything twice. Nothing before REMINDERS_AT."""
    now = timezone.localtime()
    if now.time() < settings.REMINDERS_AT:
        return 0
    return send_reminders(now.date())


@shared_task(name="escalation.tasks.erase_expired_contact_data", **RELIABLE)
def erase_expired_contact_data() -> int:
    """Erase owners' contact data past the office's retention period
    (escalation.personal_data); safe to run twice."""
    return erase_expired()
