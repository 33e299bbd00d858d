"""The owner's statement (issue 17.1): public pages reached by a signed link, no login.

Whatever is wrong with the link, the answer is the same plain page (404) that names nothing.
Every view is logged; a token or an address over its limit gets "try again later" (429).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from arrears.client_address import client_address
from escalation.models import StatementEvent
from escalation.statement_links import (
    event_record,
    link_for_token,
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
