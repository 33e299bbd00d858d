"""Large ledger imports run by a Celery worker, with their progress in the cache.

A ledger of more than FOREGROUND_ROWS rows is previewed and imported in the background: a
request must not time out on 50,000 rows. `job_start` records the job and queues it once the
request's transaction commits. A job runs once: a delivery of its message that
finds it running, done or failed does nothing. A worker that dies mid-import rolls its
transaction back, but its job stays "running" (a redelivered message cannot tell a dead
worker from a slow one); the ledger is uploaded again.
"""

import logging
from pathlib import Path

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import ImportJob
from arrears.tasks import RELIABLE
from arrears.text_flags import describe
from imports.ledger_import import LedgerFileError, ledger_import, parse_workbook

log = logging.getLogger(__name__)
FOREGROUND_ROWS = 2000
PROBLEMS_KEPT = 500


def _progress_key(job_id: int) -> str:
    return f"import-job-{job_id}"


def job_progress(job: ImportJob) -> dict:
    """{"done": n, "total": N} while running; from the job itself once finished."""
    if job.status == ImportJob.Status.DONE:
        return {"done": job.rows, "total": job.rows}
    return cache.get(_progress_key(job.pk)) or {"done": 0, "total": job.rows}


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


# The name is what queued messages carry: it stays when the module moves.
@shared_task(name="arrears.tasks.run_import_job", **RELIABLE)
def run_import_job(job_id: int) -> str:
    """A large ledger preview or import, in a worker."""
    return job_run(job_id).status


def job_run(job_id: int) -> ImportJob:
    """Run a queued job; a job that is running, done or failed is returned as it stands.

    The job is claimed with one conditional UPDATE, so of two deliveries of the same message
    (Redis hands it out again after its visibility timeout, even while the first worker is
    still at it) only one imports.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING
    )
    job = ImportJob.objects.select_related("campaign__office", "created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        with open(job.path, "rb") as file:
            parsed = parse_workbook(file)
        report = ledger_import(
            parsed=parsed,
            office=job.campaign.office,
            campaign=job.campaign,
            by=job.created_by,
            dry_run=job.dry_run,
            progress=lambda done, total: cache.set(
                _progress_key(job.pk), {"done": done, "total": total}, 86400
            ),
            **job.options,
        )
    except (LedgerFileError, OSError) as error:
        job.status, job.error = ImportJob.Status.FAILED, str(error)
    except (OperationalError, InterfaceError):
        # The import rolled back; the task retries, and its retry must be able to claim.
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.QUEUED
        )
        raise
    else:
        job.status = ImportJob.Status.DONE
        job.report = {
            "ok": report.ok,
            "written": report.written,
            "summary": [str(line) for line in report.summary_lines()],
            "problems": [str(p) for p in report.problems[:PROBLEMS_KEPT]],
            "problem_count": len(report.problems),
            "flagged": [
                f"{r.number} {r.unit}: {describe(r.flags)}"
                for r in report.flagged_rows[:PROBLEMS_KEPT]
            ],
        }
        if report.written:
            Path(job.path).unlink(missing_ok=True)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "report", "finished_at"])
    cache.delete(_progress_key(job.pk))
    return job
