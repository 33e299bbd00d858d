import datetime

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from households.privacy import can_see_phones, mask_phone
from teams.models import Team, TeamMember

from . import scoping
from .ledger import ledger_ranges
from .models import Campaign, Case, DifficultIssue, Role, WorkerHeartbeat
from .roles import role_of
from .selectors import EARLIEST, office_figures, with_case_figures
from .timeline import case_timeline


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not. Says when a worker last ran."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"database": "unavailable"}, status=503)
    beat = WorkerHeartbeat.objects.filter(name="worker").values_list("seen_at", flat=True).first()
    return JsonResponse({"database": "ok", "worker_last_seen": beat.isoformat() if beat else None})


def _week_start(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    monday = local.date() - datetime.timedelta(days=local.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))


def _running_cases(user):
    return with_case_figures(
        scoping.cases(user).filter(campaign__status=Campaign.Status.RUNNING)
    ).order_by(F("planned_date").asc(nulls_last=True), "household__unit_code")


def _team_figures(teams):
    periods = "cases__household__debt_periods"
    in_campaign = Q(**{f"{periods}__month__lte": F("campaign__arrears_through")}) & Q(
        **{f"{periods}__month__gte": Coalesce(F("campaign__arrears_from"), EARLIEST)}
    )
    return teams.annotate(
        case_count=Count("cases", distinct=True),
        cleared_count=Count("cases", filter=Q(cases__status=Case.Status.CLEARED), distinct=True),
        balance=Sum(F(f"{periods}__amount_due") - F(f"{periods}__amount_paid"), filter=in_campaign),
    ).order_by("code")


def desk(request):
    """Each role's start page: what a person of that role does first thing."""
    user = request.user
    role = role_of(user)
    now = timezone.now()
    context = {"role": role, "today": timezone.localdate()}
    if role in (Role.COLLECTOR, Role.TEAM_LEADER):
        memberships = TeamMember.objects.filter(
            user=user, team__campaign__status=Campaign.Status.RUNNING
        ).select_related("team", "team__campaign")
        teams = [m.team for m in memberships]
        context.update(
            cases=_running_cases(user),
            teams=_team_figures(Team.objects.filter(pk__in=[t.pk for t in teams])),
            team_members=TeamMember.objects.filter(team__in=teams).select_related(
                "user__staff_profile", "team"
            ),
        )
        template = "desk/collector.html"
    elif role == Role.OFFICE_MANAGER:
        context.update(
            campaigns=scoping.campaigns(user).filter(status=Campaign.Status.RUNNING),
            teams=_team_figures(
                scoping.teams(user).filter(campaign__status=Campaign.Status.RUNNING)
            ),
            cases=_running_cases(user),
            issues=scoping.difficult_issues(user)
            .filter(status=DifficultIssue.Status.OPEN)
            .select_related("case__household", "raised_by__staff_profile")
            .order_by("raised_at"),
        )
        template = "desk/manager.html"
    elif role in (Role.OPERATIONS_MANAGER, Role.REGIONAL_DIRECTOR, Role.ADMINISTRATOR):
        offices = office_figures(scoping.offices(user), since=_week_start(now))
        context.update(
            offices=offices,
            heartbeat=WorkerHeartbeat.objects.filter(name="worker").first(),
        )
        template = "desk/region.html"
    elif role == Role.SITE_STAFF:
        context.update(units=scoping.target_units(user))
        template = "desk/site.html"
    else:
        template = "desk/no_role.html"
    return render(request, template, context)


def case_detail(request, pk):
    user = request.user
    case = get_object_or_404(with_case_figures(scoping.cases(user)), pk=pk)
    periods = list(
        case.periods().order_by("month").values_list("month", "amount_due", "amount_paid")
    )
    unpaid = ledger_ranges(p for p in periods if p[2] < p[1])
    paid = ledger_ranges(p for p in periods if p[2] >= p[1])
    show_phones = can_see_phones(role_of(user))
    owners = [
        {
            "name": o.name,
            "relation": o.get_relation_display(),
            "phones": [n if show_phones else mask_phone(n) for n in (o.phone, o.phone_alt) if n],
            "callable": show_phones,
        }
        for o in case.household.owners.all()
    ]
    return render(
        request,
        "arrears/case_detail.html",
        {
            "case": case,
            "owners": owners,
            "unpaid_ranges": unpaid,
            "paid_ranges": paid,
            "timeline": case_timeline(case),
        },
    )
