"""The owner's statement (issue 17.1): public pages reached by a signed link, no login.

Whatever is wrong with the link, the answer is the same plain page (404) that names nothing.
Every view is logged; a token or an address over its limit gets "try again later" (429).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from arrears.client_address import client_address
from arrears.pages import scoped_case
from escalation.models import StatementEvent, StatementLink
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


@login_not_required
@require_GET
def statement(request, token):
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    event_record(link, StatementEvent.Kind.VIEWED)
    return render(
        request,
        "escalation/statement.html",
        {"statement": statement_for(link), "token": token, "done": request.GET.get("done")},
    )


@login_not_required
@require_POST
def statement_written_only(request, token):
    link, refusal = _gate(request, token)
    if refusal:
        return refusal
    statement_ask_written_only(link)
    return redirect(reverse("statement", args=[token]) + "?done=written_only")


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
