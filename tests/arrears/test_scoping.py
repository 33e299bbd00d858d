import datetime

import pytest
from django.utils import timezone

from arrears import scoping
from households import scoping as household_scoping


def ids(qs):
    return set(qs.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("collector_a", {"case_a"}),
        ("leader_a", {"case_a"}),
        ("collector_b", {"case_b"}),
        ("manager", {"case_a", "case_b"}),
        ("ops", {"case_a", "case_b"}),
        ("director", {"case_a", "case_b"}),
        ("admin", {"case_a", "case_b", "other_case"}),
        ("site", set()),
        ("other_manager", {"other_case"}),
        ("other_collector", {"other_case"}),
        ("nobody", set()),
    ],
)
def test_each_role_sees_exactly_its_cases(world, who, sees):
    user = world.roles[who]
    assert ids(scoping.cases(user)) == {getattr(world, name).pk for name in sees}
    # Households follow the same scope: a household is visible only through a visible case.
    expected_households = {getattr(world, name).household_id for name in sees}
    assert ids(household_scoping.households(user)) == expected_households


def test_being_named_responsible_outside_ones_team_gives_no_access(world):
    # Access comes from current membership of the case's team (issue 12.4), never from a
    # name left on the case: an import or the administration may leave one behind.
    world.case_b.responsible = world.collector_a
    world.case_b.save()
    assert ids(scoping.cases(world.collector_a)) == {world.case_a.pk}


def test_a_collector_removed_from_her_team_loses_its_cases_at_once(world):
    from households.contact import attempt_log
    from teams.models import TeamMember
    from tests.conftest import record_payment

    record_payment(world.house_a, "100.00", world.collector_a, case=world.case_a)
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=timezone.now() - datetime.timedelta(minutes=30),
        channel="payment_notice",
        person_contacted="owner",
        outcome="delivered",
    )
    # Removed the way the administration removes her: the membership row is deleted, and
    # she is still named as case_a's responsible person.
    TeamMember.objects.get(team=world.team_a, user=world.collector_a).delete()
    collector = type(world.collector_a).objects.get(pk=world.collector_a.pk)  # a new request
    assert collector.responsible_cases.get() == world.case_a
    assert not scoping.cases(collector).exists()
    assert not household_scoping.households(collector).exists()
    assert not scoping.payments(collector).exists()
    assert not household_scoping.contact_attempts(collector).exists()
    assert not scoping.difficult_issues(collector).exists()
    assert not scoping.summaries(collector).exists()
    # The team's leader and the office still see all she recorded.
    assert scoping.payments(world.leader_a).filter(recorded_by=world.collector_a).count() == 1
    assert (
        household_scoping.contact_attempts(world.manager).filter(made_by=world.collector_a).count()
        == 1
    )


def test_offices_in_charge(world):
    assert ids(scoping.offices(world.ops)) == {world.office.pk}
    assert ids(scoping.offices(world.director)) == {world.office.pk}
    assert ids(scoping.offices(world.other_manager)) == {world.other_office.pk}
    assert ids(scoping.offices(world.admin)) == {world.office.pk, world.other_office.pk}


def test_site_staff_see_unit_codes_of_open_cases_and_nothing_else(world):
    units = list(household_scoping.target_units(world.site))
    assert [u["unit_code"] for u in units] == ["C13-103", "C6-101"]
    assert set(units[0]) == {"pk", "unit_code"}
    assert not scoping.cases(world.site).exists()
    assert not scoping.payments(world.site).exists()
    assert not household_scoping.contact_attempts(world.site).exists()


def test_cleared_cases_drop_off_the_site_staff_list(world):
    world.case_a.status = "cleared"
    world.case_a.save()
    assert [u["unit_code"] for u in household_scoping.target_units(world.site)] == ["C13-103"]


def test_case_workers_see_no_target_unit_list(world):
    assert not household_scoping.target_units(world.collector_a).exists()


def test_the_scope_is_computed_once_per_user_object(world, django_assert_max_num_queries):
    scoping.scope_of(world.director)
    with django_assert_max_num_queries(0):
        scoping.scope_of(world.director)
