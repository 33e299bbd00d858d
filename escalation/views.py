"""Letters, payment plans and the legal stage on the case page. Thin: the rules are in
escalation.letter_records, .plans and .proceedings."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from arrears import access, scoping
from arrears.downloads import attachment
from arrears.inputs import parse_ids
from arrears.pages import add_errors, scoped_case
from arrears.refusals import refuses_unlawful_posts
from escalation.forms import (
    DeliveryForm,
    DispatchForm,
    IssueLettersForm,
    LegalStepForm,
    OpenLegalForm,
    PlanDecisionForm,
    PlanForm,
    ReturnForm,
    WaiverDecisionForm,
)
from escalation.letter_docx import letters_docx
from escalation.letter_records import (
    letter_issue,
    letter_record_delivery,
    letter_record_dispatch,
    letter_record_return,
    letters_issue_batch,
)
from escalation.letters import KINDS, MIN_DEADLINE_DAYS, issued_letter, letter_for
from escalation.models import (
    LegalAction,
    Letter,
    PaymentPlan,
    PlanProposal,
    PlanProposalDecision,
    Waiver,
)
from escalation.plan_offers import offer_accept
from escalation.plan_proposals import proposal_decide
from escalation.plans import plan_record
from escalation.proceedings import LegalStageRefused, legal_open, legal_record_step, waiver_decide
from households.evidence import sniff_content_type

MAX_BATCH = 200


def _flash(request, error) -> None:
    """Errors of a form posted from a panel of the case page, shown there as messages: a
    ValidationError, or a bound form's errors with each field's label."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
        return
    for field, errors in error.errors.items():
        label = error.fields[field].label if field in error.fields else ""
        for message in errors:
            messages.error(request, f"{label}: {message}" if label else message)


def _letters(user):
    return Letter.objects.filter(case__in=scoping.cases(user)).select_related(
        "case__household", "case__campaign__office", "issued_by"
    )


