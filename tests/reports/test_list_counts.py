"""The payments and attempts lists do not count every row in scope: a page reads one row
more than it shows to know whether another follows; the breaches page shows them a page at a
time (issue 15)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.contact import attempt_log
from reports.activity_views import BREACHES_PER_PAGE, PER_PAGE

pytestmark = pytest.mark.django_db


def log_attempts(world, n):
    start = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    for i in range(n):
        attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=start - datetime.timedelta(days=1, minutes=i),
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
        )


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries]


@pytest.mark.parametrize("url", ["attempt-list", "payment-list"])
def test_no_list_counts_its_rows(client, world, url):
    client.force_login(world.director)
    _, queries = get(client, reverse(url))
    counts = [sql for sql in queries if sql.startswith("SELECT COUNT(*)")]
    assert [sql for sql in counts if "arrears_notification" not in sql] == []


def test_the_pages_still_follow_one_another(client, world):
    log_attempts(world, PER_PAGE + 3)
    client.force_login(world.manager)
    first, _ = get(client, reverse("attempt-list"))
    table = first.context["table"]
    assert len(table.page.object_list) == PER_PAGE and table.page.has_next()
    second, _ = get(client, reverse("attempt-list") + "?page=2")
    table = second.context["table"]
    assert len(table.page.object_list) == 3 and not table.page.has_next()
    assert 'data-testid="attempt-table"' in second.content.decode()


def test_the_breaches_page_shows_them_a_page_at_a_time(client, world):
    start = timezone.now().replace(hour=23, minute=0, second=0, microsecond=0)
    for i in range(BREACHES_PER_PAGE + 2):
        attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=start - datetime.timedelta(days=1 + i // 40, minutes=i),
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
        )
    client.force_login(world.manager)
    first, _ = get(client, reverse("breach-list"))
    page = first.content.decode()  # in Chinese, the default
    assert len(first.context["attempts"]) == BREACHES_PER_PAGE
    assert "?days=7&amp;page=2" in page and ">较早的<" in page and ">较新的<" not in page
    second, _ = get(client, reverse("breach-list") + "?days=7&page=2")
    older = list(second.context["attempts"])
    assert len(older) == 2 and all(a.all_breaches for a in older)
    assert all(a.occurred_at >= older[0].occurred_at for a in first.context["attempts"])
    assert ">较新的<" in second.content.decode() and ">较早的<" not in second.content.decode()
