import datetime
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from lxml import html as lxml_html

from arrears.models import Case, DebtorCategory
from households.contact import attempt_log
from households.contact_policy import make_breach
from tests.conftest import add_cases, record_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")

CASE_VIEW_ACCESS = {
    "collector_a": 200,
    "leader_a": 200,
    "collector_b": 404,
    "manager": 200,
    "ops": 200,
    "director": 200,
    "admin": 200,
    "site": 404,
    "other_manager": 404,
    "other_collector": 404,
    "nobody": 404,
}


@pytest.mark.parametrize(("who", "status"), CASE_VIEW_ACCESS.items())
def test_case_page_access_matrix(client, world, who, status):
    client.force_login(world.roles[who])
    response = client.get(reverse("case-detail", args=[world.case_a.pk]))
    assert response.status_code == status
    if status == 200:
        assert "C6-101" in response.content.decode()


@pytest.mark.parametrize("who", CASE_VIEW_ACCESS)
def test_every_role_has_a_desk(client, world, who):
    client.force_login(world.roles[who])
    response = client.get(reverse("desk"))
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/", "/cases/1/", "/admin/"])
def test_every_page_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_says_503_when_the_database_is_down(client, db, monkeypatch):
    class DownDatabase:
        def cursor(self):
            raise ConnectionError("database went away")

    monkeypatch.setattr("arrears.views.connection", DownDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable"}


def test_login_page_is_chinese_by_default_and_switches_to_english(client, db):
    page = client.get(reverse("login")).content.decode()
    assert "登录" in page
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert "Log in" in client.get(reverse("login")).content.decode()


def test_an_english_browser_still_gets_chinese_until_the_person_switches(client, db):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page


def test_login_with_a_wrong_password_says_what_to_do(client, world):
    response = client.post(reverse("login"), {"username": "manager", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名和密码" in response.content.decode()


def test_login_is_throttled_after_repeated_failures(client, world):
    for _ in range(5):
        client.post(reverse("login"), {"username": "manager", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "manager", "password": "pw-manager"})
    assert response.status_code == 429
    assert "15" in response.content.decode()


def test_a_good_login_lands_on_the_desk(client, world):
    response = client.post(
        reverse("login"), {"username": "collector_a", "password": "pw-collector_a"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("desk")


def test_collector_desk_lists_only_their_teams_cases(client, world):
    client.force_login(world.collector_a)
    page = client.get(reverse("desk")).content.decode()
    assert "C6-101" in page
    assert "C13-103" not in page


def test_manager_desk_shows_teams_cases_and_open_issues(client, world):
    world.case_a.issues.create(title="业主要求先赔付", description="…", raised_by=world.collector_a)
    client.force_login(world.manager)
    page = client.get(reverse("desk")).content.decode()
    assert "C6-101" in page and "C13-103" in page
    assert "业主要求先赔付" in page
    assert 'data-testid="team-A"' in page and 'data-testid="team-B"' in page


def test_manager_desk_points_to_cases_whose_responsible_person_left_the_team(client, world):
    from teams.models import TeamMember

    client.force_login(world.manager)
    assert 'data-testid="departed-A"' not in client.get(reverse("desk")).content.decode()
    TeamMember.objects.get(team=world.team_a, user=world.collector_a).delete()  # the admin's way
    page = lxml_html.fromstring(client.get(reverse("desk")).content.decode())
    (badge,) = page.xpath('//*[@data-testid="departed-A"]')
    assert badge.get("href") == reverse("team-detail", args=[world.team_a.pk])
    assert "1" in badge.text_content()
    assert not page.xpath('//*[@data-testid="departed-B"]')


def test_director_desk_shows_only_their_regions_offices_with_figures(client, world):
    record_payment(world.house_a, "300.00", world.collector_a)
    client.force_login(world.director)
    response = client.get(reverse("desk"))
    page = response.content.decode()
    assert "北苑服务处" in page and "南苑服务处" not in page
    (office,) = response.context["offices"]
    assert office.households_owing == 2
    assert office.balance == D("3100.00")  # 2 × 17 × 100 − 300
    assert office.collected == D("300.00")
    assert office.cases_total == 2


def test_site_staff_desk_shows_unit_codes_but_no_names_or_amounts(client, world):
    client.force_login(world.site)
    page = client.get(reverse("desk")).content.decode()
    assert "C6-101" in page
    assert "张静" not in page and "¥" not in page and "13912345678" not in page


def test_phones_are_masked_for_the_director_and_shown_to_the_collector(client, world):
    client.force_login(world.director)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    client.force_login(world.collector_a)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert "13912345678" in page


def test_case_page_shows_the_ledger_as_month_ranges(client, world):
    record_payment(world.house_a, "300.00", world.collector_a, receipt_no="R-77")
    client.force_login(world.collector_a)
    response = client.get(reverse("case-detail", args=[world.case_a.pk]))
    page = response.content.decode()
    assert "2014-04 — 2015-05 (14 个月)" in page
    assert "2014-01 — 2014-03 (3 个月)" in page
    assert "¥1,400.00" in page  # balance
    assert "R-77" in page


@pytest.mark.parametrize("who", ["collector_a", "manager", "director"])
def test_desk_queries_do_not_grow_with_the_number_of_cases(client, world, who):
    user = world.roles[who]

    def count():
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("desk")).status_code == 200
        return len(queries)

    add_cases(world, 3, "Y")
    few = count()
    add_cases(world, 30, "Z")
    assert count() == few


@time_machine.travel(datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI), tick=False)
def test_case_page_answers_call_message_and_visit_each_on_its_own(client, world):
    visited = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=visited,
        channel="home_visit",
        person_contacted="owner",
        outcome="no_answer",
        staff_count=2,
    )
    client.force_login(world.collector_a)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    banner = page[page.index('data-testid="contact-now"') :].split("</div>\n</div>")[0]
    # A visit right after a visit: the banner no longer says "visits allowed" from the call rules.
    assert re.findall(r'data-answer="(\w+)" data-state="(\w+)"', banner) == [
        ("call", "allowed"),
        ("message", "allowed"),
        ("visit", "later"),
    ]
    assert banner.count(escape(gettext("allowed now"))) == 2
    assert "2026-12-02 10:00" in banner
    assert escape(make_breach("visits_per_7_days").message) in banner


# --- not yet classified (issue 14.3) ----------------------------------------------------------


def _case_page(client, user, case):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the msgids, whatever is translated
    client.force_login(user)
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    return lxml_html.fromstring(response.content.decode())


def _unclassified(world):
    Case.objects.filter(pk=world.case_a.pk).update(category=DebtorCategory.UNCLASSIFIED)
    return world.case_a


def _testid(page, name):
    return page.xpath(f'//*[@data-testid="{name}"]')


@pytest.mark.parametrize("who", ["leader_a", "manager", "admin"])
def test_the_case_page_asks_for_the_category_with_a_form_for_who_may_set_it(client, world, who):
    case = _unclassified(world)
    page = _case_page(client, world.roles[who], case)
    assert "待分类" in _testid(page, "unclassified")[0].text_content()
    assert _testid(page, "classify")
    (form,) = _testid(page, "category-form")
    assert form.get("action") == reverse("case-category", args=[case.pk])
    options = form.xpath(".//select[@name='category']/option/@value")
    assert "unclassified" not in options and "vacant" in options
    # The playbook starts by finding out.
    assert (
        _testid(page, "playbook")[0]
        .xpath(".//li")[0]
        .text_content()
        .startswith("Classify the case")
    )


@pytest.mark.parametrize("who", ["collector_a", "ops", "director"])
def test_those_who_may_not_set_it_see_the_prompt_without_a_form(client, world, who):
    page = _case_page(client, world.roles[who], _unclassified(world))
    assert _testid(page, "unclassified") and _testid(page, "classify")
    assert not _testid(page, "category-form")


def test_a_classified_case_shows_no_prompt_but_lets_a_manager_change_it(client, world):
    page = _case_page(client, world.manager, world.case_a)
    assert not _testid(page, "unclassified") and not _testid(page, "classify")
    assert _testid(page, "category-form")
    page = _case_page(client, world.collector_a, world.case_a)
    assert not _testid(page, "category-form")


def test_setting_the_category_shows_on_the_page_with_who_and_when(client, world):
    case = _unclassified(world)
    client.force_login(world.leader_a)
    response = client.post(reverse("case-category", args=[case.pk]), {"category": "away"})
    page = _case_page(client, world.manager, case)
    assert not _testid(page, "classify")
    (history,) = _testid(page, "category-history")
    assert "赵组长" in history.text_content()  # leader_a's name
    assert response.status_code == 302
