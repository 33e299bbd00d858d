import datetime

from django.contrib.auth.decorators import permission_required
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from arrears import access, scoping
from arrears.cases import category_history
from arrears.credit import credit_balance
from arrears.downloads import attachment
from arrears.forms import CategoryForm
from arrears.ledger import ledger_ranges
from arrears.models import Campaign, Case, DifficultIssue, Summary, WorkerHeartbeat
from arrears.money import MONEY, ZERO
from arrears.playbooks import playbook_for
from arrears.selectors import office_figures, subquery_count
from desk.case_queries import cases_to_work
from desk.filters import CaseFilter
from desk.region import (
    CHART_BOTTOM,
    CHART_HEIGHT,
    CHART_WIDTH,
    campaign_progress,
    sparkline,
    weekly_trend,
)
from desk.tables import CaseTable, PageByKeys
from desk.timeline import case_timeline
from escalation.case_panel import case_escalation
from escalation.forms import IssueLettersForm
from escalation.limitation import EXPIRED, NEAR
from escalation.limitation_records import household_limitation, unpaid_clocks
from households import scoping as household_scoping
from households.contact import contact_answers
from households.dispute_figures import dispute_figures
from households.disputes import dispute_rows
from households.models import IS_BREACH, OnSiteTip
from households.privacy import mask_phone
from reports.exporters import CaseListExport
from reports.week_figures import attempt_counts
from reports.weeks import week_label
from teams import scoping as team_scoping
from teams.assignment import assignment_history
from teams.forms import ResponsibleForm, TeamChoiceForm
from teams.membership import (
    DONE_STATUSES,
    cases_with_departed_responsible,
    responsible_is_member,
)
from teams.models import Team, TeamMember

CASES_PER_PAGE = 25
# A table on the case page of at most this many rows shows open; a longer one is a one-line
# summary that opens on tap (a phone scrolled past 25 limitation rows to reach the playbook).
SHORT_TABLE = 4


def _week_start(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    monday = local.date() - datetime.timedelta(days=local.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))


def _team_figures(teams):
    """Each team's cases, cleared cases and what its cases still owe within the campaign's
    months (the cases' kept balance), each a subquery of the team's row: joined together,
    every case came once per month of its household, to be counted DISTINCT again."""
    cases = Case.objects.filter(team=OuterRef("pk")).order_by().values("team")

    return teams.annotate(
        case_count=subquery_count(cases),
        cleared_count=subquery_count(cases.filter(status=Case.Status.CLEARED)),
        balance=Subquery(cases.annotate(v=Sum("balance")).values("v")[:1], output_field=MONEY),
    ).order_by("code")


def _case_table(request, *, per_page=CASES_PER_PAGE):
    """The filtered, sorted, paginated case table with its totals row."""
    user = request.user
    now = timezone.now()
    teams = team_scoping.teams(user).filter(campaign__status=Campaign.Status.RUNNING)
    case_filter = CaseFilter(
        request.GET or None, queryset=cases_to_work(user, now=now), teams=teams
    )
    qs = case_filter.qs
    # The count the pages need comes with the totals: one pass over the cases in scope.
    totals = qs.aggregate(
        total_rows=Count("pk"),
        total_owed=Sum("owed"),
        total_paid=Sum("paid"),
        total_balance=Sum("balance"),
    )
    table = CaseTable(
        PageByKeys(qs, count=totals.pop("total_rows")),
        exclude=() if access.may_batch_letters(user) else ("select",),
    )
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    table.totals = {key.removeprefix("total_"): value for key, value in totals.items()}
    rows = [row.record for row in table.page.object_list]
    table.availability = contact_answers((r.household for r in rows), now=now)
    table.limitation = unpaid_clocks({r.household_id for r in rows}, today=timezone.localdate(now))
    return case_filter, table


