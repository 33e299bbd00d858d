from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from arrears.models import Case
from teams.assignment import (
    BY_AMOUNT,
    BY_COUNT,
    CaseToSplit,
    assignment_history,
    campaign_apply_split,
    case_assign_team,
    case_set_responsible,
    split,
)
from teams.models import Team

EIGHT = [
    CaseToSplit(i, f"U{i}", D(b)) for i, b in enumerate([900, 800, 700, 600, 500, 400, 300, 200], 1)
]


def sizes(plan):
    out = {}
    for team in plan.values():
        out[team] = out.get(team, 0) + 1
    return out


def test_the_plans_split_four_teams_two_households_each():
    plan = split(EIGHT, [1, 2, 3, 4], mode=BY_COUNT)
    assert sizes(plan) == {1: 2, 2: 2, 3: 2, 4: 2}
    assert [plan[i] for i in range(1, 9)] == [1, 2, 3, 4, 1, 2, 3, 4]


def test_uneven_counts_differ_by_at_most_one():
    assert sorted(sizes(split(EIGHT[:7], [1, 2, 3], mode=BY_COUNT)).values()) == [2, 2, 3]


def test_by_amount_balances_what_each_team_is_owed():
    plan = split(EIGHT, [1, 2, 3, 4], mode=BY_AMOUNT)
    owed = {t: sum(c.balance for c in EIGHT if plan[c.case_id] == t) for t in (1, 2, 3, 4)}
    assert sizes(plan) == {1: 2, 2: 2, 3: 2, 4: 2}
    assert max(owed.values()) - min(owed.values()) <= D("100")  # 1100 each here
    assert set(owed.values()) == {D("1100")}


def test_by_amount_never_gives_one_team_all_the_small_cases():
    cases = [CaseToSplit(1, "A", D("10000"))] + [
        CaseToSplit(i, f"B{i}", D("10")) for i in range(2, 9)
    ]
    assert sorted(sizes(split(cases, [1, 2], mode=BY_AMOUNT)).values()) == [4, 4]


def test_a_split_needs_teams():
    with pytest.raises(ValueError):
        split(EIGHT, [])


def test_applying_a_split_moves_cases_and_keeps_who_did_it(world):
    plan = {world.case_a.pk: world.team_b.pk, world.case_b.pk: world.team_b.pk}
    assert campaign_apply_split(campaign=world.campaign, assignment=plan, by=world.manager) == 1
    world.case_a.refresh_from_db()
    assert world.case_a.team == world.team_b
    # collector_a is not in team B: the case waits for B's leader to name someone
    assert world.case_a.responsible is None
    (change,) = assignment_history(world.case_a)
    assert (change.by, change.team_from, change.team_to) == (
        world.manager,
        world.team_a,
        world.team_b,
    )
    assert (change.person_from, change.person_to) == (world.collector_a, None)


def test_a_split_cannot_name_another_campaigns_team(world):
    with pytest.raises(ValidationError):
        campaign_apply_split(
            campaign=world.campaign,
            assignment={world.case_a.pk: world.other_team.pk},
            by=world.manager,
        )
    world.case_a.refresh_from_db()
    assert world.case_a.team == world.team_a


def test_moving_a_case_to_another_campaigns_team_is_refused(world):
    with pytest.raises(ValidationError):
        case_assign_team(case=world.case_a, team=world.other_team, by=world.manager)


def test_the_leader_names_the_responsible_person_within_the_team(world):
    case = case_set_responsible(
        case=world.case_a, person=world.leader_a, by=world.leader_a, may_manage_office=False
    )
    assert case.responsible == world.leader_a
    with pytest.raises(ValidationError):
        case_set_responsible(
            case=world.case_a, person=world.collector_b, by=world.leader_a, may_manage_office=False
        )


def test_a_collector_cannot_name_the_responsible_person(world):
    with pytest.raises(PermissionDenied):
        case_set_responsible(
            case=world.case_a,
            person=world.collector_a,
            by=world.collector_a,
            may_manage_office=False,
        )


def test_a_case_without_team_needs_one_first(world):
    Case.objects.filter(pk=world.case_a.pk).update(team=None)
    world.case_a.refresh_from_db()
    with pytest.raises(ValidationError):
        case_set_responsible(
            case=world.case_a, person=world.collector_a, by=world.manager, may_manage_office=True
        )


def test_teams_are_per_campaign(world):
    assert set(Team.objects.filter(campaign=world.campaign)) == {world.team_a, world.team_b}
