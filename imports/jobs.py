"""Large imports (ledgers and payments) run by a Celery worker, with their progress in the cache.

A file of more than FOREGROUND_ROWS rows is previewed and imported in the background: a
request must not time out on 50,000 rows. The job keeps what the preview used (the columns the
office named, the options) so that the import reads the file exactly as the preview did. `job_start` records the job and queues it once the
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

from arrears.messages import describe
from arrears.models import ImportJob
from arrears.tasks import RELIABLE
from imports import ledger_import as ledger
from imports import payment_import as payments
from imports.flow import stored_path
from imports.ledger_import import ledger_import
from imports.payment_import import payment_import
from imports.sheet import SheetFileError

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
    *,
    kind: str,
    office,
    campaign=None,
    token: str,
    file_kind: str,
    file_name: str,
    options: dict,
    rows: int,
    by,
) -> ImportJob:
    """Record a preview job for a stored upload and hand it to a worker once the transaction
    commits. `options`: the import's keyword arguments, and "columns", the mapping used."""
    return _queued(
        kind=kind,
        office=office,
        campaign=campaign,
        path=str(stored_path(token, file_kind)),
        file_name=file_name,
        options=options,
        dry_run=True,
        rows=rows,
        created_by=by,
    )


def job_restart(*, preview: ImportJob, by, accept_warnings: bool) -> ImportJob:
    """The import of a previewed file, as previewed."""
    return _queued(
        kind=preview.kind,
        office=preview.office,
        campaign=preview.campaign,
        path=preview.path,
        file_name=preview.file_name,
        options={**preview.options, "accept_warnings": accept_warnings},
        dry_run=False,
        rows=preview.rows,
        created_by=by,
    )


def _queued(**fields) -> ImportJob:
    job = ImportJob.objects.create(**fields)
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
    """A large preview or import, in a worker."""
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
    job = ImportJob.objects.select_related("office", "campaign", "created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        parsed, report = _run(job)
    except (SheetFileError, OSError) as error:
        job.status, job.error = ImportJob.Status.FAILED, str(error)
    except (OperationalError, InterfaceError):
        # The import rolled back; the task retries, and its retry must be able to claim.
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.QUEUED
        )
        raise
    else:
        job.status = ImportJob.Status.DONE
        job.report = _kept(parsed, report)
        if report.written:
            Path(job.path).unlink(missing_ok=True)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "report", "finished_at"])
    cache.delete(_progress_key(job.pk))
    return job


def _run(job: ImportJob):
    """Read the job's file as its preview did and run its import."""
    options = dict(job.options)
    mapping = options.pop("columns", None)

    def progress(done, total):
        cache.set(_progress_key(job.pk), {"done": done, "total": total}, 86400)

    module = payments if job.kind == ImportJob.Kind.PAYMENTS else ledger
    with open(job.path, "rb") as file:
        parsed = module.parse_workbook(file, name=job.file_name, mapping=mapping)
    common = {"parsed": parsed, "office": job.office, "dry_run": job.dry_run, "progress": progress}
    if job.kind == ImportJob.Kind.PAYMENTS:
        report = payment_import(by=job.created_by, **common, **options)
    else:
        report = ledger_import(campaign=job.campaign, by=job.created_by, **common, **options)
    return parsed, report


def _kept(parsed, report) -> dict:
    """What the job page shows of a report. Only texts: sensitive columns were never read,
    so no value of theirs can be here."""
    return {
        "ok": report.ok,
        "written": report.written,
        "summary": [str(line) for line in [*report.summary_lines(), *report.notes]],
        "problems": [str(p) for p in report.problems[:PROBLEMS_KEPT]],
        "problem_count": len(report.problems),
        "warnings": [str(w) for w in report.warnings[:PROBLEMS_KEPT]],
        "warning_count": len(report.warnings),
        "flagged": [
            f"{r.number} {r.unit}: {describe(r.flags)}" for r in report.flagged_rows[:PROBLEMS_KEPT]
        ],
        "columns": [
            {
                "letter": c.letter,
                "header": c.header,
                "label": c.label,
                "sensitive": c.sensitive_text,
                "ignored": c.ignored,
            }
            for c in parsed.all_columns
        ],
    }
