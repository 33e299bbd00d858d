"""Setting a case's debtor category: who may, to what, and its history (arrears.cases)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from arrears.cases import case_set_category, category_history
from arrears.models import Case, DebtorCategory


@pytest.fixture
def unclassified(world):
    """case_a as an imported ledger without a category left it: not yet classified."""
    Case.objects.filter(pk=world.case_a.pk).update(category=DebtorCategory.UNCLASSIFIED)
    world.case_a.refresh_from_db()
    return world.case_a


@pytest.mark.parametrize("who", ["leader_a", "manager", "admin"])
def test_whoever_may_change_the_case_sets_its_category(world, unclassified, who):
    case = case_set_category(case=unclassified, category=DebtorCategory.VACANT, by=world.roles[who])
    assert Case.objects.get(pk=case.pk).category == DebtorCategory.VACANT


@pytest.mark.parametrize("who", ["collector_a", "ops", "director", "other_manager", "collector_b"])
def test_anyone_else_is_refused_and_nothing_changes(world, unclassified, who):
    with pytest.raises(PermissionDenied):
        case_set_category(case=unclassified, category=DebtorCategory.VACANT, by=world.roles[who])
    assert Case.objects.get(pk=unclassified.pk).category == DebtorCategory.UNCLASSIFIED


@pytest.mark.parametrize("value", [DebtorCategory.UNCLASSIFIED, "bogus", ""])
def test_not_yet_classified_is_never_chosen(world, value):
    with pytest.raises(ValidationError) as refused:
        case_set_category(case=world.case_a, category=value, by=world.manager)
    assert refused.value.code == "not_a_category"
    assert Case.objects.get(pk=world.case_a.pk).category == DebtorCategory.GRIEVANCE


def test_the_history_keeps_who_changed_it_from_what(world, unclassified):
    case_set_category(case=unclassified, category=DebtorCategory.AWAY, by=world.leader_a)
    case_set_category(case=unclassified, category=DebtorCategory.AWAY, by=world.manager)  # same
    record = unclassified.history.latest("history_date")
    assert (record.category, record.history_user) == (DebtorCategory.AWAY, world.leader_a)
    changes = category_history(unclassified)
    assert [(c.by, c.after) for c in changes][-1] == (
        world.leader_a,
        str(DebtorCategory.AWAY.label),
    )
    assert len([c for c in changes if c.by == world.manager]) == 0  # no change, no record


# --- the action (arrears.views.case_category_view) --------------------------------------------


def post(client, user, case, category):
    client.force_login(user)
    return client.post(reverse("case-category", args=[case.pk]), {"category": category})


def test_the_leader_sets_it_from_the_case_page(client, world, unclassified):
    response = post(client, world.leader_a, unclassified, "unreachable")
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[unclassified.pk])
    assert Case.objects.get(pk=unclassified.pk).category == DebtorCategory.UNREACHABLE


def test_a_collectors_raw_post_is_refused(client, world, unclassified):
    response = post(client, world.collector_a, unclassified, "refusal")
    assert response.status_code == 403
    assert Case.objects.get(pk=unclassified.pk).category == DebtorCategory.UNCLASSIFIED


def test_another_offices_case_is_404(client, world):
    response = post(client, world.manager, world.other_case, "vacant")
    assert response.status_code == 404
    assert Case.objects.get(pk=world.other_case.pk).category == DebtorCategory.REFUSAL


def test_another_teams_case_is_404_for_a_leader(client, world):
    response = post(client, world.leader_a, world.case_b, "vacant")
    assert response.status_code == 404
    assert Case.objects.get(pk=world.case_b.pk).category == DebtorCategory.UNREACHABLE


@pytest.mark.parametrize("value", ["unclassified", "bogus", ""])
def test_posting_no_real_category_changes_nothing_and_says_what_to_do(
    client, settings, world, value
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post(client, world.manager, world.case_a, value)
    assert response.status_code == 302
    assert Case.objects.get(pk=world.case_a.pk).category == DebtorCategory.GRIEVANCE
    page = client.get(response["Location"])
    assert "Choose one of the five categories" in page.content.decode()


def test_a_get_is_not_allowed(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("case-category", args=[world.case_a.pk])).status_code == 405
