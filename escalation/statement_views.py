"""The owner's statement (issue 17.1): public pages reached by a signed link, no login.

Whatever is wrong with the link, the answer is the same plain page (404) that names nothing.
Every view is logged; a token or an address over its limit gets "try again later" (429).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from arrears.client_address import client_address
from arrears.pages import add_errors, scoped_case
from escalation.models import PlanProposalDecision, StatementEvent, StatementLink
from escalation.plan_offers import offer_accept, open_offer, with_offer_states
from escalation.plan_proposals import proposal_instalments, proposal_record
from escalation.statement_actions import statement_data_request, statement_dispute, unpaid_periods
from escalation.statement_forms import (
    StatementDataRequestForm,
    StatementDisputeForm,
    StatementPlanForm,
)
from escalation.statement_links import (
    event_record,
    link_for_token,
    link_issue,
    link_revoke,
    statement_ask_written_only,
    statement_for,
)
from escalation.statement_throttle import statement_throttled


def _gate(request, token):
    """(link, None) for a live link, or (None, the response to give instead)."""
    address = client_address(request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT)
    if statement_throttled(token=token, address=address):
        return None, render(request, "escalation/statement_busy.html", status=429)
    link = link_for_token(token)
    if link is None:
        return None, render(request, "escalation/statement_gone.html", status=404)
    return link, None


def _page(request, link, token, *, forms=None, open_form="", status=200, offer_error=""):
    """The statement with its three forms; a form sent back with its errors opens again.
    An offer of the office's instalments that is open shows with its accept button."""
    forms = forms or {}
    statement = statement_for(link)
    offer = open_offer(with_offer_states(list(statement.proposals)))
    return render(
        request,
        "escalation/statement.html",
        {
            "statement": statement,
            "offer": offer,
            "offer_instalments": _offer_rows(offer),
            "offer_error": offer_error,
            "token": token,
            "done": request.GET.get("done"),
            "open_form": open_form,
            "dispute_form": forms.get("dispute")
            or StatementDisputeForm(periods=unpaid_periods(link.case)),
            "plan_form": forms.get("plan") or StatementPlanForm(),
            "data_form": forms.get("data") or StatementDataRequestForm(),
        },
        status=status,
    )


def _offer_rows(decision):
    if decision is None:
        return []
    return [(d, a) for d, a in sorted(proposal_instalments(decision))]


def _done(token, what):
    return redirect(reverse("statement", args=[token]) + f"?done={what}")


@login_not_required
@require_GET
def statement(request, token):
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    event_record(link, StatementEvent.Kind.VIEWED)
    return _page(request, link, token)


@login_not_required
@require_POST
def statement_written_only(request, token):
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    statement_ask_written_only(link)
    return _done(token, "written_only")


@login_not_required
@require_POST
def statement_dispute_view(request, token):
    """The owner disputes months, a payment or the service: collection on it pauses."""
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    form = StatementDisputeForm(request.POST, request.FILES, periods=unpaid_periods(link.case))
    if form.is_valid():
        data = form.cleaned_data
        try:
            statement_dispute(
                link=link,
                kind=data["kind"],
                months=data["months"],
                amount=data["amount"],
                receipt_number=data["receipt_number"],
                receipt_date=data["receipt_date"],
                cause=data["cause"],
                words=data["words"],
                file=data["photo"],
            )
        except ValidationError as error:
            # The file is the service's "evidence"; on this form it is the photo.
            if hasattr(error, "error_dict") and "evidence" in error.error_dict:
                error.error_dict["photo"] = error.error_dict.pop("evidence")
            add_errors(form, error)
        else:
            return _done(token, "disputed")
    return _page(request, link, token, forms={"dispute": form}, open_form="dispute", status=400)


@login_not_required
@require_POST
def statement_plan_view(request, token):
    """The owner proposes instalments: the office manager answers in writing."""
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    form = StatementPlanForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            proposal_record(
                link=link,
                first_month=data["first_month"],
                count=data["count"],
                amounts=data["amounts"],
                words=data["words"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(token, "plan")
    return _page(request, link, token, forms={"plan": form}, open_form="plan", status=400)


@login_not_required
@require_POST
def statement_offer_accept_view(request, token):
    """The owner accepts the office's instalments: the payment plan is recorded, agreed
    today. An offer that is not this household's gets the same plain page as a bad link."""
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    offer = PlanProposalDecision.objects.filter(
        pk=_int(request.POST.get("offer")), proposal__case=link.case
    ).first()
    if offer is None:
        return render(request, "escalation/statement_gone.html", status=404)
    try:
        offer_accept(decision=offer, link=link)
    except ValidationError as error:
        return _page(request, link, token, status=400, offer_error=" ".join(error.messages))
    return _done(token, "offer_accepted")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_not_required
@require_POST
def statement_data_request_view(request, token):
    """The owner asks to see, correct or delete their personal information (PIPL 44–47)."""
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    form = StatementDataRequestForm(request.POST)
    if form.is_valid():
        try:
            statement_data_request(link=link, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return _done(token, "data_request")
    return _page(request, link, token, forms={"data": form}, open_form="data", status=400)


# The case page: who issues letters for a case (its team, the office manager) issues a link
# for a message and revokes links. The permission is checked before any lookup.


@permission_required("escalation.add_letter", raise_exception=True)
@require_POST
def statement_link_new(request, pk):
    case = scoped_case(request.user, pk)
    link_issue(case=case, by=request.user)
    messages.success(
        request,
        _("A new statement link was issued: copy the message text below into an SMS or WeChat."),
    )
    return redirect(reverse("case-detail", args=[case.pk]) + "#statement-links")


@permission_required("escalation.add_letter", raise_exception=True)
@require_POST
def statement_link_revoke(request, link_id):
    link = get_object_or_404(StatementLink, pk=link_id)
    case = scoped_case(request.user, link.case_id)
    link_revoke(link=link, by=request.user, reason=request.POST.get("reason", "")[:200])
    messages.success(request, _("The statement link was revoked: it no longer opens."))
    return redirect(reverse("case-detail", args=[case.pk]) + "#statement-links")