def _docx_response(data: bytes, filename: str) -> HttpResponse:
    return attachment(
        data,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


@require_GET
def letter_preview(request, pk, kind):
    """What a letter would say today, before it is issued (nothing is recorded)."""
    if kind not in KINDS:
        raise Http404
    case = scoped_case(request.user, pk)
    try:
        days = min(max(int(request.GET.get("days", MIN_DEADLINE_DAYS)), MIN_DEADLINE_DAYS), 90)
    except ValueError:
        days = MIN_DEADLINE_DAYS
    letter = letter_for(case, kind=kind, dated=timezone.localdate(), deadline_days=days)
    if request.GET.get("format") == "docx":
        return _docx_response(letters_docx([letter]), f"{case.household.unit_code}-{kind}.docx")
    return render(
        request,
        "escalation/letter.html",
        {
            "letter": letter,
            "text": letter.paragraphs(),
            "preview": True,
            "days": days,
            "can_issue": request.user.has_perm("escalation.add_letter"),
        },
    )


@permission_required("escalation.add_letter", raise_exception=True)
@require_POST
def letter_issue_view(request, pk, kind):
    if kind not in KINDS:
        raise Http404
    case = scoped_case(request.user, pk)
    form = IssueLettersForm({"kind": kind, "deadline_days": request.POST.get("deadline_days")})
    if not form.is_valid():
        _flash(request, form)
        return redirect("case-letter", case.pk, kind)
    try:
        letter = letter_issue(
            case=case, kind=kind, by=request.user, deadline_days=form.cleaned_data["deadline_days"]
        )
    except ValidationError as error:
        _flash(request, error)
        return redirect("case-detail", case.pk)
    messages.success(
        request,
        _("Letter %(ref)s issued: print it, send it, then record its delivery.")
        % {"ref": letter.reference},
    )
    return redirect("letter-detail", letter.pk)


def _letter_page(request, letter, *, forms=None, status=200):
    forms = forms or {}
    can_record = request.user.has_perm("escalation.change_letter")
    content = issued_letter(letter)
    context = {
        "letter": content,
        "record": letter,
        "text": content.paragraphs(),
        "can_record": can_record,
        "evidence": letter.outcome_attempt.evidence.all() if letter.outcome_attempt_id else [],
    }
    if can_record and letter.status == Letter.Status.ISSUED:
        context["dispatch_form"] = forms.get("dispatch") or DispatchForm(
            initial={"sent_on": timezone.localdate()}
        )
    if can_record and letter.status in (Letter.Status.ISSUED, Letter.Status.SENT):
        context["delivery_form"] = forms.get("delivery") or DeliveryForm(letter=letter)
    if can_record and letter.status == Letter.Status.SENT:
        context["return_form"] = forms.get("return") or ReturnForm()
    return render(request, "escalation/letter.html", context, status=status)


@require_GET
def letter_detail(request, letter_id):
    letter = get_object_or_404(_letters(request.user), pk=letter_id)
    if request.GET.get("format") == "docx":
        return _docx_response(letters_docx([issued_letter(letter)]), f"{letter.reference}.docx")
    return _letter_page(request, letter)


@permission_required("escalation.change_letter", raise_exception=True)
@require_POST
@refuses_unlawful_posts
def letter_record(request, letter_id, step):
    letter = get_object_or_404(_letters(request.user), pk=letter_id)
    if step == "dispatch":
        form = DispatchForm(request.POST)
        record = letter_record_dispatch
    elif step == "delivery":
        form = DeliveryForm(request.POST, request.FILES, letter=letter)
        record = letter_record_delivery
    elif step == "return":
        form = ReturnForm(request.POST)
        record = letter_record_return
    else:
        raise Http404
    if form.is_valid():
        data = dict(form.cleaned_data)
        if step == "delivery":
            data["scans"] = data.pop("evidence")
            data.setdefault("method", "")
        if step == "return":
            data["reason"] = data.pop("return_reason")
        try:
            record(letter=letter, by=request.user, **data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Recorded on %(ref)s.") % {"ref": letter.reference})
            return redirect("letter-detail", letter.pk)
    return _letter_page(request, letter, forms={step: form}, status=400)


@require_POST
def letter_batch(request):
    """Letters for the cases a manager ticked on the case list, issued at once."""
    if not access.may_batch_letters(request.user):
        raise PermissionDenied
    form = IssueLettersForm(request.POST)
    ids = parse_ids(request.POST.getlist("case"))[: MAX_BATCH + 1]
    if not ids:
        messages.error(request, _("Tick the cases to write to first, then issue the letters."))
        return redirect("case-list")
    if len(ids) > MAX_BATCH:
        messages.error(
            request, _("At most %(n)d letters at once: filter the list further.") % {"n": MAX_BATCH}
        )
        return redirect("case-list")
    if not form.is_valid():
        _flash(request, form)
        return redirect("case-list")
    cases = (
        scoping.cases(request.user)
        .filter(pk__in=ids)
        .select_related("household", "campaign__office")
        .order_by("household__unit_code")
    )
    batch = letters_issue_batch(
        cases=cases,
        kind=form.cleaned_data["kind"],
        by=request.user,
        deadline_days=form.cleaned_data["deadline_days"],
    )
    if batch.skipped:
        messages.warning(
            request,
            _("No letter for %(units)s: nothing is owed.")
            % {"units": ", ".join(c.household.unit_code for c in batch.skipped)},
        )
    if not batch.letters:
        if not batch.skipped:
            messages.error(request, _("None of the ticked cases is one you may write to."))
        return redirect("case-list")
    query = "&".join(f"id={letter.pk}" for letter in batch.letters)
    messages.success(request, _("%(n)d letters issued.") % {"n": len(batch.letters)})
    return redirect(f"{reverse('letter-list')}?{query}")


@permission_required("escalation.view_letter", raise_exception=True)
@require_GET
def letter_list(request):
    """Letters in the user's scope: the newest, those awaiting delivery, or a batch just issued."""
    letters = _letters(request.user)
    ids = parse_ids(request.GET.getlist("id"))
    status = request.GET.get("status", "")
    if ids:
        letters = letters.filter(pk__in=ids).order_by("case__household__unit_code")
    elif status in Letter.Status.values:
        letters = letters.filter(status=status)
    letters = list(letters.prefetch_related("statement_links")[:MAX_BATCH])
    if request.GET.get("format") == "docx" and letters:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return _docx_response(
            letters_docx([issued_letter(x) for x in letters]), f"letters-{stamp}.docx"
        )
    return render(
        request,
        "escalation/letter_list.html",
        {
            "letters": letters,
            "ids": ids,
            "status": status,
            "statuses": Letter.Status.choices,
            "printable": [(x, issued_letter(x)) for x in letters] if ids else [],
        },
    )


@permission_required("escalation.add_legalaction", raise_exception=True)
@require_POST
@refuses_unlawful_posts
def legal_open_view(request, pk):
    case = scoped_case(request.user, pk)
    form = OpenLegalForm(request.POST)
    if form.is_valid():
        try:
            legal_open(case=case, by=request.user, route=form.cleaned_data["route"])
        except LegalStageRefused as refusal:
            messages.error(request, refusal.messages[0])
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("The legal stage is open. Record each step as it happens."))
    else:
        messages.error(request, _("Choose a route: payment order, arbitration or suit."))
    return redirect(f"{reverse('case-detail', args=[case.pk])}#legal")


@permission_required("escalation.change_legalaction", raise_exception=True)
@require_POST
@refuses_unlawful_posts
def legal_step_view(request, action_id):
    action = get_object_or_404(
        LegalAction.objects.filter(case__in=scoping.cases(request.user)), pk=action_id
    )
    form = LegalStepForm(request.POST)
    if form.is_valid():
        try:
            legal_record_step(action=action, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Step recorded."))
    else:
        _flash(request, form)
    return redirect(f"{reverse('case-detail', args=[action.case_id])}#legal")


@permission_required("escalation.approve_waiver", raise_exception=True)
@require_POST
def waiver_decide_view(request, waiver_id):
    waiver = get_object_or_404(
        Waiver.objects.filter(case__in=scoping.cases(request.user)), pk=waiver_id
    )
    form = WaiverDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or refuse."))
    else:
        try:
            waiver_decide(
                waiver=waiver,
                by=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _flash(request, error)
        else:
            messages.success(request, _("Decision recorded."))
    if waiver.dispute_id:  # decided on the dispute's page
        return redirect("dispute-detail", waiver.dispute_id)
    return redirect(f"{reverse('case-detail', args=[waiver.case_id])}#legal")


@require_GET
def plan_copy(request, plan_id):
    """The scan of a signed plan, for those who may see its case (media is never served)."""
    from django.http import FileResponse

    plan = get_object_or_404(
        PaymentPlan.objects.filter(case__in=scoping.cases(request.user)).exclude(signed_copy=""),
        pk=plan_id,
    )
    handle = plan.signed_copy.open("rb")
    content_type = sniff_content_type(handle) or "application/octet-stream"
    return FileResponse(
        handle,
        content_type=content_type,
        filename=plan.signed_copy.name.rsplit("/", 1)[-1],
        as_attachment=not content_type.startswith("image/"),
    )


@permission_required("escalation.add_paymentplan", raise_exception=True)
@refuses_unlawful_posts
def plan_new(request, pk):
    case = scoped_case(request.user, pk)
    form = PlanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan_record(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("Payment plan recorded: each instalment is followed like a promise.")
            )
            return redirect(f"{reverse('case-detail', args=[case.pk])}#plans")
    return render(
        request,
        "escalation/plan_form.html",
        {"case": case, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def plan_proposal_decide_view(request, proposal_id):
    """The office manager accepts, changes or declines an owner's instalment proposal; the
    written answer is issued as a letter to print and deliver."""
    if not access.may_decide_plan_proposal(request.user):
        raise PermissionDenied
    proposal = get_object_or_404(
        PlanProposal.objects.filter(case__in=scoping.cases(request.user)).select_related(
            "case__household", "case__campaign__office"
        ),
        pk=proposal_id,
    )
    back = f"{reverse('case-detail', args=[proposal.case_id])}#plan-proposals"
    form = PlanDecisionForm(request.POST)
    if not form.is_valid():
        _flash(request, form)
        return redirect(back)
    try:
        decision = proposal_decide(proposal=proposal, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        _flash(request, error)
        return redirect(back)
    messages.success(
        request,
        _("Answer %(ref)s issued: print it, send it, then record its delivery.")
        % {"ref": decision.letter.reference},
    )
    return redirect("letter-detail", decision.letter_id)


@require_POST
def plan_offer_accept_view(request, decision_id):
    """The office manager records that the owner accepted the office's instalments at the
    office: the payment plan is recorded, agreed today."""
    if not access.may_decide_plan_proposal(request.user):
        raise PermissionDenied
    decision = get_object_or_404(
        PlanProposalDecision.objects.filter(
            proposal__case__in=scoping.cases(request.user)
        ).select_related("proposal__case__household", "proposal__case__campaign__office"),
        pk=decision_id,
    )
    back = f"{reverse('case-detail', args=[decision.proposal.case_id])}"
    try:
        acceptance, _created = offer_accept(decision=decision, by=request.user)
    except ValidationError as error:
        _flash(request, error)
        return redirect(back + "#plan-proposals")
    messages.success(
        request,
        _("Recorded: the owner accepted the office's instalments; the plan is agreed %(day)s.")
        % {"day": f"{acceptance.plan.agreed_on:%Y-%m-%d}"},
    )
    return redirect(back + "#plans")
