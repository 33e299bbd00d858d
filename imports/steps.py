"""The step after an upload (or after the mapping step), the same for every import: read the
stored file with the columns the office gave; ask what the columns are when a required one is
still missing; hand a large file to a worker (imports.jobs); else show the dry run.

It lives apart from imports.flow because it starts jobs, and jobs read stored uploads
through flow."""

from collections.abc import Callable

from django.shortcuts import redirect

from imports.flow import Flow
from imports.jobs import FOREGROUND_ROWS, job_start
from imports.sheet import SheetFileError


def after_upload(
    request,
    flow: Flow,
    token: str,
    entry: dict,
    *,
    office,
    dry_run: Callable,
    campaign=None,
    options: dict | None = None,
    mapping_form=None,
):
    """The mapping page, a redirect to the job, or the preview; None (with entry["error"])
    when the file cannot be read at all. `dry_run(parsed)` is the import's dry run; `options`
    are its keyword arguments, which a job keeps."""
    place = {"campaign": campaign} if campaign is not None else {"office": office}
    try:
        parsed = flow.read(token, entry, entry["mapping"])
    except SheetFileError as error:
        if error.columns:
            return flow.mapping_page(request, token, error, mapping_form, **place)
        flow.forget(request, token)
        entry["error"] = str(error)
        return None
    if len(parsed.rows) > FOREGROUND_ROWS:
        # Too many rows for one request: a worker previews it, the page shows progress.
        job = job_start(
            kind=flow.kind,
            office=office,
            campaign=campaign,
            token=token,
            file_kind=entry["kind"],
            file_name=entry["name"],
            options={**(options or {}), "columns": entry["mapping"]},
            rows=len(parsed.rows),
            by=request.user,
        )
        flow.forget_entry(request, token)  # the job keeps the file
        return redirect("import-job", pk=job.pk)
    return flow.preview(request, token, parsed, dry_run(parsed), name=entry["name"], **place)
