"""Celery tasks: thin wrappers that take dates as ISO strings and call arrears.summaries.

Every task acknowledges late (a worker that dies mid-task leaves the message to be handed
out again), retries on transient database errors, and is safe to run twice: summaries are
stored one per kind, scope and date, and people are told once.

Each task states its name (name=...): queued messages and the beat schedule carry it, so it
must not change when this module moves.
"""

import datetime
import socket

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import summaries
from .models import WorkerHeartbeat

TRANSIENT = (OperationalError, InterfaceError)
RELIABLE = {
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,
    "retry_kwargs": {"max_retries": 6},
    "ignore_result": True,
}


def _day(value: str | None, default: datetime.date) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else default


@shared_task(name="arrears.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat() -> str:
    """Note that a worker is alive; beat schedules this every minute."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": now, "hostname": socket.gethostname()}
    )
    return now.isoformat()


@shared_task(name="arrears.tasks.daily_summaries", **RELIABLE)
def daily_summaries(day: str | None = None, by: str = "schedule") -> int:
    """The 18:00 team, office and operations reports for `day` (default today)."""
    return len(summaries.produce_daily(_day(day, timezone.localdate()), by=by))


@shared_task(name="arrears.tasks.morning_brief", **RELIABLE)
def morning_brief(day: str | None = None, by: str = "schedule") -> int:
    """The director's brief on `day` (default yesterday), ready before 09:00."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return len(summaries.produce_brief(_day(day, yesterday), by=by))


@shared_task(name="arrears.tasks.weekly_pack", **RELIABLE)
def weekly_pack(week_of: str | None = None, by: str = "schedule") -> int:
    """The Monday 16:00 meeting pack for the week of `week_of` (default this week)."""
    return len(summaries.produce_weekly(_day(week_of, timezone.localdate()), by=by))


@shared_task(name="arrears.tasks.catch_up_summaries", **RELIABLE)
def catch_up_summaries() -> int:
    return len(summaries.catch_up())


@shared_task(name="arrears.tasks.run_import_job", **RELIABLE)
def run_import_job(job_id: int) -> str:
    """A large ledger preview or import (arrears.import_jobs)."""
    from .import_jobs import job_run

    return job_run(job_id).status
