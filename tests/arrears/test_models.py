import datetime
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from arrears.models import Case, DebtorCategory, DebtPeriod
from households.models import Household
from teams.models import TeamMember


def assert_refused(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_a_unit_code_is_unique_within_its_office_only(world):
    assert_refused(lambda: Household.objects.create(office=world.office, unit_code="c6-101"))
    assert Household.objects.filter(unit_code="C6-101").count() == 2  # one per office


def test_unit_codes_are_normalised_and_their_building_derived(world):
    household = Household.objects.create(office=world.office, unit_code=" e2-2-201 ")
    assert (household.unit_code, household.building) == ("E2-2-201", "E2")


def test_one_period_per_household_and_month(world):
    assert_refused(
        lambda: DebtPeriod.objects.create(
            household=world.house_a, month=datetime.date(2014, 1, 1), amount_due=1
        )
    )


def test_a_period_is_a_first_of_month(world):
    assert_refused(
        lambda: DebtPeriod.objects.create(
            household=world.house_a, month=datetime.date(2016, 1, 2), amount_due=1
        )
    )


def test_amounts_are_never_negative(world):
    assert_refused(
        lambda: DebtPeriod.objects.create(
            household=world.house_a, month=datetime.date(2016, 1, 1), amount_due=D("-1")
        )
    )


def test_one_case_per_household_per_campaign(world):
    assert_refused(
        lambda: Case.objects.create(
            campaign=world.campaign, household=world.house_a, category="vacant"
        )
    )


def test_a_closed_case_needs_a_reason(world):
    world.case_a.status = Case.Status.CLOSED
    assert_refused(world.case_a.save)


def test_a_team_has_one_leader(world):
    assert_refused(
        lambda: TeamMember.objects.create(team=world.team_a, user=world.collector_b, role="leader")
    )


def test_who_moved_a_case_from_which_team_is_kept(world):
    world.case_a._history_user = world.manager
    world.case_a.team = world.team_b
    world.case_a.save()
    latest, previous = world.case_a.history.order_by("-history_date")[:2]
    assert (previous.team_id, latest.team_id) == (world.team_a.pk, world.team_b.pk)
    assert latest.history_user == world.manager
    assert [c.field for c in latest.diff_against(previous).changes] == ["team"]


def test_a_case_made_without_a_category_is_not_yet_classified(world):
    household = Household.objects.create(office=world.office, unit_code="N9-901")
    case = Case.objects.create(campaign=world.campaign, household=household)
    case.refresh_from_db()
    assert case.category == DebtorCategory.UNCLASSIFIED
    assert "待分类" in case.get_category_display()  # in English and in Chinese


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("name", ["category", "status"])
def test_a_cases_labels_found_by_value_are_djangos(name, language):
    field = Case._meta.get_field(name)
    with translation.override(language):
        for value in [*(v for v, _label in field.choices), "no-such-choice"]:
            case = Case(**{name: value})
            djangos = Case._get_FIELD_display(case, field)
            assert getattr(case, f"get_{name}_display")() == djangos
            assert type(getattr(case, f"get_{name}_display")()) is str
