"""The ledger import pages: upload → dry-run preview → commit → report.

The uploaded file waits between preview and commit in a private directory under VAR_DIR,
named by a random token that is also kept in the uploader's session: the commit re-reads
exactly the file that was previewed, and nobody can name another person's upload.
"""

import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from arrears import scoping
from arrears.downloads import attachment
from arrears.models import ImportJob, Role
from arrears.roles import role_of
from imports.jobs import FOREGROUND_ROWS, job_progress, job_start
from imports.ledger_import import MAX_BYTES, LedgerFileError, ledger_import, parse_workbook
from imports.ledger_import import template_workbook as build_template

SESSION_KEY = "ledger_imports"
KEEP_SECONDS = 24 * 3600
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerUploadForm(forms.Form):
    # The campaign is looked up through scoping in the view (another office's → 404).
    campaign = forms.IntegerField(label=gettext_lazy("Campaign"), widget=forms.Select)
    file = forms.FileField(label=gettext_lazy("Ledger (.xlsx)"))
    create_households = forms.BooleanField(
        label=gettext_lazy("Create households the office does not have yet"),
        required=False,
        initial=True,
    )
    update_amounts = forms.BooleanField(
        label=gettext_lazy("Replace amounts already held that differ from the file"),
        required=False,
    )

    def __init__(self, *args, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].widget.choices = [(c.pk, f"{c.office} · {c}") for c in campaigns]
        self.fields["file"].widget.attrs["accept"] = ".xlsx"
        for name in ("campaign", "file"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 10 MB. Split the ledger into parts.")
            )
        return upload


def _require_manager(user) -> None:
    if role_of(user) not in (Role.OFFICE_MANAGER, Role.ADMINISTRATOR):
        raise PermissionDenied


def _campaigns(user):
    return scoping.campaigns(user).order_by("office__name", "-start_date")


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _store(upload) -> str:
    """Keep the upload until the commit; old leftovers are swept on the way."""
    directory = _upload_dir()
    for old in directory.glob("*.xlsx"):
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    with open(directory / f"{token}.xlsx", "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def _stored(request, token: str) -> tuple[Path, dict]:
    # Only tokens this session was given name a file, so a posted token never reaches the
    # file system unchecked.
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None:
        raise Http404(_("This upload has expired. Upload the file again."))
    path = _upload_dir() / f"{token}.xlsx"
    if not path.exists():
        raise Http404(_("This upload has expired. Upload the file again."))
    return path, entry


def _run(request, *, campaign, file, options, dry_run):
    try:
        parsed = parse_workbook(file)
    except LedgerFileError as exc:
        return None, str(exc)
    report = ledger_import(
        parsed=parsed,
        office=campaign.office,
        campaign=campaign,
        by=request.user,
        dry_run=dry_run,
        **options,
    )
    return report, None


@require_http_methods(["GET", "POST"])
def ledger_upload(request):
    _require_manager(request.user)
    campaigns = _campaigns(request.user)
    form = LedgerUploadForm(request.POST or None, request.FILES or None, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        campaign = get_object_or_404(campaigns, pk=form.cleaned_data["campaign"])
        options = {
            "create_households": form.cleaned_data["create_households"],
            "update_amounts": form.cleaned_data["update_amounts"],
        }
        upload = form.cleaned_data["file"]
        large = _large(upload)
        if large:
            # Too many rows for one request: a worker previews it, the page shows progress.
            upload.seek(0)
            path = _upload_dir() / f"{_store(upload)}.xlsx"
            job = job_start(
                campaign=campaign,
                path=path,
                file_name=upload.name,
                options=options,
                dry_run=True,
                rows=large,
                by=request.user,
            )
            return redirect("import-job", pk=job.pk)
        upload.seek(0)
        report, error = _run(request, campaign=campaign, file=upload, options=options, dry_run=True)
        if error:
            form.add_error("file", error)
        else:
            upload.seek(0)
            token = _store(upload)
            stored = request.session.get(SESSION_KEY, {})
            stored[token] = {"campaign": campaign.pk, "name": upload.name, **options}
            request.session[SESSION_KEY] = stored
            context = {"report": report, "campaign": campaign, "token": token, "name": upload.name}
            return render(request, "imports/ledger_preview.html", context)
    return render(request, "imports/ledger_form.html", {"form": form})


def _large(upload) -> int:
    """The number of rows when a file needs a background job, else 0."""
    try:
        rows = len(parse_workbook(upload).rows)
    except LedgerFileError:
        return 0  # the ordinary path explains what is wrong with the file
    return rows if rows > FOREGROUND_ROWS else 0


def _job(user, pk) -> ImportJob:
    _require_manager(user)
    return get_object_or_404(ImportJob.objects.filter(campaign__in=_campaigns(user)), pk=pk)


def import_job(request, pk):
    job = _job(request.user, pk)
    return render(request, "imports/job.html", {"job": job, "progress": job_progress(job)})


def import_job_progress(request, pk):
    """The part of the job page that htmx refreshes until the job is finished."""
    job = _job(request.user, pk)
    return render(request, "imports/job_progress.html", {"job": job, "progress": job_progress(job)})


@require_POST
def import_job_commit(request, pk):
    preview = _job(request.user, pk)
    if not (preview.dry_run and preview.status == ImportJob.Status.DONE and preview.report["ok"]):
        raise Http404
    job = job_start(
        campaign=preview.campaign,
        path=Path(preview.path),
        file_name=preview.file_name,
        options=preview.options,
        dry_run=False,
        rows=preview.rows,
        by=request.user,
    )
    return redirect("import-job", pk=job.pk)


@require_POST
def ledger_commit(request):
    _require_manager(request.user)
    token = request.POST.get("token", "")
    path, entry = _stored(request, token)
    campaign = get_object_or_404(_campaigns(request.user), pk=entry["campaign"])
    options = {k: entry[k] for k in ("create_households", "update_amounts")}
    with open(path, "rb") as file:
        report, error = _run(request, campaign=campaign, file=file, options=options, dry_run=False)
    context = {"report": report, "campaign": campaign, "token": token, "name": entry["name"]}
    if error or not report.written:
        # The ledger changed since the preview: show the problems, keep the file for a retry.
        context["error"] = error
        return render(request, "imports/ledger_preview.html", context)
    path.unlink(missing_ok=True)
    stored = request.session.get(SESSION_KEY, {})
    stored.pop(token, None)
    request.session[SESSION_KEY] = stored
    return render(request, "imports/ledger_report.html", context)


def ledger_template(request):
    _require_manager(request.user)
    return attachment(build_template(), filename="ledger-template.xlsx", content_type=XLSX)
