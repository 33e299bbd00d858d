"""The ledger import pages: upload → (mapping step) → dry-run preview → commit → report
(imports.flow), and the background jobs that preview and import large files of any import
(imports.jobs).
"""

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access, scoping
from arrears.downloads import attachment
from arrears.models import ImportJob
from imports.flow import Column, Flow, require_manager, saved_mapping
from imports.jobs import job_progress, job_restart
from imports.ledger_import import (
    LEDGER_SHEET,
    MAX_BYTES,
    LedgerFileError,
    ledger_import,
    parse_workbook,
)
from imports.ledger_import import template_workbook as build_template
from imports.steps import after_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPT = ".xlsx,.xls,.csv"
OPTIONS = ("create_households", "update_amounts")
LEDGER = Flow(
    kind=ImportJob.Kind.LEDGER,
    session_key="ledger_imports",
    sheet=LEDGER_SHEET,
    parse=parse_workbook,
    title=gettext_lazy("Import preview"),
    upload_url="ledger-import",
    commit_url="ledger-import-commit",
    columns_url="ledger-import-columns",
    report_template="imports/ledger_report.html",
    columns=(
        Column(gettext_lazy("Unit"), "unit", kind="unit"),
        Column(gettext_lazy("Months"), "period"),
    ),
)


class LedgerUploadForm(forms.Form):
    # The campaign is looked up through scoping in the view (another office's → 404).
    campaign = forms.IntegerField(label=gettext_lazy("Campaign"), widget=forms.Select)
    file = forms.FileField(label=gettext_lazy("Ledger (.xlsx, .xls or .csv)"))
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
        self.fields["file"].widget.attrs["accept"] = ACCEPT
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


@require_http_methods(["GET", "POST"])
def ledger_upload(request):
    require_manager(request.user, access.may_import_ledger)
    campaigns = _campaigns(request.user)
    form = LedgerUploadForm(request.POST or None, request.FILES or None, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        campaign = get_object_or_404(campaigns, pk=form.cleaned_data["campaign"])
        options = {name: form.cleaned_data[name] for name in OPTIONS}
        mapping = saved_mapping(campaign.office, LEDGER.kind)
        entry = {"campaign": campaign.pk, "options": options, "mapping": mapping}
        token, entry = LEDGER.keep(request, form.cleaned_data["file"], entry)
        response = _step(request, token, entry, campaign)
        if response is not None:
            return response
        form.add_error("file", entry["error"])
    return render(request, "imports/ledger_form.html", {"form": form})


def _step(request, token, entry, campaign, mapping_form=None):
    options = entry["options"]
    return after_upload(
        request,
        LEDGER,
        token,
        entry,
        office=campaign.office,
        campaign=campaign,
        options=options,
        mapping_form=mapping_form,
        dry_run=lambda parsed: ledger_import(
            parsed=parsed,
            office=campaign.office,
            campaign=campaign,
            by=request.user,
            dry_run=True,
            **options,
        ),
    )


@require_POST
def ledger_columns(request):
    """The mapping step's answer (or, from the preview, a change of the columns)."""
    require_manager(request.user, access.may_import_ledger)
    token, entry = LEDGER.stored(request)
    campaign = get_object_or_404(_campaigns(request.user), pk=entry["campaign"])
    return LEDGER.columns_step(
        request,
        token,
        entry,
        office=campaign.office,
        step=lambda token, entry, form: _step(request, token, entry, campaign, form),
        campaign=campaign,
    )


@require_POST
def ledger_commit(request):
    require_manager(request.user, access.may_import_ledger)
    token, entry = LEDGER.stored(request)
    campaign = get_object_or_404(_campaigns(request.user), pk=entry["campaign"])
    context = {"campaign": campaign, "name": entry["name"]}
    try:
        parsed = LEDGER.read(token, entry, entry["mapping"])
    except LedgerFileError as error:
        return LEDGER.committed(request, token, None, None, str(error), **context)
    report = ledger_import(
        parsed=parsed,
        office=campaign.office,
        campaign=campaign,
        by=request.user,
        dry_run=False,
        accept_warnings=request.POST.get("accept_warnings") == "on",
        **entry["options"],
    )
    return LEDGER.committed(request, token, parsed, report, "", **context)


def ledger_template(request):
    require_manager(request.user, access.may_import_ledger)
    return attachment(build_template(), filename="ledger-template.xlsx", content_type=XLSX)


# --- background jobs (both imports) ----------------------------------------------------------


def _job(user, pk) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.kind == ImportJob.Kind.PAYMENTS:
        require_manager(user, access.may_import_payments)
        if not scoping.offices(user).filter(pk=job.office_id).exists():
            raise Http404
    else:
        require_manager(user, access.may_import_ledger)
        if not _campaigns(user).filter(pk=job.campaign_id).exists():
            raise Http404
    return job


def _job_page(request, job, template, **context):
    upload = "payment-import" if job.kind == ImportJob.Kind.PAYMENTS else "ledger-import"
    return render(
        request,
        template,
        {"job": job, "progress": job_progress(job), "upload": upload, **context},
    )


def import_job(request, pk):
    return _job_page(request, _job(request.user, pk), "imports/job.html")


def import_job_progress(request, pk):
    """The part of the job page that htmx refreshes until the job is finished."""
    return _job_page(request, _job(request.user, pk), "imports/job_progress.html")


@require_POST
def import_job_commit(request, pk):
    preview = _job(request.user, pk)
    if not (preview.dry_run and preview.status == ImportJob.Status.DONE and preview.report["ok"]):
        raise Http404
    accepted = request.POST.get("accept_warnings") == "on"
    if preview.report.get("warning_count") and not accepted:
        error = _("The file has warnings: read them, tick “I have read the warnings” and import.")
        return _job_page(request, preview, "imports/job.html", error=error)
    job = job_restart(preview=preview, by=request.user, accept_warnings=accepted)
    return redirect("import-job", pk=job.pk)
