import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from arrears import scoping
from arrears.models import Case, DebtorCategory
from teams.assignment import assignment_history
from teams.membership import (
    REMOVAL_REASON,
    cases_with_departed_responsible,
    open_cases_of,
    past_members,
    responsible_is_member,
    team_member_remove,
)
from teams.models import Team, TeamMember
from tests.conftest import make_case, make_household, make_user


def _membership(world, user=None):
    return TeamMember.objects.get(team=world.team_a, user=user or world.collector_a)


def _second_case(world, *, status=Case.Status.OPEN, unit="C16-104"):
    month = datetime.date(2015, 1, 1)
    house = make_household(world.office, unit, first=month, last=month)
    return make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.VACANT,
        status=status,
    )


def test_removing_a_member_hands_each_open_case_over_and_records_who_when_from_whom(world):
    second = _second_case(world)
    done = _second_case(world, status=Case.Status.CLEARED, unit="A1-101")
    membership = _membership(world)
    assert list(open_cases_of(membership)) == [second, world.case_a]  # C16 before C6

    removal = team_member_remove(
        membership=membership,
        handovers={world.case_a.pk: world.leader_a, second.pk: None},
        by=world.manager,
    )

    assert (removal.reassigned, removal.to_nobody) == (1, 1)
    assert not TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()
    world.case_a.refresh_from_db()
    second.refresh_from_db()
    done.refresh_from_db()
    assert world.case_a.responsible == world.leader_a
    assert second.responsible is None
    assert done.responsible == world.collector_a  # a cleared case keeps who cleared it
    (change,) = assignment_history(world.case_a)
    assert (change.by, change.person_from, change.person_to) == (
        world.manager,
        world.collector_a,
        world.leader_a,
    )
    assert world.case_a.history.latest().history_change_reason == REMOVAL_REASON
    # The membership's history keeps that she was in the team, who removed her and when.
    gone = TeamMember.history.filter(user=world.collector_a, history_type="-").get()
    assert (gone.team_id, gone.history_user) == (world.team_a.pk, world.manager)
    assert not scoping.cases(type(world.collector_a).objects.get(pk=world.collector_a.pk))


def test_a_member_with_no_open_cases_is_removed_with_an_empty_handover(world):
    Case.objects.filter(pk=world.case_b.pk).update(status=Case.Status.CLEARED)
    removal = team_member_remove(
        membership=TeamMember.objects.get(user=world.collector_b), handovers={}, by=world.manager
    )
    assert (removal.reassigned, removal.to_nobody) == (0, 0)
    assert not TeamMember.objects.filter(user=world.collector_b).exists()


def test_a_case_given_to_her_after_the_form_was_shown_refuses_the_whole_removal(world):
    membership = _membership(world)
    handovers = {world.case_a.pk: world.leader_a}
    second = _second_case(world)  # the same minute, by someone else
    with pytest.raises(ValidationError) as refused:
        team_member_remove(membership=membership, handovers=handovers, by=world.manager)
    assert refused.value.code == "cases_changed"
    assert TeamMember.objects.filter(pk=membership.pk).exists()
    assert set(
        Case.objects.filter(pk__in=[world.case_a.pk, second.pk]).values_list(
            "responsible_id", flat=True
        )
    ) == {world.collector_a.pk}


def test_a_case_that_is_not_hers_cannot_be_slipped_into_the_handover(world):
    with pytest.raises(ValidationError):
        team_member_remove(
            membership=_membership(world),
            handovers={world.case_a.pk: world.leader_a, world.case_b.pk: world.leader_a},
            by=world.manager,
        )
    world.case_b.refresh_from_db()
    assert world.case_b.responsible == world.collector_b


@pytest.mark.parametrize(
    "who", ["collector_a", "collector_b", "other_collector", "manager"], ids=str
)
def test_the_new_responsible_person_must_stay_in_the_team(world, who):
    with pytest.raises(ValidationError) as refused:
        team_member_remove(
            membership=_membership(world),
            handovers={world.case_a.pk: world.roles[who]},
            by=world.manager,
        )
    assert refused.value.code == "not_member"
    assert TeamMember.objects.filter(team=world.team_a, user=world.collector_a).exists()
    world.case_a.refresh_from_db()
    assert world.case_a.responsible == world.collector_a


def test_removing_twice_says_she_is_gone_already(world):
    membership = _membership(world)
    team_member_remove(membership=membership, handovers={world.case_a.pk: None}, by=world.manager)
    with pytest.raises(ValidationError) as refused:
        team_member_remove(membership=membership, handovers={}, by=world.manager)
    assert refused.value.code == "gone"


def test_removing_the_leader_leaves_the_team_without_one(world):
    world.case_a.responsible = world.leader_a
    world.case_a.save()
    team_member_remove(
        membership=_membership(world, world.leader_a),
        handovers={world.case_a.pk: world.collector_a},
        by=world.manager,
    )
    assert not TeamMember.objects.filter(team=world.team_a, role=TeamMember.Role.LEADER).exists()
    assert scoping.cases(type(world.leader_a).objects.get(pk=world.leader_a.pk)).count() == 0


def test_a_responsible_person_removed_elsewhere_is_listed_for_reassignment(world):
    assert not cases_with_departed_responsible(Team.objects.all()).exists()
    assert responsible_is_member(world.case_a)
    _membership(world).delete()  # the administration's way
    assert list(cases_with_departed_responsible(Team.objects.all())) == [world.case_a]
    assert not responsible_is_member(world.case_a)
    # A cleared case is done: nobody needs to take it over.
    Case.objects.filter(pk=world.case_a.pk).update(status=Case.Status.CLEARED)
    assert not cases_with_departed_responsible(Team.objects.all()).exists()


def test_a_case_with_nobody_responsible_is_not_listed(world):
    Case.objects.filter(pk=world.case_a.pk).update(responsible=None)
    world.case_a.refresh_from_db()
    assert responsible_is_member(world.case_a)
    assert not cases_with_departed_responsible(Team.objects.all()).exists()


def test_past_members_are_those_removed_since_and_not_back(world):
    before = timezone.now()
    team_member_remove(
        membership=_membership(world), handovers={world.case_a.pk: None}, by=world.manager
    )
    newcomer = make_user("newcomer", "collector", office=world.office)
    TeamMember.objects.create(team=world.team_a, user=newcomer)
    TeamMember.objects.get(user=newcomer).delete()
    TeamMember.objects.create(team=world.team_a, user=newcomer)  # back again: current
    (past,) = past_members([world.team_a.pk], since=before)
    assert (past.user_id, past.team_id, past.removed_by_id) == (
        world.collector_a.pk,
        world.team_a.pk,
        world.manager.pk,
    )
    assert past_members([world.team_a.pk], since=timezone.now()) == []
