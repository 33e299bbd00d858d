"""The Disputes page (issue 17.3): open disputes by age and cause and the amount they hold
up, per office of the reader's scope, and the list behind each figure. Both pages make the
same number of queries whatever the number of disputes or offices (households.dispute_figures)."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from arrears import access, scoping
from households import scoping as household_scoping
from households.dispute_figures import (
    AGE_KEYS,
    AGES,
    CAUSE_KEYS,
    age_bounds,
    age_label,
    cause_label,
    dispute_figures,
    open_disputes,
)
from households.models import DisputeKind

DISPUTES_PER_PAGE = 50


def _offices(user):
    return list(scoping.offices(user).order_by("name", "pk"))


def dispute_figures_page(request):
    if not access.may_see_disputes(request.user):
        raise PermissionDenied
    now = timezone.now()
    offices = _offices(request.user)
    figures = dispute_figures(household_scoping.disputes(request.user), offices=offices, at=now)
    causes = [(key, cause_label(key)) for key in figures.causes_seen]
    return render(
        request,
        "reports/disputes.html",
        {
            "figures": figures,
            "ages": [(key, label) for key, label, *_r in AGES],
            "causes": causes,
            "all_causes": [
                (key, cause_label(key), figures.total.causes[key]) for key in figures.causes_seen
            ],
            "team_bound": scoping.scope_of(request.user).team_bound,
            "now": now,
        },
    )


def dispute_list(request):
    """The open disputes behind a figure: ?office=, ?age=, ?cause=, ?overdue=1 narrow it.
    An office outside the reader's scope is 404; an unknown age or cause is no filter."""
    if not access.may_see_disputes(request.user):
        raise PermissionDenied
    now = timezone.now()
    disputes = household_scoping.disputes(request.user)
    offices = {o.pk: o for o in _offices(request.user)}
    chosen = {}
    office = request.GET.get("office", "")
    if office:
        if not office.isdigit() or int(office) not in offices:
            raise Http404
        chosen["office"] = offices[int(office)]
        disputes = disputes.filter(household__office_id=int(office))
    else:
        disputes = disputes.filter(household__office_id__in=list(offices))
    age = request.GET.get("age", "")
    if age in AGE_KEYS:
        chosen["age"] = age_label(age)
        disputes = disputes.filter(age_bounds(age, now))
    cause = request.GET.get("cause", "")
    if cause in CAUSE_KEYS:
        chosen["cause"] = cause_label(cause)
        if cause in (DisputeKind.MONTHS, DisputeKind.AMOUNT):
            disputes = disputes.filter(kind=cause)
        else:
            disputes = disputes.filter(kind=DisputeKind.SERVICE, cause=cause)
    rows = open_disputes(disputes, at=now)
    if request.GET.get("overdue") == "1":
        chosen["overdue"] = True
        rows = [r for r in rows if r.overdue]
    page = Paginator(rows, DISPUTES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/dispute_list.html",
        {
            "rows": [(r, cause_label(r.cause)) for r in page.object_list],
            "page": page,
            "chosen": chosen,
            "query": query.urlencode(),
            "several_offices": len(offices) > 1,
        },
    )
