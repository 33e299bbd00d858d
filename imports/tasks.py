"""Large ledgers handed to a Celery worker: the job is recorded, then queued once it commits."""

import logging
from pathlib import Path

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import ImportJob
from arrears.tasks import RELIABLE
from imports.jobs import job_run

log = logging.getLogger(__name__)


@shared_task(name="arrears.tasks.run_import_job", **RELIABLE)
def run_import_job(job_id: int) -> str:
    """A large ledger preview or import (imports.jobs)."""
    return job_run(job_id).status


def job_start(
    *, campaign, path: Path, file_name: str, options: dict, dry_run: bool, rows: int, by
) -> ImportJob:
    """Record the job and hand it to a worker once the transaction commits."""

    job = ImportJob.objects.create(
        office=campaign.office,
        campaign=campaign,
        path=str(path),
        file_name=file_name,
        options=options,
        dry_run=dry_run,
        rows=rows,
        created_by=by,
    )
    transaction.on_commit(lambda: _enqueue(run_import_job, job.pk))
    return job


def _enqueue(task, job_id: int) -> None:
    try:
        task.delay(job_id)
    except Exception:  # noqa: BLE001 - the broker is down: say so on the job page
        log.exception("import job %s could not be queued", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED,
            error=_("The background worker could not be reached. Try again in a few minutes."),
            finished_at=timezone.now(),
        )
