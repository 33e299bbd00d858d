"""The Monday pack's disputes (issue 17.3): open disputes by age, cause and amount held up per
office and for the region, and the work orders overdue, as they stood at the meeting."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears.models import Case, DebtPeriod, Summary
from households.disputes import dispute_answer_delivered, dispute_record
from summaries.producing import produce_weekly, weekly_pack
from tests.conftest import add_offices

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.date(2026, 11, 30)
MEETING = datetime.datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI)


def record(case, by, when, **kw):
    fields = {"words": "业主原话", "source": "call"}
    fields.update(kw)
    return dispute_record(case=case, by=by, now=when, **fields)


@pytest.fixture
def disputed(world):
    days = datetime.timedelta(days=1)
    leak = record(
        world.case_a,
        world.collector_a,
        MEETING - 41 * days,
        kind="service",
        cause="leak_unrepaired",
    )
    two = list(DebtPeriod.objects.filter(household=world.house_b).order_by("month")[:2])
    months = record(world.case_b, world.collector_b, MEETING - 5 * days, kind="months", months=two)
    # Answered before the meeting, recorded after it: neither is open at the meeting.
    answered = record(
        world.case_b, world.collector_b, MEETING - 9 * days, kind="amount", amount=D("80")
    )
    dispute_answer_delivered(dispute=answered, by=world.manager, at=MEETING - 2 * days)
    record(world.case_b, world.collector_b, MEETING + datetime.timedelta(minutes=1), kind="amount",
           amount=D("90"))  # fmt: skip
    # Another region's office: never in this region's pack.
    record(world.other_case, world.other_collector, MEETING - 3 * days, kind="service",
           cause="cleaning")  # fmt: skip
    (extra,) = add_offices(world, 1)
    extra_case = Case.objects.filter(campaign__office=extra).select_related("responsible").first()
    record(
        extra_case, extra_case.responsible, MEETING - 20 * days, kind="service", cause="security"
    )
    return leak, months, extra


def test_the_regions_pack_has_each_offices_disputes_and_their_sum(world, disputed):
    leak, months, extra = disputed
    pack = weekly_pack(MONDAY, world.region)
    rows = {row["office"]: row for row in pack["disputes"]}
    assert set(rows) == {world.office.name, extra.name}
    ours = rows[world.office.name]
    assert ours["open"] == 2
    assert ours["ages"]["over_30"]["count"] == 1 and ours["ages"]["under_7"]["count"] == 1
    assert ours["causes"]["leak_unrepaired"]["held"] == D("1700.00")
    assert ours["causes"]["months"]["held"] == D("200.00")
    assert ours["held"] == D("1900.00")
    assert ours["orders_overdue"] == 1  # the leak's, due 34 days before the meeting
    theirs = rows[extra.name]
    assert theirs["open"] == 1 and theirs["causes"]["security"]["count"] == 1
    total = pack["disputes_total"]
    assert total["open"] == 3
    assert total["held"] == ours["held"] + theirs["held"]
    assert total["causes_seen"] == ["leak_unrepaired", "security", "months"]
    overdue = pack["orders_overdue"]
    assert [(r["unit"], r["department"], r["days"]) for r in overdue][0] == (
        "C6-101",
        "engineering",
        34,
    )
    assert pack["counts"]["orders_overdue"] == 2  # the leak's and the other office's (13 days)


def test_an_offices_copy_holds_only_its_own_disputes(world, disputed):
    produce_weekly(monday=MONDAY, region=world.region, by="run now: test")
    copy = Summary.objects.get(kind=Summary.Kind.WEEKLY_PACK, office=world.office)
    assert [row["office"] for row in copy.data["disputes"]] == [world.office.name]
    assert copy.data["disputes_total"]["open"] == 2
    assert {r["office"] for r in copy.data["orders_overdue"]} == {world.office.name}


def test_the_pack_page_shows_the_disputes_section(client, world, disputed):
    leak, months, extra = disputed
    produce_weekly(monday=MONDAY, region=world.region, by="run now: test")
    region_copy = Summary.objects.get(
        kind=Summary.Kind.WEEKLY_PACK, office__isnull=True, recipient__isnull=True
    )
    client.cookies["django_language"] = "en"
    client.force_login(world.director)
    page = client.get(reverse("summary-detail", args=[region_copy.pk])).content.decode()
    assert 'data-testid="pack-disputes"' in page and 'data-testid="pack-disputes-total"' in page
    assert "leak not repaired" in page and "security" in page
    assert "¥1,900.00" in page
    assert "engineering" in page and "34 days overdue" in page
    assert reverse("case-detail", args=[world.case_a.pk]) in page


def test_a_pack_stored_before_disputes_still_shows(client, world):
    produce_weekly(monday=MONDAY, region=world.region, by="run now: test")
    summary = Summary.objects.get(
        kind=Summary.Kind.WEEKLY_PACK, office__isnull=True, recipient__isnull=True
    )
    data = dict(summary.data)
    for key in ("disputes", "disputes_total", "orders_overdue"):
        data.pop(key, None)
    Summary.objects.filter(pk=summary.pk).update(data=data)
    client.force_login(world.director)
    response = client.get(reverse("summary-detail", args=[summary.pk]))
    assert response.status_code == 200
    assert 'data-testid="pack-disputes"' not in response.content.decode()


def test_the_disputes_cost_the_pack_the_same_queries_for_more_offices(world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            weekly_pack(MONDAY, world.region)
        return len(captured)

    def dispute_everywhere():
        for case in Case.objects.filter(campaign__office__region=world.region).select_related(
            "responsible", "campaign"
        ):
            if case.responsible is not None and not case.disputes.exists():
                record(case, case.responsible, MEETING - datetime.timedelta(days=12),
                       kind="service", cause="facilities")  # fmt: skip

    add_offices(world, 1)
    dispute_everywhere()
    few = queries()
    add_offices(world, 2)
    dispute_everywhere()
    assert queries() == few
