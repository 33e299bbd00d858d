"""The payments import pages: upload → dry-run preview → commit → report.

As for the ledger import (`imports.views`), the upload waits between preview and commit
under a random token that only the uploader's session knows. An office manager imports into
their own office; an administrator chooses the office.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access, scoping
from imports.payment_import import MAX_BYTES, PaymentFileError, parse_workbook, payment_import
from imports.views import _store, _upload_dir

SESSION_KEY = "payment_imports"


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


def _require_manager(user) -> None:
    if not access.may_import_payments(user):
        raise PermissionDenied


def _own_office(user):
    """A manager's office (from the scoping layer, so it is theirs and nobody else's)."""
    offices = list(scoping.offices(user)[:2])
    if len(offices) != 1:
        raise PermissionDenied
    return offices[0]


def _run(request, *, office, file, dry_run):
    try:
        parsed = parse_workbook(file)
    except PaymentFileError as exc:
        return None, str(exc)
    return payment_import(parsed=parsed, office=office, by=request.user, dry_run=dry_run), None


def _stored(request, token: str):
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if entry is None:
        raise Http404(_("This upload has expired. Upload the file again."))
    path = _upload_dir() / f"{token}.xlsx"
    if not path.exists():
        raise Http404(_("This upload has expired. Upload the file again."))
    return path, entry


@require_http_methods(["GET", "POST"])
def payment_upload(request):
    _require_manager(request.user)
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
            upload.seek(0)
            token = _store(upload)
            stored = request.session.get(SESSION_KEY, {})
            stored[token] = {"office": office.pk, "name": upload.name}
            request.session[SESSION_KEY] = stored
            context = {"report": report, "office": office, "token": token, "name": upload.name}
            return render(request, "imports/payments_preview.html", context)
    return render(request, "imports/payments_form.html", {"form": form})


@require_POST
def payment_commit(request):
    _require_manager(request.user)
    token = request.POST.get("token", "")
    path, entry = _stored(request, token)
    office = get_object_or_404(scoping.offices(request.user), pk=entry["office"])
    with open(path, "rb") as file:
        report, error = _run(request, office=office, file=file, dry_run=False)
    context = {"report": report, "office": office, "token": token, "name": entry["name"]}
    if error or not report.written:
        # Something changed since the preview: show the problems, keep the file for a retry.
        context["error"] = error
        return render(request, "imports/payments_preview.html", context)
    path.unlink(missing_ok=True)
    stored = request.session.get(SESSION_KEY, {})
    stored.pop(token, None)
    request.session[SESSION_KEY] = stored
    return render(request, "imports/payments_report.html", context)
