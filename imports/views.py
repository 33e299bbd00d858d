"""The ledger import pages: upload → dry-run preview → commit → report (imports.flow), and
the background jobs that preview and import large ledgers (imports.jobs).
"""

from pathlib import Path

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access, scoping
from arrears.downloads import attachment
from arrears.models import ImportJob
from imports.flow import Column, Flow, require_manager, store, upload_dir
from imports.jobs import FOREGROUND_ROWS, job_progress, job_start
from imports.ledger_import import MAX_BYTES, LedgerFileError, ledger_import, parse_workbook
from imports.ledger_import import template_workbook as build_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPTIONS = ("create_households", "update_amounts")
LEDGER = Flow(
    session_key="ledger_imports",
    parse=parse_workbook,
    preview_template="imports/ledger_preview.html",
    report_template="imports/ledger_report.html",
    columns=(Column(gettext_lazy("Unit"), "unit", kind="unit"),),
)


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


def _campaigns(user):
    return scoping.campaigns(user).order_by("office__name", "-start_date")


def _run(request, *, campaign, file, options, dry_run):
    return LEDGER.run(
        file,
        lambda parsed: ledger_import(
            parsed=parsed,
            office=campaign.office,
            campaign=campaign,
            by=request.user,
            dry_run=dry_run,
            **options,
        ),
    )


@require_http_methods(["GET", "POST"])
def ledger_upload(request):
    require_manager(request.user, access.may_import_ledger)
    campaigns = _campaigns(request.user)
    form = LedgerUploadForm(request.POST or None, request.FILES or None, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        campaign = get_object_or_404(campaigns, pk=form.cleaned_data["campaign"])
        options = {name: form.cleaned_data[name] for name in OPTIONS}
        upload = form.cleaned_data["file"]
        large = _large(upload)
        if large:
            # Too many rows for one request: a worker previews it, the page shows progress.
            upload.seek(0)
            path = upload_dir() / f"{store(upload)}.xlsx"
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
            entry = {"campaign": campaign.pk, **options}
            return LEDGER.preview(request, upload, entry, {"report": report, "campaign": campaign})
    return render(request, "imports/ledger_form.html", {"form": form})


def _large(upload) -> int:
    """The number of rows when a file needs a background job, else 0."""
    try:
        rows = len(parse_workbook(upload).rows)
    except LedgerFileError:
        return 0  # the ordinary path explains what is wrong with the file
    return rows if rows > FOREGROUND_ROWS else 0


def _job(user, pk) -> ImportJob:
    require_manager(user, access.may_import_ledger)
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
    require_manager(request.user, access.may_import_ledger)
    token, path, entry = LEDGER.stored(request)
    campaign = get_object_or_404(_campaigns(request.user), pk=entry["campaign"])
    options = {name: entry[name] for name in OPTIONS}
    with open(path, "rb") as file:
        report, error = _run(request, campaign=campaign, file=file, options=options, dry_run=False)
    context = {"report": report, "error": error, "campaign": campaign, "name": entry["name"]}
    return LEDGER.committed(request, token, path, context)


def ledger_template(request):
    require_manager(request.user, access.may_import_ledger)
    return attachment(build_template(), filename="ledger-template.xlsx", content_type=XLSX)
