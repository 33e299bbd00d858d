"""The difficult issues list, a page at a time (issue 15): with "all", every resolved issue
of the region stays listed, a list that only grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears import views
from arrears.issues import issue_raise

pytestmark = pytest.mark.django_db


def raise_issues(world, n):
    return [
        issue_raise(case=world.case_a, by=world.collector_a, title=f"问题{i}", description="x")
        for i in range(n)
    ]


def test_the_issues_come_a_page_at_a_time_oldest_first(client, world, monkeypatch):
    monkeypatch.setattr(views, "ISSUES_PER_PAGE", 2)
    issues = raise_issues(world, 3)
    client.force_login(world.manager)
    first = client.get(reverse("issue-list"))
    assert [i.pk for i in first.context["issues"]] == [i.pk for i in issues[:2]]
    page = first.content.decode()
    assert "?show=open&amp;page=2" in page and "下一页" in page and "上一页" not in page
    second = client.get(reverse("issue-list") + "?show=open&page=2")
    assert [i.pk for i in second.context["issues"]] == [issues[2].pk]
    assert "上一页" in second.content.decode()


def test_the_list_makes_the_same_queries_for_more_issues(client, world, monkeypatch):
    monkeypatch.setattr(views, "ISSUES_PER_PAGE", 5)
    client.force_login(world.director)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("issue-list") + "?show=all").status_code == 200
        return len(queries)

    raise_issues(world, 2)
    few = count()
    raise_issues(world, 10)
    assert count() == few
