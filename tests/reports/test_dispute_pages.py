"""The Disputes page and its list (issue 17.3): per office, scoped, constant queries."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears.models import Case, DebtPeriod
from households.disputes import dispute_record
from tests.conftest import add_offices

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
PAGE, LIST = reverse("dispute-figures"), reverse("dispute-list")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def english(client):
    client.cookies["django_language"] = "en"


def record(case, by, days, **kw):
    fields = {"words": "业主原话", "source": "call"}
    fields.update(kw)
    return dispute_record(case=case, by=by, now=NOW - datetime.timedelta(days=days), **fields)


@pytest.fixture
def disputed(world):
    leak = record(world.case_a, world.collector_a, 40, kind="service", cause="leak_unrepaired")
    two = list(DebtPeriod.objects.filter(household=world.house_b).order_by("month")[:2])
    months = record(world.case_b, world.collector_b, 10, kind="months", months=two)
    other = record(world.other_case, world.other_collector, 3, kind="service", cause="cleaning")
    return leak, months, other


def test_the_manager_sees_the_offices_figures(client, world, disputed):
    english(client)
    client.force_login(world.manager)
    page = client.get(PAGE).content.decode()
    assert 'data-testid="disputes-open">2<' in page
    assert "¥1,900.00" in page  # ¥1,700 of case_a's whole debt and ¥200 of case_b's months
    assert 'data-testid="disputes-overdue">1<' in page
    assert "leak not repaired" in page and "months disputed" in page
    assert "cleaning" not in page  # the other office's complaint
    assert world.other_office.name not in page


def test_the_director_gets_a_row_per_office_and_the_regions_total(client, world, disputed):
    english(client)
    (extra,) = add_offices(world, 1)
    client.force_login(world.director)
    page = client.get(PAGE).content.decode()
    assert world.office.name in page and extra.name in page
    assert 'data-testid="disputes-total"' in page
    assert world.other_office.name not in page  # another region's


def test_a_leader_sees_only_the_disputes_of_the_teams_cases(client, world, disputed):
    english(client)
    client.force_login(world.leader_a)
    page = client.get(PAGE).content.decode()
    assert 'data-testid="disputes-open">1<' in page
    listed = client.get(LIST).content.decode()
    assert f'data-dispute="{disputed[0].pk}"' in listed
    assert f'data-dispute="{disputed[1].pk}"' not in listed


def test_the_list_narrows_by_office_age_cause_and_overdue(client, world, disputed):
    english(client)
    leak, months, _other = disputed
    client.force_login(world.manager)

    def shown(**params):
        page = client.get(LIST, params).content.decode()
        return {d.pk for d in disputed if f'data-dispute="{d.pk}"' in page}

    assert shown() == {leak.pk, months.pk}
    assert shown(office=world.office.pk) == {leak.pk, months.pk}
    assert shown(age="over_30") == {leak.pk}
    assert shown(age="7_14") == {months.pk}
    assert shown(age="under_7") == set()
    assert shown(cause="leak_unrepaired") == {leak.pk}
    assert shown(cause="months") == {months.pk}
    assert shown(overdue="1") == {leak.pk}
    # Not a filter the page offers: no filter, not an error.
    assert shown(age="forever", cause="<script>") == {leak.pk, months.pk}


def test_the_list_shows_each_disputes_columns(client, world, disputed):
    english(client)
    client.force_login(world.manager)
    page = client.get(LIST, {"age": "over_30"}).content.decode()
    assert "C6-101" in page
    assert reverse("case-detail", args=[world.case_a.pk]) in page
    assert "2026-10-16" in page  # recorded 40 days before
    assert "40 days" in page
    assert "the service · leak not repaired" in page
    assert "¥1,700.00" in page and "the whole debt" in page
    assert "engineering" in page and "due 2026-10-23" in page
    assert "33 days overdue" in page
    assert "awaiting the written answer" in page


@pytest.mark.parametrize("office", ["other", "9999999", "abc", "-1"])
def test_an_office_outside_the_scope_is_404(client, world, disputed, office):
    client.force_login(world.manager)
    value = str(world.other_office.pk) if office == "other" else office
    assert client.get(LIST, {"office": value}).status_code == 404


def test_collectors_site_staff_and_no_role_get_403(client, world):
    for user in (world.collector_a, world.site, world.nobody):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.get(LIST).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client, db):
    for url in (PAGE, LIST):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_menu_links_the_page_for_those_who_may_see_it(client, world):
    for user, shown in ((world.manager, True), (world.director, True), (world.collector_a, False)):
        client.force_login(user)
        assert (f'href="{PAGE}"' in client.get(reverse("desk")).content.decode()) is shown


def _disputes_in(offices, days):
    for n, office in enumerate(offices):
        for case in Case.objects.filter(campaign__office=office).select_related("responsible"):
            record(case, case.responsible, days + n, kind="service", cause="facilities")
            record(case, case.responsible, days + n + 1, kind="amount", amount=Decimal("50"))


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [PAGE, LIST])
def test_the_pages_make_the_same_queries_for_more_offices_and_disputes(client, world, url):
    client.force_login(world.director)
    _disputes_in(add_offices(world, 1), 5)
    client.get(url)  # warm the session and the content types
    few = _queries(client, url)
    _disputes_in(add_offices(world, 3), 20)
    _disputes_in([world.office], 40)
    assert _queries(client, url) == few
