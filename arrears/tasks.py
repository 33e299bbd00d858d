import socket

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(ignore_result=True)
def record_heartbeat() -> str:
    """Note that a worker is alive; beat schedules this every minute."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": now, "hostname": socket.gethostname()}
    )
    return now.isoformat()
