"""Assigning a campaign's cases to its teams, and a team's cases to its members.

The split itself is a pure function of (cases with their balances, teams); the services
below apply it. Every change is kept by the case's history: who, when, from which team or
person to which.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from arrears.access import leads_team
from arrears.models import Case
from teams.models import Team, TeamMember

BY_COUNT, BY_AMOUNT = "count", "amount"


@dataclass(frozen=True)
class CaseToSplit:
    case_id: int
    unit_code: str
    balance: Decimal


def split(
    cases: Sequence[CaseToSplit], team_ids: Sequence[int], *, mode: str = BY_COUNT
) -> dict[int, int]:
    """case id → team id.

    By count: cases in unit-code order dealt round-robin, so team sizes differ by at most one.
    By amount: largest balance first to the team owing least so far, never giving a team more
    than its fair share of cases (sizes still differ by at most one).
    """
    if not team_ids:
        raise ValueError("a campaign needs teams before its cases can be split")
    teams = list(team_ids)
    if mode == BY_COUNT:
        ordered = sorted(cases, key=lambda c: c.unit_code)
        return {c.case_id: teams[i % len(teams)] for i, c in enumerate(ordered)}
    if mode != BY_AMOUNT:
        raise ValueError(f"unknown split mode {mode!r}")
    cap = -(-len(cases) // len(teams))  # ceil
    load = dict.fromkeys(teams, Decimal("0"))
    size = dict.fromkeys(teams, 0)
    result = {}
    for case in sorted(cases, key=lambda c: (-c.balance, c.unit_code)):
        open_teams = [t for t in teams if size[t] < cap]
        team = min(open_teams, key=lambda t: (load[t], size[t], teams.index(t)))
        result[case.case_id] = team
        load[team] += case.balance
        size[team] += 1
    return result


def _move(case: Case, team: Team | None, by) -> bool:
    if case.team_id == (team.pk if team else None):
        return False
    case.team = team
    # The responsible person stays only if they belong to the new team.
    if case.responsible_id and not (
        team and TeamMember.objects.filter(team=team, user_id=case.responsible_id).exists()
    ):
        case.responsible = None
    case._history_user = by
    case.save(update_fields=["team", "responsible"])
    return True


def campaign_apply_split(*, campaign, assignment: dict[int, int], by) -> int:
    """Apply a previewed split; returns how many cases changed team."""
    teams = {t.pk: t for t in Team.objects.filter(campaign=campaign)}
    if not set(assignment.values()) <= set(teams):
        raise ValidationError(_("The split names a team of another campaign; preview it again."))
    changed = 0
    with transaction.atomic():
        cases = Case.objects.select_for_update().filter(campaign=campaign, pk__in=list(assignment))
        for case in cases:
            changed += _move(case, teams[assignment[case.pk]], by)
    return changed


def case_assign_team(*, case: Case, team: Team | None, by) -> Case:
    if team is not None and team.campaign_id != case.campaign_id:
        raise ValidationError(_("Choose a team of this case's campaign."), code="team")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        _move(case, team, by)
    return case


def case_set_responsible(*, case: Case, person, by, may_manage_office: bool) -> Case:
    """A team leader names the responsible person among their team; a manager may too
    (`may_manage_office`: arrears.access.may_assign_cases, asked by the caller)."""
    if case.team_id is None:
        raise ValidationError(_("Assign the case to a team first."), code="no_team")
    if not (may_manage_office or leads_team(by, case.team_id)):
        raise PermissionDenied
    if (
        person is not None
        and not TeamMember.objects.filter(team_id=case.team_id, user=person).exists()
    ):
        raise ValidationError(_("Choose a member of the case's team."), code="not_member")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        case.responsible = person
        case._history_user = by
        case.save(update_fields=["responsible"])
    return case


@dataclass(frozen=True)
class AssignmentChange:
    when: object
    by: object
    team_from: object
    team_to: object
    person_from: object
    person_to: object


def assignment_history(case: Case) -> list[AssignmentChange]:
    """Every change of team or responsible person on a case, oldest first (three queries)."""
    from django.contrib.auth import get_user_model

    records = list(
        case.history.order_by("history_date", "history_id").select_related(
            "history_user__staff_profile"
        )
    )
    team_ids = {r.team_id for r in records if r.team_id}
    user_ids = {r.responsible_id for r in records if r.responsible_id}
    teams = Team.objects.in_bulk(team_ids)
    users = get_user_model().objects.select_related("staff_profile").in_bulk(user_ids)
    changes, previous = [], None
    for record in records:
        if previous is not None and (
            record.team_id != previous.team_id or record.responsible_id != previous.responsible_id
        ):
            changes.append(
                AssignmentChange(
                    when=record.history_date,
                    by=record.history_user,
                    team_from=teams.get(previous.team_id),
                    team_to=teams.get(record.team_id),
                    person_from=users.get(previous.responsible_id),
                    person_to=users.get(record.responsible_id),
                )
            )
        previous = record
    return changes
