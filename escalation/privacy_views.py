"""Owners' personal-information requests: recorded, listed, answered. Thin: the rules are
in escalation.personal_data."""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from arrears import access
from arrears.downloads import attachment
from arrears.models import Office
from escalation.personal_data import (
    correction_changes,
    held_data,
    request_access_sent,
    request_answer_sent,
    request_correct,
    request_delete,
    request_record,
    requests_of,
)
from escalation.personal_data_docx import (
    answer_docx,
    answer_letter,
    held_data_docx,
    held_heading,
    held_sections,
)
from households.models import Household, PersonalDataRequest

MAX_ROWS = 200


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Request"), choices=PersonalDataRequest.Kind.choices
    )
    received_via = forms.ChoiceField(
        label=gettext_lazy("Received by"),
        choices=[c for c in PersonalDataRequest.Received.choices if c[0] != "statement"],
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Enter the day as YYYY-MM-DD.")},
    )
    owner = forms.TypedChoiceField(
        label=gettext_lazy("Owner"), coerce=int, required=False, empty_value=None
    )
    words = forms.CharField(
        label=gettext_lazy("The owner's words"), widget=forms.Textarea, required=False
    )
    name = forms.CharField(label=gettext_lazy("Corrected name"), max_length=100, required=False)
    phone = forms.CharField(label=gettext_lazy("Corrected phone"), max_length=40, required=False)
    phone_alt = forms.CharField(
        label=gettext_lazy("Corrected other phone"), max_length=40, required=False
    )

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—")] + [
            (o.pk, o.name or "—") for o in household.owners.all()
        ]
        self.fields["owner"].error_messages["invalid_choice"] = _(
            "Choose one of this household's owners from the list."
        )
        self.fields["kind"].error_messages["invalid_choice"] = _(
            "Choose what the owner asks for from the list."
        )
        self.fields["received_via"].error_messages["invalid_choice"] = _(
            "Choose how the request came in from the list."
        )
        for name in ("kind", "received_via", "received_on"):
            self.fields[name].error_messages["required"] = _("Fill this in: it is needed.")


def _household(user, pk) -> Household:
    if not access.may_handle_data_requests(user):
        raise PermissionDenied
    household = get_object_or_404(Household, pk=pk)
    if not access.may_handle_data_requests(user, household.office_id):
        raise Http404
    return household


def _request(user, pk) -> PersonalDataRequest:
    if not access.may_handle_data_requests(user):
        raise PermissionDenied
    found = get_object_or_404(
        PersonalDataRequest.objects.select_related(
            "household__office",
            "owner",
            "closed_by__staff_profile",
            "sent_by__staff_profile",
            "correction",
        ),
        pk=pk,
    )
    if not access.may_handle_data_requests(user, found.household.office_id):
        raise Http404
    return found


@require_GET
def data_request_list(request):
    if not access.may_handle_data_requests(request.user):
        raise PermissionDenied
    offices = [
        o for o in Office.objects.all() if access.may_handle_data_requests(request.user, o.pk)
    ]
    rows = list(requests_of(offices)[:MAX_ROWS])
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=3)
    return render(
        request,
        "escalation/data_request_list.html",
        {"rows": rows, "today": today, "soon": soon},
    )


@require_http_methods(["GET", "POST"])
def data_request_new(request, pk):
    household = _household(request.user, pk)
    form = RequestForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        owner = household.owners.filter(pk=d["owner"]).first() if d["owner"] else None
        try:
            created = request_record(
                household=household,
                kind=d["kind"],
                received_via=d["received_via"],
                received_on=d["received_on"],
                by=request.user,
                owner=owner,
                words=d["words"],
                corrections={k: d[k] for k in ("name", "phone", "phone_alt")},
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Request recorded; the answer is due by %(due)s.") % {"due": created.due_on},
            )
            return redirect("data-request-detail", created.pk)
    return render(
        request,
        "escalation/data_request_new.html",
        {"household": household, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
def data_request_detail(request, pk):
    found = _request(request.user, pk)
    return render(
        request,
        "escalation/data_request_detail.html",
        {
            "req": found,
            "changes": correction_changes(found),
            "overdue": found.status == PersonalDataRequest.Status.OPEN
            and found.due_on < timezone.localdate(),
        },
    )


@require_POST
def data_request_answer(request, pk):
    """Open: answer it (apply the correction, erase or refuse, or the document sent). Closed:
    the written answer to a correction or deletion was sent, and how."""
    found = _request(request.user, pk)
    if found.status != PersonalDataRequest.Status.OPEN:
        try:
            request_answer_sent(request=found, by=request.user, how=request.POST.get("how", ""))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The written answer is recorded as sent."))
        return redirect("data-request-detail", found.pk)
    try:
        if found.kind == PersonalDataRequest.Kind.CORRECT:
            request_correct(request=found, by=request.user)
        elif found.kind == PersonalDataRequest.Kind.DELETE:
            found = request_delete(request=found, by=request.user)
        else:
            request_access_sent(request=found, by=request.user, how=request.POST.get("how", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if found.status == PersonalDataRequest.Status.REFUSED:
            messages.warning(request, found.answer)
        else:
            messages.success(request, _("Done: the request is closed."))
    return redirect("data-request-detail", found.pk)


@require_GET
def data_request_document(request, pk):
    """The written answer, to review, print and send: for a request to see what is held, the
    document of everything held about the owners; for a correction or a deletion, once
    answered, the letter saying what was done or why not. ?format=docx: the same as a Word
    file, in Chinese (it goes to the owner)."""
    found = _request(request.user, pk)
    as_docx = request.GET.get("format") == "docx"
    unit = found.household.unit_code
    if found.kind == PersonalDataRequest.Kind.ACCESS:
        held = held_data(found.household)
        if as_docx:
            return _docx(held_data_docx(found, held), f"{unit}-personal-information.docx")
        title, intro = held_heading(found, held)
        return render(
            request,
            "escalation/data_request_document.html",
            {"req": found, "title": title, "intro": intro, "sections": held_sections(held)},
        )
    if found.status == PersonalDataRequest.Status.OPEN:
        raise Http404  # nothing to answer in writing before the request is answered
    if as_docx:
        return _docx(answer_docx(found), f"{unit}-answer-{found.pk}.docx")
    return render(
        request,
        "escalation/data_request_answer_letter.html",
        {"req": found, "letter": answer_letter(found)},
    )


def _docx(data: bytes, filename: str):
    return attachment(
        data,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
