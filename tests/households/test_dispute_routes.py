"""The office manager sets where the office's service complaints go (issue 17.2)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from households import disputes
from households.disputes import DEFAULT_ROUTES
from households.models import DisputeRoute

NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def defaults(**changes):
    data = {}
    for cause, (department, days) in DEFAULT_ROUTES.items():
        data[f"{cause}-department"], data[f"{cause}-days"] = department, days
    data.update(changes)
    return data


def post(client, **changes):
    return client.post(reverse("dispute-routes"), defaults(**changes))


def test_the_manager_sends_leaks_to_customer_service_in_3_days(client, world):
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("dispute-routes")).text
    assert page.count('data-testid="route"') == len(DEFAULT_ROUTES)
    response = post(client, **{"leak_unrepaired-department": "customer_service"})
    assert response.status_code == 302
    response = post(
        client, **{"leak_unrepaired-department": "customer_service", "leak_unrepaired-days": 3}
    )
    route = DisputeRoute.objects.get(office=world.office, cause="leak_unrepaired")
    assert (route.department, route.days) == ("customer_service", 3)
    assert route.history.count() == 2  # changed twice: kept, never overwritten silently
    # Only the changed cause has a row; the rest follow the default.
    assert DisputeRoute.objects.count() == 1
    order = disputes.dispute_record(
        case=world.case_a,
        kind="service",
        cause="leak_unrepaired",
        words="漏水",
        source="call",
        by=world.collector_a,
    ).work_order
    assert order.department == "customer_service"
    assert order.due_date == datetime.date(2026, 11, 28)
    # The other office is untouched.
    assert disputes.route_for(world.other_office.pk, "leak_unrepaired") == ("engineering", 7)


@pytest.mark.parametrize("days", ["0", "91", ""])
def test_days_out_of_range_are_refused_with_what_to_do(client, world, days):
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    response = post(client, **{"cleaning-days": days})
    assert response.status_code == 400
    assert "Give each department between 1 and 90 days." in response.text
    assert not DisputeRoute.objects.exists()


def test_a_department_that_does_not_exist_posted_raw_is_refused(client, world):
    client.force_login(world.manager)
    response = post(client, **{"cleaning-department": "demolition"})
    assert response.status_code == 400
    assert not DisputeRoute.objects.exists()


@pytest.mark.parametrize("role", ["collector_a", "leader_a", "admin", "director"])
def test_only_an_office_manager_sets_the_routes(client, world, role):
    client.force_login(world.roles[role])
    assert client.get(reverse("dispute-routes")).status_code == 403
    assert post(client, **{"cleaning-days": 3}).status_code == 403
    assert not DisputeRoute.objects.exists()


def test_the_other_offices_manager_sets_only_their_own(client, world):
    client.force_login(world.other_manager)
    assert post(client, **{"cleaning-days": 3}).status_code == 302
    assert DisputeRoute.objects.get().office == world.other_office
    assert disputes.route_for(world.office.pk, "cleaning") == ("cleaning", 7)
