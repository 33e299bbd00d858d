import pytest

from arrears import scoping


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
    assert ids(scoping.households(user)) == expected_households


def test_a_collector_also_sees_a_case_they_are_responsible_for_outside_their_team(world):
    world.case_b.responsible = world.collector_a
    world.case_b.save()
    assert ids(scoping.cases(world.collector_a)) == {world.case_a.pk, world.case_b.pk}


def test_offices_in_charge(world):
    assert ids(scoping.offices(world.ops)) == {world.office.pk}
    assert ids(scoping.offices(world.director)) == {world.office.pk}
    assert ids(scoping.offices(world.other_manager)) == {world.other_office.pk}
    assert ids(scoping.offices(world.admin)) == {world.office.pk, world.other_office.pk}


def test_site_staff_see_unit_codes_of_open_cases_and_nothing_else(world):
    units = list(scoping.target_units(world.site))
    assert [u["unit_code"] for u in units] == ["C13-103", "C6-101"]
    assert set(units[0]) == {"pk", "unit_code"}
    assert not scoping.cases(world.site).exists()
    assert not scoping.payments(world.site).exists()
    assert not scoping.contact_attempts(world.site).exists()


def test_cleared_cases_drop_off_the_site_staff_list(world):
    world.case_a.status = "cleared"
    world.case_a.save()
    assert [u["unit_code"] for u in scoping.target_units(world.site)] == ["C13-103"]


def test_case_workers_see_no_target_unit_list(world):
    assert not scoping.target_units(world.collector_a).exists()


def test_the_scope_is_computed_once_per_user_object(world, django_assert_max_num_queries):
    scoping.scope_of(world.director)
    with django_assert_max_num_queries(0):
        scoping.scope_of(world.director)
