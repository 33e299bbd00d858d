"""The payments import pages: upload → dry-run preview → commit → report (imports.flow).

An office manager imports into their own office; an administrator chooses the office.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access, scoping
from imports.flow import Column, Flow, require_manager
from imports.payment_import import MAX_BYTES, parse_workbook, payment_import

PAYMENTS = Flow(
    session_key="payment_imports",
    parse=parse_workbook,
    preview_template="imports/payments_preview.html",
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
    file = forms.FileField(label=gettext_lazy("Billing system export (.xlsx)"))

    def __init__(self, *args, offices, choose_office: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_office:
            self.fields["office"].queryset = offices
            self.fields["office"].widget.attrs["class"] = "form-select"
        else:
            del self.fields["office"]  # a manager imports into their own office, whatever is posted
        self.fields["file"].widget.attrs.update({"accept": ".xlsx", "class": "form-control"})

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


def _run(request, *, office, file, dry_run):
    return PAYMENTS.run(
        file,
        lambda parsed: payment_import(
            parsed=parsed, office=office, by=request.user, dry_run=dry_run
        ),
    )


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
        upload = form.cleaned_data["file"]
        report, error = _run(request, office=office, file=upload, dry_run=True)
        if error:
            form.add_error("file", error)
        else:
            context = {"report": report, "office": office}
            return PAYMENTS.preview(request, upload, {"office": office.pk}, context)
    return render(request, "imports/payments_form.html", {"form": form})


@require_POST
def payment_commit(request):
    require_manager(request.user, access.may_import_payments)
    token, path, entry = PAYMENTS.stored(request)
    office = get_object_or_404(scoping.offices(request.user), pk=entry["office"])
    with open(path, "rb") as file:
        report, error = _run(request, office=office, file=file, dry_run=False)
    context = {"report": report, "error": error, "office": office, "name": entry["name"]}
    return PAYMENTS.committed(request, token, path, context)
