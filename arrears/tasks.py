"""Celery tasks of the core, and the delivery terms every task of the project shares.

Task names are written out (`name=`): they are what queued messages and beat entries carry,
so they stay the same when a module moves.
"""

import socket

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from arrears.models import WorkerHeartbeat

TRANSIENT = (OperationalError, InterfaceError)
# Every task acknowledges late (a worker that dies mid-task leaves the message to be handed
# out again), retries on transient database errors, and is safe to run twice.
RELIABLE = {
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,
    "retry_kwargs": {"max_retries": 6},
    "ignore_result": True,
}


@shared_task(name="arrears.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat() -> str:
    """Note that a worker is alive; beat schedules this every minute."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": now, "hostname": socket.gethostname()}
    )
    return now.isoformat()
