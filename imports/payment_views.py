"""The payments import pages: upload → (mapping step) → dry-run preview → commit → report
(imports.flow); large files go to a background job (imports.jobs), as ledgers do.

An office manager imports into their own office; an administrator chooses the office.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access, scoping
from arrears.models import ImportJob
from imports.flow import Column, Flow, require_manager, saved_mapping
from imports.payment_import import (
    MAX_BYTES,
    PAYMENT_SHEET,
    PaymentFileError,
    parse_workbook,
    payment_import,
)
from imports.steps import after_upload

PAYMENTS = Flow(
    kind=ImportJob.Kind.PAYMENTS,
    session_key="payment_imports",
    sheet=PAYMENT_SHEET,
    parse=parse_workbook,
    title=gettext_lazy("Payments import preview"),
    upload_url="payment-import",
    commit_url="payment-import-commit",
    columns_url="payment-import-columns",
    report_template="imports/payments_report.html",
    columns=(
        Column(gettext_lazy("Receipt"), "receipt"),
        Column(gettext_lazy("Unit"), "unit", kind="unit"),
        Column(gettext_lazy("Amount"), "amount", kind="money"),
        Column(gettext_lazy("Paid at"), "paid_at", kind="moment"),
    ),
)


class PaymentUploadForm(forms.Form):
    office = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Service office"))
    file = forms.FileField(label=gettext_lazy("Billing system export (.xlsx, .xls or .csv)"))

    def __init__(self, *args, offices, choose_office: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_office:
            self.fields["office"].queryset = offices
            self.fields["office"].widget.attrs["class"] = "form-select"
        else:
            del self.fields["office"]  # a manager imports into their own office, whatever is posted
        self.fields["file"].widget.attrs.update(
            {"accept": ".xlsx,.xls,.csv", "class": "form-control"}
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 10 MB. Export fewer days at a time.")
            )
        return upload


def _own_office(user):
    """A manager's office (from the scoping layer, so it is theirs and nobody else's)."""
    offices = list(scoping.offices(user)[:2])
    if len(offices) != 1:
        raise PermissionDenied
    return offices[0]


@require_http_methods(["GET", "POST"])
def payment_upload(request):
    require_manager(request.user, access.may_import_payments)
    choose = access.may_choose_import_office(request.user)
    offices = scoping.offices(request.user)
    form = PaymentUploadForm(
        request.POST or None, request.FILES or None, offices=offices, choose_office=choose
    )
    if request.method == "POST" and form.is_valid():
        office = form.cleaned_data["office"] if choose else _own_office(request.user)
        entry = {"office": office.pk, "mapping": saved_mapping(office, PAYMENTS.kind)}
        token, entry = PAYMENTS.keep(request, form.cleaned_data["file"], entry)
        response = _step(request, token, entry, office)
        if response is not None:
            return response
        form.add_error("file", entry["error"])
    return render(request, "imports/payments_form.html", {"form": form})


def _step(request, token, entry, office, mapping_form=None):
    return after_upload(
        request,
        PAYMENTS,
        token,
        entry,
        office=office,
        mapping_form=mapping_form,
        dry_run=lambda parsed: payment_import(
            parsed=parsed, office=office, by=request.user, dry_run=True
        ),
    )


def _office(request, entry):
    return get_object_or_404(scoping.offices(request.user), pk=entry["office"])


@require_POST
def payment_columns(request):
    require_manager(request.user, access.may_import_payments)
    token, entry = PAYMENTS.stored(request)
    office = _office(request, entry)
    return PAYMENTS.columns_step(
        request,
        token,
        entry,
        office=office,
        step=lambda token, entry, form: _step(request, token, entry, office, form),
    )


@require_POST
def payment_commit(request):
    require_manager(request.user, access.may_import_payments)
    token, entry = PAYMENTS.stored(request)
    office = _office(request, entry)
    context = {"office": office, "name": entry["name"]}
    try:
        parsed = PAYMENTS.read(token, entry, entry["mapping"])
    except PaymentFileError as error:
        return PAYMENTS.committed(request, token, None, None, str(error), **context)
    report = payment_import(
        parsed=parsed,
        office=office,
        by=request.user,
        dry_run=False,
        accept_warnings=request.POST.get("accept_warnings") == "on",
    )
    return PAYMENTS.committed(request, token, parsed, report, "", **context)