def desk(request):
    """Each role's start page: what a person of that role does first thing."""
    user = request.user
    desk_kind = access.desk_of(user)
    context = {"today": timezone.localdate()}
    if desk_kind == access.CASES_DESK:
        memberships = TeamMember.objects.filter(
            user=user, team__campaign__status=Campaign.Status.RUNNING
        ).select_related("team")
        team_ids = [m.team_id for m in memberships]
        case_filter, table = _case_table(request)
        context.update(
            filter=case_filter,
            table=table,
            teams=_team_figures(Team.objects.filter(pk__in=team_ids)),
            team_members=TeamMember.objects.filter(team_id__in=team_ids).select_related(
                "user__staff_profile", "team"
            ),
        )
        template = "desk/collector.html"
    elif desk_kind == access.OFFICE_DESK:
        case_filter, table = _case_table(request)
        context.update(
            filter=case_filter,
            table=table,
            campaigns=scoping.campaigns(user).filter(status=Campaign.Status.RUNNING),
            teams=_team_figures(
                team_scoping.teams(user).filter(campaign__status=Campaign.Status.RUNNING)
            ),
            departed=_departed_by_team(user),
            issues=_open_issues(user),
            breaches=_recent_breaches(user),
            exemptions_to_review=household_scoping.contact_attempts(user)
            .exemptions_to_review()
            .count(),
            may_manage_team=access.may_manage_team(user),
        )
        template = "desk/manager.html"
    elif desk_kind == access.REGION_DESK:
        context.update(
            _region_context(user),
            heartbeat=WorkerHeartbeat.objects.filter(name="worker").first(),
            may_see_worker_health=access.may_see_worker_health(user),
        )
        template = "desk/region.html"
    elif desk_kind == access.SITE_DESK:
        context.update(units=household_scoping.target_units(user), tip_kinds=OnSiteTip.Kind.choices)
        template = "desk/site.html"
    else:
        template = "desk/no_role.html"
    return render(request, template, context)


def _region_context(user) -> dict:
    """The director's regional view: per office its progress against the campaign's
    target, this week's and the campaign's figures and a trend; the region's totals; the
    latest Monday pack and last week's workbook; the open disputes (the Disputes page's
    figures). Nine queries whatever the offices."""
    now = timezone.now()
    week_start = _week_start(now)
    this_monday = timezone.localtime(week_start).date()
    offices = scoping.offices(user)
    rows = office_figures(offices, since=week_start)
    progress = campaign_progress(offices, today=timezone.localdate(now))
    bars, per_office = weekly_trend(offices, this_monday=this_monday)
    attempts = attempt_counts([o.pk for o in rows], start=week_start, end=now)
    for office in rows:
        office.contacts, office.breaches = attempts.get(office.pk, (0, 0))
        office.progress = progress.get(office.pk)
        office.trend = sparkline(per_office.get(office.pk, [ZERO] * len(bars)))
    last_monday = this_monday - datetime.timedelta(days=7)
    disputes = dispute_figures(household_scoping.disputes(user), offices=rows, at=now)
    return {
        "offices": rows,
        "disputes": disputes.total,
        "region_totals": {
            "collected": sum((o.collected for o in rows), ZERO),
            "to_date": sum((o.progress.collected for o in rows if o.progress), ZERO),
            "cases_cleared": sum(o.cases_cleared for o in rows),
            "cases_total": sum(o.cases_total for o in rows),
            "issues_open": sum(o.issues_open for o in rows),
            "breaches": sum(o.breaches for o in rows),
            "balance": sum((o.balance for o in rows), ZERO),
        },
        "trend": bars,
        "trend_first": bars[0].title if bars else "",
        "chart": {
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "axis": CHART_HEIGHT - CHART_BOTTOM,
        },
        "pack": scoping.summaries(user)
        .filter(kind=Summary.Kind.WEEKLY_PACK)
        .defer("data")
        .order_by("-for_date")
        .first(),
        "last_monday": last_monday,
        "last_week": week_label(last_monday),
    }


