"""Assigning a campaign's cases to its teams, and a team's cases to its members.

Rebalancing is a pure function of (the open cases with their team, balance and responsible
person; the teams and their members): `plan_moves` returns the fewest moves that balance
the teams, each with what happens to its responsible person. The services below apply a
plan only if it is still the plan the manager previewed. Every change is kept by the case's
history: who, when, from which team or person to which.

Only open cases move: a cleared or closed case stays with the team that held it (its
clearance, and the team's "cleared" figure, belong to that team).
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from arrears.access import leads_team
from arrears.models import Case
from teams.membership import DONE_STATUSES
from teams.models import Team, TeamMember

BY_COUNT, BY_AMOUNT = "count", "amount"
# By amount, teams count as balanced once the team owed most is owed no more than this share
# of the average team's balance above the team owed least.
AMOUNT_TOLERANCE_PERCENT = 10


@dataclass(frozen=True)
class CaseToSplit:
    case_id: int
    unit_code: str
    balance: Decimal
    team_id: int | None = None
    responsible_id: int | None = None


@dataclass(frozen=True)
class Move:
    """One case changing team, and whether its responsible person stays named on it."""

    case_id: int
    unit_code: str
    balance: Decimal
    team_from: int | None
    team_to: int
    responsible_id: int | None
    keeps_responsible: bool


def _unit_order(case: CaseToSplit):
    return (case.unit_code, case.case_id)


def plan_moves(
    cases: Sequence[CaseToSplit],
    team_ids: Sequence[int],
    *,
    mode: str = BY_COUNT,
    members: dict[int, set[int]] | None = None,
) -> list[Move]:
    """The moves that balance `cases` (the campaign's open cases) over `team_ids`.

    By count: every team ends with the same number of open cases or one more. The teams that
    already hold most keep the larger shares, so only the excess of the fullest teams (and
    every case without a team) moves: cases nobody is responsible for first, then cases whose
    responsible person is also a member of a team that receives cases, then in unit-code
    order.

    By amount: cases without a team go first, largest balance first, each to the team owed
    least so far. Then, while the team owed most is owed more than 10 % of the average team's
    balance above the team owed least, the one case of the former that best closes that gap
    moves to the latter (only a case smaller than the gap narrows it; a case moves at most
    once). Case counts may then differ: the preview shows them.

    `members`: team id → its members' user ids; a responsible person who is a member of the
    new team stays named on the case, anyone else is cleared (the new team's leader names
    someone).
    """
    if not team_ids:
        raise ValueError("a campaign needs teams before its cases can be split")
    if mode not in (BY_COUNT, BY_AMOUNT):
        raise ValueError(f"unknown split mode {mode!r}")
    teams = list(team_ids)
    members = members or {}
    held = {t: [] for t in teams}
    loose = []
    for case in sorted(cases, key=_unit_order):
        held.get(case.team_id, loose).append(case)
    destination = (
        _by_count(held, loose, teams, members)
        if mode == BY_COUNT
        else _by_amount(held, loose, teams)
    )
    moves = []
    for case in sorted(cases, key=_unit_order):
        to = destination.get(case.case_id)
        if to is None or to == case.team_id:
            continue
        moves.append(
            Move(
                case_id=case.case_id,
                unit_code=case.unit_code,
                balance=case.balance,
                team_from=case.team_id if case.team_id in held else None,
                team_to=to,
                responsible_id=case.responsible_id,
                keeps_responsible=bool(
                    case.responsible_id and case.responsible_id in members.get(to, ())
                ),
            )
        )
    return moves


def _by_count(held, loose, teams, members) -> dict[int, int]:
    total = sum(len(c) for c in held.values()) + len(loose)
    base, extra = divmod(total, len(teams))
    fullest = sorted(teams, key=lambda t: (-len(held[t]), teams.index(t)))
    target = {t: base + (1 if i < extra else 0) for i, t in enumerate(fullest)}
    room = {t: target[t] - len(held[t]) for t in teams if target[t] > len(held[t])}

    def keeps(case):  # its responsible person is also a member of a team with room
        return any(case.responsible_id in members.get(t, ()) for t in room)

    leaving = list(loose)
    for t in teams:
        excess = len(held[t]) - target[t]
        if excess > 0:  # first the cases with nobody to clear, then those whose person stays
            ordered = sorted(
                held[t],
                key=lambda c: (
                    0 if c.responsible_id is None else 1 if keeps(c) else 2,
                    _unit_order(c),
                ),
            )
            leaving += ordered[:excess]
    destination = {}
    # Cases whose responsible person can stay are placed first, then the others.
    for case in sorted(leaving, key=lambda c: not (c.responsible_id and keeps(c))):
        open_teams = [t for t in teams if room.get(t, 0) > 0]
        keeping = [t for t in open_teams if case.responsible_id in members.get(t, ())]
        to = (keeping or open_teams)[0]
        destination[case.case_id] = to
        room[to] -= 1
    return destination


def _by_amount(held, loose, teams) -> dict[int, int]:
    owed = {t: sum((c.balance for c in held[t]), Decimal("0")) for t in teams}
    count = {t: len(held[t]) for t in teams}
    destination = {}
    for case in sorted(loose, key=lambda c: (-c.balance, _unit_order(c))):
        to = min(teams, key=lambda t: (owed[t], count[t], teams.index(t)))
        destination[case.case_id] = to
        owed[to] += case.balance
        count[to] += 1
    movable = {t: [c for c in held[t]] for t in teams}  # a case moves at most once
    tolerance = sum(owed.values()) / len(teams) * AMOUNT_TOLERANCE_PERCENT / 100
    for _step in range(sum(len(c) for c in held.values())):
        most = max(teams, key=lambda t: (owed[t], -teams.index(t)))
        least = min(teams, key=lambda t: (owed[t], teams.index(t)))
        gap = owed[most] - owed[least]
        if gap <= tolerance:
            break
        narrowing = [c for c in movable[most] if 0 < c.balance < gap]
        if not narrowing:
            break
        case = min(narrowing, key=lambda c: (abs(gap - 2 * c.balance), _unit_order(c)))
        movable[most].remove(case)
        destination[case.case_id] = least
        owed[most] -= case.balance
        owed[least] += case.balance
    return destination


@dataclass(frozen=True)
class SplitPlan:
    """A campaign's rebalancing as the preview shows it and the commit applies it."""

    mode: str
    teams: list  # the campaign's teams, in code order
    cases: list  # every case of the campaign (with household), in unit-code order
    moves: list[Move]
    fingerprint: str  # of everything the plan was computed from

    @property
    def move_keys(self) -> list[str]:
        return [f"{m.case_id}:{m.team_to}" for m in self.moves]


def _members(team_ids) -> dict[int, set[int]]:
    members = {t: set() for t in team_ids}
    for team_id, user_id in TeamMember.objects.filter(team_id__in=team_ids).values_list(
        "team_id", "user_id"
    ):
        members[team_id].add(user_id)
    return members


def campaign_split_plan(campaign, mode: str, *, lock: bool = False) -> SplitPlan:
    """The plan for the campaign's cases as they are now (`lock`: their rows locked until
    the end of the surrounding transaction)."""
    cases = Case.objects.filter(campaign=campaign)
    if lock:
        cases = cases.select_for_update(of=("self",))
    cases = list(
        cases.select_related("household", "team", "responsible__staff_profile").order_by(
            "household__unit_code", "pk"
        )
    )
    teams = list(Team.objects.filter(campaign=campaign).order_by("code", "pk"))
    team_ids = [t.pk for t in teams]
    members = _members(team_ids)
    open_cases = [
        CaseToSplit(c.pk, c.household.unit_code, c.balance, c.team_id, c.responsible_id)
        for c in cases
        if c.status not in DONE_STATUSES
    ]
    moves = plan_moves(open_cases, team_ids, mode=mode, members=members) if teams else []
    state = repr(
        (
            mode,
            team_ids,
            sorted((t, sorted(u)) for t, u in members.items()),
            [(c.pk, c.team_id, c.responsible_id, c.status, str(c.balance)) for c in cases],
        )
    )
    fingerprint = hashlib.sha256(state.encode()).hexdigest()[:32]
    return SplitPlan(mode=mode, teams=teams, cases=cases, moves=moves, fingerprint=fingerprint)


STALE = "stale"


def campaign_apply_split(
    *, campaign, mode: str, fingerprint: str, moves: Sequence[str], by
) -> SplitPlan:
    """Apply the plan the manager previewed: `fingerprint` and `moves` (["case:team", ...])
    as the preview showed them. If anything the plan depends on changed since (another
    manager's move, a payment that cleared a case, a member who left), nothing is applied
    and ValidationError(code="stale") asks to look at the new preview."""
    with transaction.atomic():
        plan = campaign_split_plan(campaign, mode, lock=True)
        if fingerprint != plan.fingerprint or list(moves) != plan.move_keys:
            raise ValidationError(
                _(
                    "The cases or teams changed since this preview was made (another "
                    "manager, or a payment): nothing was saved. Look at the new preview "
                    "below and save it if it is right."
                ),
                code=STALE,
            )
        by_pk = {c.pk: c for c in plan.cases}
        teams = {t.pk: t for t in plan.teams}
        for move in plan.moves:
            case = by_pk[move.case_id]
            case.team = teams[move.team_to]
            if not move.keeps_responsible:
                case.responsible = None
            case._history_user = by
            case.save(update_fields=["team", "responsible"])
    return plan


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


def case_assign_team(*, case: Case, team: Team | None, by) -> Case:
    """Move one case. A cleared or closed case stays with the team that held it."""
    if team is not None and team.campaign_id != case.campaign_id:
        raise ValidationError(_("Choose a team of this case's campaign."), code="team")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status in DONE_STATUSES and case.team_id != (team.pk if team else None):
            raise ValidationError(
                _(
                    "A cleared or closed case stays with the team that held it; only open "
                    "cases move."
                ),
                code="done",
            )
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
