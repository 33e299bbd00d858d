from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access
from arrears.models import Office
from arrears.pages import add_errors, scoped_case
from arrears.unlawful import FORBIDDEN, forbidden_in
from households import scoping as household_scoping
from households.claims import attempt_claims
from households.contact import (
    WITHDRAW_REFUSAL,
    PromiseInput,
    UnlawfulMethodError,
    attempt_log,
    contact_answers,
    exemption_decide,
    household_rules,
    household_set_written_only,
    household_withdraw_written_only,
)
from households.contact_policy import Rules, make_breach, make_exemption, rule_catalogue
from households.disputes import (
    dispute_record,
    office_routes,
    office_routes_save,
    paused_month_ranges,
)
from households.forms import (
    LOG_CHANNELS,
    OUTCOME_FIELDS,
    AttemptForm,
    ContactPolicyForm,
    DisputeForm,
    DisputeRoutesForm,
    TipForm,
    WrittenOnlyForm,
    WrittenOnlyWithdrawalForm,
)
from households.models import (
    AttemptEvidence,
    ContactPolicy,
    Household,
    Outcome,
    WrittenOnlyWithdrawal,
)
from households.tips import tip_report


def _refuse_unlawful(request, forbidden, case=None):
    """The methods of DESIGN.md §5.2 do not exist: say which rule, save nothing."""
    return render(
        request,
        "arrears/refused.html",
        {"forbidden": forbidden, "case": case},
        status=400,
    )


def _tell_if_claimed(request, attempt) -> None:
    """A demand "delivered", a filing or a late promise logged here is kept as claimed, not
    proven: say so now, and why, rather than let the collector think the clock moved."""
    for why in attempt_claims(attempt):
        messages.info(
            request,
            _("Recorded as claimed, not proven: it moves no limitation date. %(why)s")
            % {"why": why},
        )


@permission_required("households.add_contactattempt", raise_exception=True)
@require_http_methods(["GET", "POST"])
def attempt_new(request, pk):
    case = scoped_case(request.user, pk)
    if request.method == "POST":
        forbidden = forbidden_in(request.POST)
        if forbidden:
            return _refuse_unlawful(request, forbidden, case)
    # Links from a printed letter pre-fill the channel and outcome ("record its delivery").
    initial = {
        name: request.GET[name]
        for name, choices in (
            ("channel", [value for value, _label in LOG_CHANNELS]),
            ("outcome", Outcome.values),
        )
        if request.GET.get(name) in choices
    }
    form = AttemptForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        rules=household_rules(case.household),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        promise = None
        if data["promise_amount"] and data["promise_date"]:
            promise = PromiseInput(amount=data["promise_amount"], due_date=data["promise_date"])
        try:
            attempt = attempt_log(
                case=case,
                by=request.user,
                occurred_at=data["occurred_at"],
                channel=data["channel"],
                person_contacted=data["person_contacted"],
                outcome=data["outcome"],
                notes=data["notes"],
                next_step=data["next_step"],
                next_step_date=data["next_step_date"],
                at_owners_request=data["at_owners_request"],
                owners_request_note=data["owners_request_note"],
                owner_walked_in=data["owner_walked_in"],
                delivered_in_person=data["delivered_in_person"],
                staff_count=data["staff_count"],
                message_has_opt_out=data["message_has_opt_out"],
                third_party_told_of_debt=data["third_party_told_of_debt"],
                callback_at=data["callback_at"],
                promise=promise,
                evidence=data["evidence"],
                posted=request.POST,
            )
        except UnlawfulMethodError as error:
            return _refuse_unlawful(request, error.forbidden, case)
        except ValidationError as error:
            add_errors(form, error)
        else:
            if attempt.breaches:
                messages.warning(
                    request,
                    _(
                        "Saved, but it breaks the contact policy: %(rules)s. It earns nothing and "
                        "the manager will see it."
                    )
                    % {"rules": "; ".join(str(make_breach(c).message) for c in attempt.breaches)},
                )
            elif attempt.exemptions:
                messages.info(
                    request,
                    _("Saved as an exemption: %(exemptions)s The office manager will review it.")
                    % {
                        "exemptions": " ".join(
                            str(make_exemption(c).message) for c in attempt.exemptions
                        )
                    },
                )
            elif attempt.flagged_terms:
                messages.warning(
                    request,
                    _("Saved. The note mentions %(terms)s and is flagged for the manager's review.")
                    % {"terms": "、".join(attempt.flagged_terms)},
                )
            else:
                messages.success(request, _("Contact logged."))
            if attempt.warnings:
                messages.info(
                    request,
                    _("Advice kept on the case's timeline: %(advice)s")
                    % {"advice": "; ".join(str(make_breach(c).message) for c in attempt.warnings)},
                )
            _tell_if_claimed(request, attempt)
            return redirect("case-detail", pk=case.pk)
    answers = contact_answers([case.household], now=timezone.now())[case.household_id]
    chosen = answers.for_channel(form["channel"].value())
    return render(
        request,
        "households/attempt_form.html",
        {
            "case": case,
            "form": form,
            "answers": answers,
            "chosen": chosen.key if chosen else None,
            # Some months under dispute: the call may go on, about the other months only.
            "paused_ranges": paused_month_ranges(case.household_id, timezone.now()),
            # The promise fields open when the outcome needs them (and stay open with errors).
            "promise_open": form["outcome"].value() in OUTCOME_FIELDS
            or any(form[name].errors for name in OUTCOME_FIELDS[Outcome.PROMISED]),
        },
    )