def _departed_by_team(user) -> dict[int, int]:
    """team id → open cases whose responsible person has left the team (one query)."""
    running = team_scoping.teams(user).filter(campaign__status=Campaign.Status.RUNNING)
    rows = (
        cases_with_departed_responsible(running)
        .values("team_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["team_id"]: row["n"] for row in rows}


def _open_issues(user):
    return (
        scoping.difficult_issues(user)
        .filter(status=DifficultIssue.Status.OPEN)
        .select_related("case__household", "raised_by__staff_profile")
        .order_by("raised_at")
    )


def _recent_breaches(user, days=7):
    since = timezone.now() - datetime.timedelta(days=days)
    return (
        household_scoping.contact_attempts(user)
        .filter(occurred_at__gte=since)
        .filter(IS_BREACH | ~Q(flagged_terms=[]))
        .select_related("household", "made_by__staff_profile", "case", "exemption_review")
        .order_by("-occurred_at")
    )


@permission_required("arrears.view_case", raise_exception=True)
def case_list(request):
    if request.GET.get("export") == "xlsx":
        return _case_list_xlsx(request)
    case_filter, table = _case_table(request)
    context = {"filter": case_filter, "table": table}
    if access.may_batch_letters(request.user):
        context["batch_form"] = IssueLettersForm()
    return render(request, "desk/case_list.html", context)


def _case_list_xlsx(request):
    """The same cases as on screen: same scope, same filters, same order."""
    teams = team_scoping.teams(request.user).filter(campaign__status=Campaign.Status.RUNNING)
    params = request.GET.copy()
    params.pop("export", None)
    case_filter = CaseFilter(params or None, queryset=cases_to_work(request.user), teams=teams)
    filename, mimetype, data = CaseListExport(case_filter.qs, title=_("Cases")).render()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return attachment(data, filename=f"cases-{stamp}.xlsx", content_type=mimetype)


def case_detail(request, pk):

    user = request.user
    case = get_object_or_404(cases_to_work(user, running_only=False), pk=pk)
    periods = list(
        case.periods().order_by("month").values_list("month", "amount_due", "amount_paid")
    )
    show_phones = access.may_see_phones(user, case.household)
    owners = [
        {
            "name": o.name,
            "relation": o.get_relation_display(),
            "phones": [n if show_phones else mask_phone(n) for n in (o.phone, o.phone_alt) if n],
            "callable": show_phones,
        }
        for o in case.household.owners.all()
    ]
    unpaid_ranges = ledger_ranges(p for p in periods if p[2] < p[1])
    paid_ranges = ledger_ranges(p for p in periods if p[2] >= p[1])
    limitation = household_limitation(case.household_id)
    return render(
        request,
        "desk/case_detail.html",
        {
            "case": case,
            "owners": owners,
            "unpaid_ranges": unpaid_ranges,
            "paid_ranges": paid_ranges,
            "ledger_rows": len(unpaid_ranges) + len(paid_ranges),
            "SHORT_TABLE": SHORT_TABLE,
            "limitation_summary": _limitation_summary(limitation.groups),
            "timeline": case_timeline(case),
            "disputes": dispute_rows(case),
            "can_dispute": access.may_record_dispute(user),
            "contact": contact_answers([case.household], now=timezone.now())[case.household_id],
            "playbook": playbook_for(case.category),
            "category_form": (
                CategoryForm(initial={"category": case.category})
                if access.may_set_category(user, case)
                else None
            ),
            "category_history": category_history(case),
            "limitation": limitation,
            "can_pay": user.has_perm("arrears.add_payment"),
            "can_reverse": user.has_perm("arrears.reverse_payment"),
            "credit": credit_balance(case.household),
            "refunds": list(case.household.credit_refunds.select_related("recorded_by")),
            "can_refund": user.has_perm("arrears.refund_credit"),
            "can_approve_backdate": access.may_approve_backdate(user),
            "can_log": user.has_perm("households.add_contactattempt"),
            "can_set_written_only": access.may_set_written_only(user),
            "can_record_data_request": access.may_handle_data_requests(
                user, case.household.office_id
            ),
            **_assignment_context(user, case),
            **case_escalation(user, case),
        },
    )


def _limitation_summary(groups) -> dict:
    """The limitation table in one line: its earliest date, and how many unpaid months are
    past their limit (for legal review) or within 90 days of it."""
    return {
        "earliest": min((g.limit for g in groups), default=None),
        "expired": sum(g.months.count for g in groups if g.state == EXPIRED),
        "near": sum(g.months.count for g in groups if g.state == NEAR),
    }


def _assignment_context(user, case):
    """The team and responsible-person controls, for those who may use them, and the history."""
    from django.contrib.auth import get_user_model

    manages = access.may_assign_cases(user, case.campaign)
    context = {
        "assignment_history": assignment_history(case),
        # Named on the case but no longer in its team: shown, and listed for the manager.
        "responsible_departed": not responsible_is_member(case),
    }
    if manages and case.status not in DONE_STATUSES:  # a cleared or closed case stays put
        context["team_form"] = TeamChoiceForm(
            initial={"team": case.team_id}, teams=Team.objects.filter(campaign_id=case.campaign_id)
        )
    if access.may_set_responsible(user, case):
        members = (
            get_user_model()
            .objects.filter(team_memberships__team_id=case.team_id)
            .select_related("staff_profile")
        )
        context["responsible_form"] = ResponsibleForm(
            initial={"person": case.responsible_id}, members=members
        )
    return context
