"""Issue 15: the summaries cost the same queries for one office or many, and the Monday pack
keeps the most urgent rows of each list and counts the rest, so it stays a page."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from arrears.models import Notification, Summary
from summaries import producing
from summaries.producing import produce_weekly, weekly_pack
from tests.conftest import add_offices


def queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
WEDNESDAY = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _wednesday():
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


def monday():
    """The next Monday: its pack covers this week, in which the offices were added."""
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


def test_the_monday_pack_costs_the_same_queries_for_one_office_or_three(world):
    add_offices(world, 1)  # every list of the pack has rows already
    one = queries(lambda: weekly_pack(monday(), world.region))
    stored_one = queries(lambda: produce_weekly(monday=monday(), region=world.region, by="run now"))
    add_offices(world, 2)
    three = queries(lambda: weekly_pack(monday(), world.region))
    stored_three = queries(
        lambda: produce_weekly(monday=monday(), region=world.region, by="run now")
    )
    assert len(weekly_pack(monday(), world.region)["offices"]) == 4
    assert three == one
    assert stored_three == stored_one  # every copy stored in one statement


def test_a_pack_lists_the_first_rows_of_each_list_and_counts_them_all(world, monkeypatch):
    add_offices(world, 3)
    monkeypatch.setattr(producing, "PACK_TOP", 2)
    pack = weekly_pack(monday(), world.region)
    assert [len(pack[name]) for name in ("overdue", "open_issues", "limitation")] == [2, 2, 2]
    assert pack["counts"]["overdue"] == 6  # two cases in each of three offices
    assert pack["counts"]["open_issues"] == 6
    assert pack["counts"]["limitation"] == pack["counts"]["limitation_expired"] == 6 + 2
    # the most urgent first: the earliest limits, the oldest issues
    limits = [row["limit"] for row in pack["limitation"]]
    assert limits == sorted(limits)
    # an office's own copy counts its own rows only
    [office] = add_offices(world, 1, planned=monday() - datetime.timedelta(days=30))
    copy = weekly_pack(monday(), world.region, offices=[office])
    assert copy["counts"]["overdue"] == 2 and copy["office_ids"] == [office.pk]
    assert {row["office"] for row in copy["overdue"]} == {office.name}


def test_the_pack_page_links_its_cases_and_says_how_many_more_there_are(
    client, world, monkeypatch, settings
):
    add_offices(world, 3)
    monkeypatch.setattr(producing, "PACK_TOP", 2)
    produce_weekly(monday=monday(), region=world.region, by="run now")
    pack = Summary.objects.get(
        kind=Summary.Kind.WEEKLY_PACK, scope=f"region:{world.region.pk}", for_date=monday()
    )
    client.force_login(world.director)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("summary-detail", args=[pack.pk])).content.decode()
    first = pack.data["overdue"][0]
    assert f'href="{reverse("case-detail", args=[first["case"]])}"' in html
    assert "The first 2 of 6 cases." in html


def test_the_daily_summaries_and_the_brief_cost_the_same_queries_for_one_office_or_three(
    world, django_capture_on_commit_callbacks
):
    from summaries.producing import produce_brief, produce_daily

    today = timezone.localdate()
    add_offices(world, 1)

    def run(day):
        with django_capture_on_commit_callbacks(execute=True):
            stored = produce_daily(day=day, region=world.region)
            stored += produce_brief(day=day, region=world.region)
        return stored

    with CaptureQueriesContext(connection) as one:
        run(today)
    add_offices(world, 2)
    told = Notification.objects.filter(kind=Notification.Kind.SUMMARY)
    before = told.count()
    with CaptureQueriesContext(connection) as three:
        stored = run(today + datetime.timedelta(days=1))
    assert len(stored) == 1 + 4 * 2 + 4 + 1  # the operations manager, teams, offices, brief
    assert len(three) == len(one)
    # everyone is still told, once: world's leader of team A (B has none), the new teams'
    # six leaders, four office managers, the operations manager and the director
    assert told.count() - before == 1 + 6 + 4 + 1 + 1
    assert Summary.objects.filter(notified_at__isnull=True).count() == 0


def test_copies_of_the_pack_for_the_same_offices_share_one_workbook(
    world, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    """world's region has one office: the director's, its manager's and the operations
    manager's copies all cover it, so its workbook is written once, named for each reader."""
    from reports.weekly import WeeklyReport

    for user in (world.director, world.manager, world.ops):
        user.email = f"{user.username}@east.invalid"
        user.save()
    written = []
    render = WeeklyReport.render
    monkeypatch.setattr(WeeklyReport, "render", lambda self: written.append(1) or render(self))
    with django_capture_on_commit_callbacks(execute=True):
        produce_weekly(monday=monday(), region=world.region)
    assert len(written) == 1
    names = sorted(m.attachments[0][0] for m in mailoutbox)
    assert (
        len(mailoutbox) == 3
        and len({data for m in mailoutbox for _n, data, _t in m.attachments}) == 1
    )
    assert names == sorted(
        [f"weekly-report-east-{monday() - datetime.timedelta(days=7)}.xlsx"]
        + [f"weekly-report-north-{monday() - datetime.timedelta(days=7)}.xlsx"] * 2
    )
