from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from arrears import scoping
from arrears.models import Case, Role
from arrears.roles import role_of
from arrears.selectors import with_case_figures
from arrears.views import _scoped_case

from .assignment import (
    BY_COUNT,
    CaseToSplit,
    campaign_apply_split,
    case_assign_team,
    case_set_responsible,
    split,
)
from .forms import ResponsibleForm, SplitForm, TeamChoiceForm
from .models import Team, TeamMember
from .standings import (
    CAMPAIGN,
    CYCLE,
    MONTH,
    WEEK,
    assessment,
    cumulative_collection,
    leaderboard,
    load_facts,
    member_rows,
    monthly_clearances,
    period_for,
)

PERIODS = [  # lazy: the labels are read in each request's language
    (WEEK, gettext_lazy("Last week")),
    (MONTH, gettext_lazy("This month so far")),
    (CYCLE, gettext_lazy("This assessment cycle so far")),
    (CAMPAIGN, gettext_lazy("Campaign so far")),
]


def _campaign(user, pk):
    return get_object_or_404(scoping.campaigns(user), pk=pk)


def _manages(user, campaign) -> bool:
    return role_of(user) in (Role.OFFICE_MANAGER, Role.ADMINISTRATOR) and user.has_perm(
        "arrears.change_case"
    )


def leaderboard_view(request, pk):
    """Everyone in the office sees the ranking; leaders see their team's people; managers all.
    No owner's name, phone or unit appears here."""
    user = request.user
    campaign = _campaign(user, pk)
    kind = request.GET.get("period", MONTH)
    if kind not in dict(PERIODS):
        kind = MONTH
    facts = load_facts(campaign)
    role = role_of(user)
    if role in (Role.COLLECTOR, Role.SITE_STAFF):
        detail_teams = set()
    elif role == Role.TEAM_LEADER:
        detail_teams = set(
            TeamMember.objects.filter(
                user=user, role=TeamMember.Role.LEADER, team__campaign=campaign
            ).values_list("team_id", flat=True)
        )
    else:
        detail_teams = None  # every team
    members = [] if detail_teams == set() else member_rows(facts, kind, team_ids=detail_teams)
    return render(
        request,
        "teams/leaderboard.html",
        {
            "campaign": campaign,
            "kind": kind,
            "periods": PERIODS,
            "period": period_for(kind, campaign, timezone.now()),
            "rows": leaderboard(facts, kind),
            "members": members,
            "collection_chart": cumulative_collection(facts),
            "clearance_chart": monthly_clearances(facts),
            "can_split": _manages(user, campaign),
            "policy": facts.policy,
        },
    )


def assessment_view(request, pk):
    campaign = _campaign(request.user, pk)
    facts = load_facts(campaign)
    return render(
        request,
        "teams/assessment.html",
        {"campaign": campaign, "assessment": assessment(facts), "policy": facts.policy},
    )


def _split_rows(campaign):
    cases = with_case_figures(
        Case.objects.filter(campaign=campaign).exclude(status=Case.Status.CLOSED)
    )
    return list(cases.order_by("household__unit_code"))


@require_http_methods(["GET", "POST"])
def split_view(request, pk):
    """Preview a split of the campaign's cases over its teams, then commit it."""
    campaign = _campaign(request.user, pk)
    if not _manages(request.user, campaign):
        raise PermissionDenied
    form = SplitForm(request.POST or request.GET or None)
    mode = form.cleaned_data["mode"] if form.is_valid() else BY_COUNT
    teams = list(Team.objects.filter(campaign=campaign).order_by("code"))
    cases = _split_rows(campaign)
    if not teams:
        messages.error(
            request, _("This campaign has no teams yet: add them in the administration first.")
        )
        return redirect("leaderboard", pk=campaign.pk)
    plan = split(
        [CaseToSplit(c.pk, c.household.unit_code, c.balance) for c in cases],
        [t.pk for t in teams],
        mode=mode,
    )
    if request.method == "POST" and "commit" in request.POST:
        changed = campaign_apply_split(campaign=campaign, assignment=plan, by=request.user)
        messages.success(
            request,
            ngettext(
                "The split is saved: %(n)d case changed team.",
                "The split is saved: %(n)d cases changed team.",
                changed,
            )
            % {"n": changed},
        )
        return redirect("leaderboard", pk=campaign.pk)
    by_team = {t.pk: t for t in teams}
    totals = {t.pk: {"team": t, "count": 0, "balance": 0} for t in teams}
    rows = []
    for case in cases:
        new_team = by_team[plan[case.pk]]
        totals[new_team.pk]["count"] += 1
        totals[new_team.pk]["balance"] += case.balance
        rows.append({"case": case, "new_team": new_team, "moves": case.team_id != new_team.pk})
    return render(
        request,
        "teams/split.html",
        {"campaign": campaign, "form": form, "rows": rows, "totals": totals.values(), "mode": mode},
    )


@require_POST
def case_team_view(request, pk):
    case = _scoped_case(request.user, pk)
    if not _manages(request.user, case.campaign):
        raise PermissionDenied
    form = TeamChoiceForm(request.POST, teams=Team.objects.filter(campaign=case.campaign))
    if form.is_valid():
        team = form.cleaned_data["team"]
        case_assign_team(case=case, team=team, by=request.user)
        if team is None:
            messages.success(request, _("The case is no longer assigned to a team."))
        else:
            messages.success(request, _("The case moved to %(team)s.") % {"team": team})
    else:
        messages.error(request, _("Choose one of this campaign's teams."))
    return redirect("case-detail", pk=case.pk)


@require_POST
def case_responsible_view(request, pk):
    case = _scoped_case(request.user, pk)
    members = get_user_model().objects.filter(team_memberships__team_id=case.team_id)
    form = ResponsibleForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, _("Choose a member of the case's team."))
        return redirect("case-detail", pk=case.pk)
    try:
        case_set_responsible(
            case=case,
            person=form.cleaned_data["person"],
            by=request.user,
            may_manage_office=_manages(request.user, case.campaign),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Responsible person saved."))
    return redirect("case-detail", pk=case.pk)