def evidence_file(request, pk):
    evidence = get_object_or_404(
        AttemptEvidence.objects.filter(
            attempt__in=household_scoping.contact_attempts(request.user)
        ),
        pk=pk,
    )
    return FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        filename=evidence.original_name,
        as_attachment=not evidence.content_type.startswith("image/"),
    )


@permission_required("households.change_contactpolicy", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_policy_edit(request):
    if not access.may_edit_contact_policy(request.user):
        raise PermissionDenied
    office_id = request.user.staff_profile.office_id
    policy, _created = ContactPolicy.objects.get_or_create(office_id=office_id)
    form = ContactPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.instance._history_user = request.user
        form.save()
        messages.success(request, _("The contact policy is saved and applies from now on."))
        return redirect("contact-policy")
    return render(
        request,
        "households/contact_policy.html",
        {"form": form, "policy": policy, "rules": rule_catalogue()},
    )


@require_http_methods(["GET", "POST"])
def dispute_routes(request):
    """The office manager sets where their office's service complaints go and how many days
    each department has; a cause left at the default follows households.disputes."""
    if not access.may_route_disputes(request.user):
        raise PermissionDenied
    office_id = request.user.staff_profile.office_id
    form = DisputeRoutesForm(request.POST or None, rows=office_routes(office_id))
    if request.method == "POST" and form.is_valid():
        try:
            office_routes_save(office_id=office_id, routes=form.routes(), by=request.user)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("Saved: new service complaints go where you set, with those days.")
            )
            return redirect("dispute-routes")
    return render(
        request,
        "households/dispute_routes.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _refuse_withdrawal(request, case=None):
    """403 with the reason: a written-only request is lifted only as the law expects."""
    return render(
        request,
        "households/written_only_refused.html",
        {"case": case, "reason": WITHDRAW_REFUSAL},
        status=403,
    )


@require_http_methods(["GET", "POST"])
def written_only(request, pk):
    case = scoped_case(request.user, pk)
    if not access.may_set_written_only(request.user):
        raise PermissionDenied
    household = case.household
    may_withdraw = access.may_withdraw_written_only(request.user, household)
    form = WrittenOnlyForm(request.POST or None)
    if request.method == "POST":
        if "clear" in request.POST:
            # The old one-click "clear": lifting the request needs the owner's letter.
            if not may_withdraw:
                return _refuse_withdrawal(request, case)
            return redirect("written-only-withdraw", pk=case.pk)
        if form.is_valid():
            try:
                household_set_written_only(
                    household=household, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Recorded: written contact only from now on."))
                return redirect("case-detail", pk=case.pk)
    return render(
        request,
        "households/written_only.html",
        {"case": case, "form": form, "may_withdraw": may_withdraw, "refusal": WITHDRAW_REFUSAL},
    )


@require_http_methods(["GET", "POST"])
def dispute_new(request, pk):
    """Staff record what the owner disputes: collection on it pauses from now (issue 17.2)."""
    case = scoped_case(request.user, pk)
    if not access.may_record_dispute(request.user):
        raise PermissionDenied
    form = DisputeForm(request.POST or None, request.FILES or None, household=case.household)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispute_record(
                case=case,
                kind=data["kind"],
                months=list(data["months"]),
                amount=data["amount"],
                cause=data["cause"],
                words=data["words"],
                source=data["source"],
                by=request.user,
                file=data["evidence"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Dispute recorded: collection contact about the disputed months is paused "
                    "until the written answer is delivered. The office manager has been told."
                ),
            )
            return redirect("case-detail", pk=case.pk)
    return render(request, "households/dispute_new.html", {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
def written_only_withdraw(request, pk):
    """The office manager records the owner's written withdrawal of written-only contact."""
    if not access.may_withdraw_written_only(request.user):
        return _refuse_withdrawal(request)
    case = scoped_case(request.user, pk)
    household = case.household
    if not access.may_withdraw_written_only(request.user, household):
        return _refuse_withdrawal(request, case)
    form = WrittenOnlyWithdrawalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            household_withdraw_written_only(
                household=household, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Recorded the owner's written withdrawal: calls, messages and visits are "
                    "allowed again within the contact policy."
                ),
            )
            return redirect("case-detail", pk=case.pk)
    return render(request, "households/written_only_withdraw.html", {"case": case, "form": form})


def written_only_withdrawal_file(request, pk):
    withdrawal = get_object_or_404(
        WrittenOnlyWithdrawal.objects.filter(
            household__in=household_scoping.households(request.user)
        ),
        pk=pk,
    )
    return FileResponse(
        withdrawal.file.open("rb"),
        content_type=withdrawal.content_type,
        filename=withdrawal.original_name,
        as_attachment=not withdrawal.content_type.startswith("image/"),
    )


def _target(user, pk) -> Household:
    units = household_scoping.target_units(user)
    unit = get_object_or_404(units, pk=pk)
    return Household.objects.get(pk=unit["pk"])


@permission_required("households.add_onsitetip", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tip_new(request, pk):
    """Second tap: what was seen at the unit. The unit code is all the page shows."""
    household = _target(request.user, pk)
    form = TipForm(request.POST or None)
    if request.method == "POST":
        forbidden = forbidden_in(request.POST)
        if forbidden:
            return _refuse_unlawful(request, forbidden)
        if form.is_valid():
            tip_report(
                household=household,
                kind=form.cleaned_data["kind"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
            messages.success(
                request,
                _("Thank you: the collector for %(unit)s has been told.")
                % {"unit": household.unit_code},
            )
            return redirect("desk")
    return render(
        request,
        "households/tip_form.html",
        {"unit_code": household.unit_code, "pk": household.pk, "form": form},
        status=400 if form.errors else 200,
    )


@permission_required("households.add_exemptionreview", raise_exception=True)
@require_POST
def exemption_review(request, pk):
    """The office manager accepts an attempt's exemptions or marks them as a breach."""
    attempt = get_object_or_404(household_scoping.contact_attempts(request.user), pk=pk)
    try:
        exemption_decide(
            attempt=attempt,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Review of %(unit)s recorded.") % {"unit": attempt.household.unit_code},
        )
    return redirect("breach-list")


def lawful_contact(request):
    """The rules, their legal anchors, and what does not exist in this product."""
    profile = getattr(request.user, "staff_profile", None)
    policy = ContactPolicy.objects.filter(office_id=getattr(profile, "office_id", None)).first()
    return render(
        request,
        "households/lawful_contact.html",
        {
            "rules": rule_catalogue(Rules.from_policy(policy)),
            "forbidden": FORBIDDEN.values(),
            "backdate_days": settings.BACKDATE_DAYS,
            "retention_years": profile.office.retention_years
            if getattr(profile, "office", None)
            else Office._meta.get_field("retention_years").default,
        },
    )
