"""Issue 16, item 9: the page the director downloads the weekly workbook from shows the
week's key numbers per office first."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears.issues import issue_raise
from households.contact import attempt_log
from households.models import IS_BREACH, ContactAttempt
from tests.conftest import add_offices
from tests.reports.test_weekly import NOW, SHANGHAI, week  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(week):
    """Three calls to one household on Tuesday (the third over the day's limit), an issue."""
    for minute in (0, 5, 10):
        moment = datetime.datetime(2026, 11, 24, 10, minute, tzinfo=SHANGHAI)
        with time_machine.travel(moment, tick=False):
            attempt_log(
                case=week.case_b,
                by=week.collector_b,
                occurred_at=moment,
                channel="phone_call",
                person_contacted="owner",
                outcome="no_answer",
            )
    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)):
        issue_raise(case=week.case_b, by=week.collector_b, title="漏水未修", description="详见")
    return week


def page(client, user, **params):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("weekly-report"), params)
    assert response.status_code == 200, response.content[:300]
    return response


def figures(response):
    return {
        o.name: (o.collected, o.cleared, o.contacts, o.breaches, o.open_issues)
        for o in response.context["rows"]
    }


def test_the_page_shows_last_weeks_numbers_per_office_before_the_download(client, busy):
    breaches = ContactAttempt.objects.filter(IS_BREACH).count()
    assert breaches >= 1  # the third call of the day
    response = page(client, busy.director)
    assert figures(response) == {"北苑服务处": (2000, 1, 3, breaches, 1)}
    html = response.content.decode()
    assert "2026-11-23 — 2026-11-29（第48周）" in html
    assert "¥2,000.00" in html or "2,000.00" in html
    assert html.index('data-testid="weekly-figures"') < html.index('data-testid="weekly-download"')
    assert 'href="?week_of=2026-11-23"' in html
    assert "南苑服务处" not in html  # another region's office


def test_another_week_is_shown_on_asking(client, busy):
    response = page(client, busy.director, week_of="2026-11-18", show="1")
    assert figures(response) == {"北苑服务处": (100, 0, 0, 0, 0)}
    assert 'href="?week_of=2026-11-16"' in response.content.decode()


def test_the_page_in_english(client, busy):
    client.cookies["django_language"] = "en"
    html = page(client, busy.director).content.decode()
    assert "The week 2026-11-23 — 2026-11-29 (week 48)" in html
    assert "Households cleared" in html and "Contact attempts" in html


def test_the_operations_manager_sees_the_offices_in_their_charge(client, busy):
    response = page(client, busy.ops)
    assert list(figures(response)) == ["北苑服务处"]


def test_a_bad_day_shows_the_page_with_the_reason(client, busy):
    client.force_login(busy.director)
    response = client.get(reverse("weekly-report"), {"week_of": "2026-02-30"})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode() and response.context["rows"] is not None


def test_the_page_costs_the_same_queries_for_one_office_or_three(client, busy):
    client.force_login(busy.director)

    def queries():
        with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW, tick=False):
            assert client.get(reverse("weekly-report")).status_code == 200
        return len(captured.captured_queries)

    one = queries()
    add_offices(busy, 2)
    assert queries() == one
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("weekly-report"))
    assert len(response.context["rows"]) == 3
    assert response.context["totals"].collected == sum(
        o.collected for o in response.context["rows"]
    )
    assert 'data-testid="weekly-total"' in response.content.decode()
