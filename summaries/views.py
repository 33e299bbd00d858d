from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from arrears import access, scoping
from arrears.inputs import parse_day
from arrears.models import Region, Summary
from summaries.producing import RUN_NOW, produce_brief, produce_daily, produce_weekly
from summaries.windows import window_label

FIGURES = [
    ("attempts", gettext_lazy("Contact attempts")),
    ("owners_reached", gettext_lazy("Owners reached")),
    ("promises_made", gettext_lazy("Promises made")),
    ("promises_due", gettext_lazy("Promises due")),
    ("instalments_due", gettext_lazy("Plan instalments due")),
    ("payments", gettext_lazy("Payments")),
    ("collected", gettext_lazy("Collected")),
    ("cleared", gettext_lazy("Households cleared")),
    ("new_issues", gettext_lazy("New difficult issues")),
    ("open_issues", gettext_lazy("Open difficult issues")),
    ("breaches", gettext_lazy("Breaches")),
    ("backdated", gettext_lazy("Backdated entries")),
    ("exemptions", gettext_lazy("Exemptions to review")),
]


def summary_list(request):
    if not access.may_read_summaries(request.user):
        raise PermissionDenied
    qs = scoping.summaries(request.user)
    kind = request.GET.get("kind", "")
    if kind in Summary.Kind.values:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "summaries/list.html",
        {
            # The list shows no figures: a pack's run to a megabyte (issue 15).
            "summaries": qs.defer("data").order_by("-for_date", "kind", "scope")[:200],
            "kind": kind,
            "kinds": Summary.Kind.choices,
            "may_run": access.summaries_to_run(request.user),
            "today": timezone.localdate(),
        },
    )


def _rows(summary: Summary) -> list[dict]:
    """The figures table of a summary: one row per team or office, then the total."""
    data, kind = summary.data, summary.kind
    if kind == Summary.Kind.DAILY_TEAM:
        return [{"label": data["team"], "figures": data["figures"]}]
    if kind == Summary.Kind.DAILY_OFFICE:
        rows = [{"label": r["team"], "figures": r["figures"]} for r in data["teams"]]
        return rows + [{"label": _("Office total"), "figures": data["totals"], "total": True}]
    if kind == Summary.Kind.DAILY_OPERATIONS:
        rows = [{"label": r["office"], "figures": r["figures"]} for r in data["offices"]]
        return rows + [{"label": _("Total"), "figures": data["totals"], "total": True}]
    if kind == Summary.Kind.MORNING_BRIEF:
        rows = [
            {"label": r["office"], "figures": r["figures"], "change": r["change"]}
            for r in data["offices"]
        ]
        return rows + [
            {
                "label": _("Region total"),
                "figures": data["totals"],
                "change": data["change"],
                "total": True,
            }
        ]
    rows = [{"label": o["office"], "figures": o["week"]} for o in data["offices"]]
    if len(rows) > 1 and data.get("totals"):  # the totals of this copy's offices only
        rows.append({"label": _("Total"), "figures": data["totals"], "total": True})
    return rows


def summary_detail(request, pk):
    summary = get_object_or_404(scoping.summaries(request.user), pk=pk)
    history = (
        scoping.summaries(request.user)
        .filter(kind=summary.kind, scope=summary.scope)
        .exclude(pk=summary.pk)
        .defer("data")  # links by date only
        .order_by("-for_date")[:14]
    )
    return render(
        request,
        f"summaries/{summary.kind}.html",
        {
            "summary": summary,
            "data": summary.data,
            "figures": FIGURES,
            "rows": _rows(summary),
            "history": history,
            "window": window_label(summary.data.get("window")),
        },
    )


@require_POST
def summary_run(request):
    """Run now, in this request: a few queries, and it works even while the broker is down."""
    user = request.user
    kind = request.POST.get("kind", "")
    if not access.may_run_summary(user, kind):
        raise PermissionDenied
    try:
        day = parse_day(request.POST.get("date", ""))
    except ValueError as error:
        messages.error(request, f"{_('Choose the day to report on.')} {error}")
        return redirect("summary-list")
    by = f"{RUN_NOW}: {user.get_username()}"
    offices = scoping.offices(user)
    if kind == Summary.Kind.DAILY_OFFICE:
        stored = produce_daily(
            day=day, by=by, office_ids=list(offices.values_list("pk", flat=True))
        )
    else:
        stored = []
        for region in Region.objects.filter(offices__in=offices).distinct():
            if kind == Summary.Kind.MORNING_BRIEF:
                stored += produce_brief(day=day, by=by, region=region)
            else:
                stored += produce_weekly(monday=day, by=by, region=region)
    messages.success(
        request,
        ngettext("%(n)d summary produced.", "%(n)d summaries produced.", len(stored))
        % {"n": len(stored)},
    )
    return redirect("summary-list")
