"""Issue 16, item 10: the director's desk is a regional view: each office's progress against
its campaign's target, the week's and the campaign's figures, a trend, and the Monday pack
and the weekly workbook one tap away; a constant number of queries."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html as lxml_html

from arrears.models import Campaign, Summary
from households.contact import attempt_log
from households.models import IS_BREACH, ContactAttempt
from tests.conftest import add_offices, record_payment

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)  # a Wednesday


def at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def region(world):
    """A campaign of 90 days from 2026-11-01; 200 paid two weeks ago, 300 this week; three
    calls on Tuesday, the third over the day's limit."""
    Campaign.objects.filter(pk=world.campaign.pk).update(
        start_date=datetime.date(2026, 11, 1), target_date=datetime.date(2027, 1, 30)
    )
    with time_machine.travel(at(2026, 11, 12, 15, 0), tick=False):
        record_payment(world.house_b, "200.00", world.collector_b, case=world.case_b)
    with time_machine.travel(NOW, tick=False):
        record_payment(world.house_a, "300.00", world.collector_a, case=world.case_a)
    for minute in (0, 5, 10):
        moment = at(2026, 11, 24, 10, minute)
        with time_machine.travel(moment, tick=False):
            attempt_log(
                case=world.case_b,
                by=world.collector_b,
                occurred_at=moment,
                channel="phone_call",
                person_contacted="owner",
                outcome="no_answer",
            )
    return world


def desk(client, user, language=None):
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("desk"))
    assert response.status_code == 200
    return response


def test_each_office_shows_its_progress_against_the_campaigns_target(client, region):
    response = desk(client, region.director)
    (office,) = response.context["offices"]
    assert office.collected == D("300.00")  # this week
    progress = office.progress
    assert progress.collected == D("500.00")  # to date
    assert progress.owed == D("3400.00")  # 2 households × 17 months × 100
    assert progress.percent == round(500 / 3400 * 100) == 15
    assert progress.expected_percent == round(24 / 90 * 100) == 27  # 24 of 90 days passed
    assert progress.behind
    assert (office.cases_cleared, office.cases_total) == (0, 2)
    assert office.breaches == ContactAttempt.objects.filter(IS_BREACH).count() >= 1
    page = response.content.decode()
    assert "15% of the arrears" not in page  # Chinese by default
    assert "2027-01-30" in page


def test_the_region_totals_and_the_page_in_english(client, region):
    response = desk(client, region.director, "en")
    page = lxml_html.fromstring(response.content.decode())

    def text(test_id):
        return page.xpath(f'//*[@data-testid="{test_id}"]')[0].text_content().strip()

    assert text("total-week") == "¥300.00"
    assert text("total-to-date") == "¥500.00"
    assert text("total-cleared") == "0 / 2"
    assert "15% of the arrears · 27% of the time to 2027-01-30" in text("progress")
    assert "behind" in text("office-north")


def test_the_trend_shows_the_last_ten_weeks_collection(client, region):
    response = desk(client, region.director)
    bars = response.context["trend"]
    assert len(bars) == 10
    assert [b.label for b in bars][-3:] == ["11-09", "11-16", "11-23"]
    assert [b.value for b in bars][-3:] == [D("200.00"), 0, D("300.00")]
    tallest = max(bars, key=lambda b: b.height)
    assert tallest.label == "11-23" and all(b.height >= 0 for b in bars)
    page = lxml_html.fromstring(response.content.decode())
    (svg,) = page.xpath('//*[@data-testid="region-trend"]')
    assert len(svg.xpath('.//*[@data-testid="trend-week"]')) == 10
    assert "2026-11-09: ¥200.00" in svg.text_content()


def test_the_monday_pack_and_the_workbook_are_one_tap_away(client, region):
    response = desk(client, region.director)
    page = lxml_html.fromstring(response.content.decode())
    (workbook,) = page.xpath('//*[@data-testid="region-workbook"]')
    assert workbook.get("href") == reverse("weekly-report") + "?week_of=2026-11-16"
    (pack,) = page.xpath('//*[@data-testid="region-pack"]')
    assert pack.get("href") == reverse("summary-list") + "?kind=weekly_pack"  # none yet

    summary = Summary.objects.create(
        kind=Summary.Kind.WEEKLY_PACK,
        scope=f"region:{region.region.pk}",
        for_date=datetime.date(2026, 11, 23),
        region=region.region,
        data={"offices": []},
    )
    page = lxml_html.fromstring(desk(client, region.director).content.decode())
    (pack,) = page.xpath('//*[@data-testid="region-pack"]')
    assert pack.get("href") == reverse("summary-detail", args=[summary.pk])
    assert "2026-11-23" in pack.text_content()


def test_another_regions_offices_and_money_are_not_shown(client, region):
    with time_machine.travel(NOW, tick=False):
        record_payment(region.other_house, "900.00", region.other_collector, case=region.other_case)
    response = desk(client, region.director)
    page = response.content.decode()
    assert "南苑服务处" not in page and "¥900.00" not in page
    assert [o.name for o in response.context["offices"]] == ["北苑服务处"]
    assert [b.value for b in response.context["trend"]][-1] == D("300.00")


def test_the_desk_costs_the_same_queries_for_one_office_or_three(client, region):
    client.force_login(region.director)

    def queries():
        with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW, tick=False):
            assert client.get(reverse("desk")).status_code == 200
        return len(captured.captured_queries)

    one = queries()
    with time_machine.travel(NOW, tick=False):
        add_offices(region, 2)
    assert queries() == one
    response = desk(client, region.director)
    assert len(response.context["offices"]) == 3
    assert all(o.progress for o in response.context["offices"])
    # The week's collection of the three offices: 300 here, 2 × 100 each in the others.
    assert response.context["region_totals"]["collected"] == D("300.00") + 2 * 2 * D("100.00")


def test_an_office_without_a_running_campaign_says_so(client, region):
    Campaign.objects.filter(pk=region.campaign.pk).update(status=Campaign.Status.CLOSED)
    response = desk(client, region.director, "en")
    (office,) = response.context["offices"]
    assert office.progress is None
    assert "No running campaign" in response.content.decode()


def test_the_open_disputes_card_links_the_disputes_page(client, region):
    """Issue 17.3: the region's open disputes, the amount they hold up and the work orders
    overdue, as on the Disputes page; another region's are not counted."""
    from households.disputes import dispute_record

    world = region
    dispute_record(
        case=world.case_b,
        kind="service",
        cause="facilities",
        words="配套设施不完善",
        source="visit",
        by=world.collector_b,
        now=at(2026, 10, 1, 9, 0),
    )
    dispute_record(
        case=world.other_case,
        kind="service",
        cause="cleaning",
        words="没人打扫",
        source="call",
        by=world.other_collector,
        now=at(2026, 11, 20, 9, 0),
    )
    page = desk(client, world.director, "en").content.decode()
    root = lxml_html.fromstring(page)
    (section,) = root.xpath('//*[@data-testid="region-disputes"]')
    assert section.xpath('.//*[@data-testid="region-disputes-open"]')[0].text_content() == "1"
    held = section.xpath('.//*[@data-testid="region-disputes-held"]')[0].text_content()
    assert held == "¥1,500.00"  # case_b's whole debt after the ¥200 it paid
    assert section.xpath('.//*[@data-testid="region-disputes-overdue"]')[0].text_content() == "1"
    assert section.xpath(f'.//a[@href="{reverse("dispute-figures")}"]')
