"""The dispute page and its steps (issue 17.2), scoped like the case: a dispute of a case the
user may not see is 404. Thin: the rules are in households.disputes and
escalation.dispute_answers."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from arrears import access, scoping
from arrears.pages import add_errors
from arrears.refusals import refuses_unlawful_posts
from escalation.dispute_answers import (
    dispute_answer_issue,
    dispute_decide,
    dispute_page,
    dispute_queryset,
    receipt_matches,
)
from escalation.forms import (
    AnswerForm,
    ReceiptCheckForm,
    ResolveDisputeForm,
    WaiverDecisionForm,
    WorkDoneForm,
)
from escalation.models import Waiver
from households import disputes

# Files the browser may be told the type of; anything else is handed out as bytes. Every
# file is an attachment, never shown inline (an uploaded page must not run in ours).
SAFE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
STEPS = ("receipt", "done", "answer", "resolve")


def _disputes(user):
    return dispute_queryset().filter(case__in=scoping.cases(user))


def safe_filename(name: str, fallback: str) -> str:
    """The uploaded name without folders, control characters or quotes, at most 100
    characters; `fallback` when nothing is left."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*;]", "", name).strip(" .")
    return name[:100] or fallback


def _forms(request, page, bound=None):
    """The forms the user may post on this dispute now (one of them bound after an error)."""
    user, dispute, bound = request.user, page.dispute, bound or {}
    follows = access.may_follow_dispute(user) and page.state != disputes.RESOLVED
    forms = {}
    if follows and dispute.kind == "amount":
        forms["receipt"] = bound.get("receipt") or ReceiptCheckForm()
    if follows and page.work_order is not None and page.work_order.done_at is None:
        forms["done"] = bound.get("done") or WorkDoneForm()
    if (
        follows
        and page.state == disputes.OPEN
        and page.pending_letter is None
        and user.has_perm("escalation.add_letter")
    ):
        forms["answer"] = bound.get("answer") or AnswerForm()
    if page.state == disputes.ANSWERED and access.may_resolve_dispute(user, dispute):
        forms["resolve"] = bound.get("resolve") or ResolveDisputeForm()
    return forms


def _render(request, dispute, *, bound=None, status=200):
    page = dispute_page(dispute)
    forms = _forms(request, page, bound)
    for step, form in (bound or {}).items():
        if step not in forms:  # a step the page does not offer now, posted all the same
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
    may_decide = access.may_decide_waiver(request.user) and any(
        w.status == Waiver.Status.PENDING for w in page.waivers
    )
    return render(
        request,
        "escalation/dispute_detail.html",
        {
            "page": page,
            "dispute": dispute,
            "case": dispute.case,
            "forms": forms,
            "matches": receipt_matches(dispute),
            "waiver_form": WaiverDecisionForm() if may_decide else None,
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_GET
def dispute_detail(request, pk):
    dispute = get_object_or_404(_disputes(request.user), pk=pk)
    return _render(request, dispute)


@require_GET
def dispute_file(request, pk):
    """The file the owner gave with the dispute: staff who may see the case only, always as
    a download."""
    dispute = get_object_or_404(_disputes(request.user).exclude(file=""), pk=pk)
    content_type = dispute.content_type if dispute.content_type in SAFE_TYPES else ""
    response = FileResponse(
        dispute.file.open("rb"),
        as_attachment=True,
        filename=safe_filename(dispute.original_name, f"dispute-{dispute.pk}"),
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@refuses_unlawful_posts
def dispute_step(request, pk, step):
    """One step after the dispute was recorded: the receipt check, the department's "done",
    the written answer issued (a letter), or the office manager's resolution."""
    if step not in STEPS:
        raise Http404
    user = request.user
    if step == "resolve" and not access.may_resolve_dispute(user):
        raise PermissionDenied
    if step != "resolve" and not access.may_follow_dispute(user):
        raise PermissionDenied
    if step == "answer" and not user.has_perm("escalation.add_letter"):
        raise PermissionDenied
    dispute = get_object_or_404(_disputes(user), pk=pk)
    if step == "resolve" and not access.may_resolve_dispute(user, dispute):
        raise PermissionDenied
    form_class = {
        "receipt": ReceiptCheckForm,
        "done": WorkDoneForm,
        "answer": AnswerForm,
        "resolve": ResolveDisputeForm,
    }[step]
    form = form_class(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if step == "receipt":
                disputes.dispute_receipt_check(dispute=dispute, by=user, **data)
                done = _("Receipt check recorded.")
            elif step == "done":
                disputes.dispute_work_done(dispute=dispute, by=user, note=data["note"])
                done = _("Recorded: the department reports it fixed.")
            elif step == "answer":
                letter = dispute_answer_issue(dispute=dispute, by=user, **data)
                messages.success(
                    request,
                    _(
                        "Answer %(ref)s issued: print it, send it, then record its delivery. "
                        "Collection on the disputed months resumes once it is delivered."
                    )
                    % {"ref": letter.reference},
                )
                return redirect("letter-detail", letter.pk)
            else:
                _event, waiver = dispute_decide(dispute=dispute, by=user, **data)
                done = (
                    _("Dispute upheld: the waiver of %(amount)s awaits approval below.")
                    % {"amount": waiver.amount}
                    if waiver
                    else _("Resolution recorded.")
                )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("dispute-detail", dispute.pk)
    return _render(request, dispute, bound={step: form}, status=400)
