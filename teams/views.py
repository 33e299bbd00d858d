from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from arrears import access, scoping
from arrears.pages import scoped_case
from arrears.people import person_name
from teams import scoping as team_scoping
from teams.assignment import (
    AMOUNT_TOLERANCE_PERCENT,
    BY_COUNT,
    DONE_STATUSES,
    campaign_apply_split,
    campaign_split_plan,
    case_assign_team,
    case_set_responsible,
)
from teams.forms import HandoverForm, ResponsibleForm, SplitForm, TeamChoiceForm
from teams.membership import cases_with_departed_responsible, open_cases_of, team_member_remove
from teams.models import Team, TeamMember
from teams.standings import CAMPAIGN, CYCLE, MONTH, WEEK, period_for
from teams.standings_cache import assessment_of, board

PERIODS = [  # lazy: the labels are read in each request's language
    (WEEK, gettext_lazy("Last week")),
    (MONTH, gettext_lazy("This month so far")),
    (CYCLE, gettext_lazy("This assessment cycle so far")),
    (CAMPAIGN, gettext_lazy("Campaign so far")),
]


def _campaign(user, pk):
    return get_object_or_404(scoping.campaigns(user), pk=pk)


def leaderboard_view(request, pk):
    """Everyone in the office sees the ranking; leaders see their team's people; managers all.
    No owner's name, phone or unit appears here. The standings are kept for a minute
    (teams.standings_cache): the same for everyone in the office."""
    user = request.user
    campaign = _campaign(user, pk)
    kind = request.GET.get("period", MONTH)
    if kind not in dict(PERIODS):
        kind = MONTH
    kept = board(campaign, kind)
    detail_teams = access.member_figures_teams(user, campaign)  # None: every team
    members = [m for m in kept["members"] if detail_teams is None or m.team.pk in detail_teams]
    return render(
        request,
        "teams/leaderboard.html",
        {
            "campaign": campaign,
            "kind": kind,
            "periods": PERIODS,
            "period": period_for(kind, campaign, timezone.now()),
            "rows": kept["rows"],
            "members": members,
            "collection_chart": kept["collection_chart"],
            "clearance_chart": kept["clearance_chart"],
            "can_split": access.may_assign_cases(user, campaign),
            "policy": kept["policy"],
        },
    )


def assessment_view(request, pk):
    campaign = _campaign(request.user, pk)
    result, policy = assessment_of(campaign)
    return render(
        request,
        "teams/assessment.html",
        {"campaign": campaign, "assessment": result, "policy": policy},
    )


def _split_context(campaign, form, plan):
    """What the preview shows: each team now and after, every move with what happens to its
    responsible person, and the cases that stay."""
    teams = {t.pk: t for t in plan.teams}
    cases = {c.pk: c for c in plan.cases}
    figures = {
        t.pk: {"team": t, "now": 0, "now_balance": 0, "after": 0, "after_balance": 0, "done": 0}
        for t in plan.teams
    }
    moved_to = {m.case_id: m.team_to for m in plan.moves}
    done = 0
    for case in plan.cases:
        if case.status in DONE_STATUSES:
            done += 1
            if case.team_id in figures:
                figures[case.team_id]["done"] += 1
            continue
        if case.team_id in figures:
            figures[case.team_id]["now"] += 1
            figures[case.team_id]["now_balance"] += case.balance
        after = moved_to.get(case.pk, case.team_id)
        if after in figures:
            figures[after]["after"] += 1
            figures[after]["after_balance"] += case.balance
    moves = [
        {
            "move": m,
            "case": cases[m.case_id],
            "team_from": teams.get(m.team_from),
            "team_to": teams[m.team_to],
            "person": cases[m.case_id].responsible,
        }
        for m in plan.moves
    ]
    open_count = sum(1 for c in plan.cases if c.status not in DONE_STATUSES)
    return {
        "campaign": campaign,
        "form": form,
        "plan": plan,
        "mode": plan.mode,
        "totals": figures.values(),
        "moves": moves,
        "staying": open_count - len(plan.moves),
        "done": done,
        "tolerance": AMOUNT_TOLERANCE_PERCENT,
    }


@require_http_methods(["GET", "POST"])
def split_view(request, pk):
    """Preview how the campaign's open cases would be rebalanced over its teams (every move
    and what happens to each responsible person), then commit exactly that preview."""
    campaign = _campaign(request.user, pk)
    if not access.may_assign_cases(request.user, campaign):
        raise PermissionDenied
    form = SplitForm(request.POST or request.GET or None)
    mode = form.cleaned_data["mode"] if form.is_valid() else BY_COUNT
    if not Team.objects.filter(campaign=campaign).exists():
        messages.error(
            request, _("This campaign has no teams yet: add them in the administration first.")
        )
        return redirect("leaderboard", pk=campaign.pk)
    if request.method == "POST" and "commit" in request.POST:
        try:
            plan = campaign_apply_split(
                campaign=campaign,
                mode=mode,
                fingerprint=request.POST.get("fingerprint", ""),
                moves=request.POST.getlist("move"),
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"{reverse('campaign-split', args=[campaign.pk])}?mode={mode}")
        changed = len(plan.moves)
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
    plan = campaign_split_plan(campaign, mode)
    return render(request, "teams/split.html", _split_context(campaign, form, plan))


@require_POST
def case_team_view(request, pk):
    case = scoped_case(request.user, pk)
    if not access.may_assign_cases(request.user, case.campaign):
        raise PermissionDenied
    form = TeamChoiceForm(request.POST, teams=Team.objects.filter(campaign=case.campaign))
    if form.is_valid():
        team = form.cleaned_data["team"]
        try:
            case_assign_team(case=case, team=team, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            _moved_message(request, team)
    else:
        messages.error(request, _("Choose one of this campaign's teams."))
    return redirect("case-detail", pk=case.pk)


def _moved_message(request, team):
    if team is None:
        messages.success(request, _("The case is no longer assigned to a team."))
    else:
        messages.success(request, _("The case moved to %(team)s.") % {"team": team})


@require_POST
def case_responsible_view(request, pk):
    case = scoped_case(request.user, pk)
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
            may_manage_office=access.may_assign_cases(request.user, case.campaign),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Responsible person saved."))
    return redirect("case-detail", pk=case.pk)


# Membership: the office manager (or an administrator) removes people from a team. Who may
# never do it (no permission to delete memberships) gets 403 before anything is looked up.
MANAGE_MEMBERS = "teams.delete_teammember"


@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_http_methods(["GET"])
def team_detail_view(request, pk):
    """The team's members, each with "remove from team", and the open cases whose
    responsible person is no longer in the team (removed in the administration)."""
    team = get_object_or_404(team_scoping.teams(request.user), pk=pk)
    members = team.memberships.select_related("user__staff_profile").order_by("role", "pk")
    departed = (
        cases_with_departed_responsible(Team.objects.filter(pk=team.pk))
        .select_related("household", "responsible__staff_profile")
        .order_by("household__unit_code")
    )
    return render(
        request,
        "teams/team_detail.html",
        {"team": team, "members": members, "departed": departed},
    )


@permission_required(MANAGE_MEMBERS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def team_member_remove_view(request, pk):
    """Remove a member: choose who takes over each of her open cases, then save both."""
    membership = get_object_or_404(
        TeamMember.objects.filter(team__in=team_scoping.teams(request.user)).select_related(
            "team__campaign", "user__staff_profile"
        ),
        pk=pk,
    )
    team = membership.team
    stay = (
        get_user_model()
        .objects.filter(team_memberships__team=team)
        .exclude(pk=membership.user_id)
        .select_related("staff_profile")
        .order_by("team_memberships__role", "team_memberships__pk")
    )
    cases = open_cases_of(membership).select_related("household")
    form = HandoverForm(request.POST or None, cases=cases, stay=stay)
    if request.method == "POST" and form.is_valid():
        try:
            removal = team_member_remove(
                membership=membership, handovers=form.handovers(), by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(person)s is no longer in %(team)s; %(n)d case has a new responsible person.",
                    "%(person)s is no longer in %(team)s; %(n)d cases have a new responsible "
                    "person.",
                    removal.reassigned + removal.to_nobody,
                )
                % {
                    "person": person_name(membership.user),
                    "team": team,
                    "n": removal.reassigned + removal.to_nobody,
                },
            )
            return redirect("team-detail", pk=team.pk)
    return render(
        request,
        "teams/member_remove.html",
        {"team": team, "membership": membership, "form": form},
    )
