"""Scoring with disputes through the real services (issue 17.3): a month paused by an open
dispute costs the team nothing, and a case cleared by an upheld dispute's waiver earns
nothing while a real payment in the same week still earns."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears import case_figures
from arrears.models import Campaign, Case, Clearance, DebtorCategory, DebtPeriod
from escalation.models import Waiver, WaiverAllocation
from escalation.proceedings import waiver_decide
from households.disputes import dispute_answer_delivered, dispute_record
from teams.models import Team
from teams.standings import WEEK, assessment, leaderboard, load_facts
from tests.conftest import make_case, make_household, record_payment

TZ = ZoneInfo("Asia/Shanghai")
# Sunday 31 May 2026 23:59: the last minute of a week and of a month.
LAST_MINUTE = datetime.datetime(2026, 5, 31, 23, 59, tzinfo=TZ)
FIRST_MINUTE = datetime.datetime(2026, 6, 1, 0, 1, tzinfo=TZ)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def plan(world):
    """A campaign of May–August 2026 in world's office: team A holds S1 (and S3), team B S2;
    each owes five months of ¥100."""
    campaign = Campaign.objects.create(
        office=world.office,
        name="2026 清收",
        start_date=datetime.date(2026, 5, 1),
        target_date=datetime.date(2026, 8, 31),
        arrears_through=datetime.date(2015, 5, 1),
    )
    a = Team.objects.create(campaign=campaign, code="A")
    b = Team.objects.create(campaign=campaign, code="B")
    cases = {}
    for unit, team in (("S1", a), ("S2", b), ("S3", a)):
        house = make_household(
            world.office,
            f"{unit}-101",
            first=datetime.date(2015, 1, 1),
            last=datetime.date(2015, 5, 1),
        )
        cases[unit] = make_case(
            campaign=campaign, household=house, team=team, category=DebtorCategory.GRIEVANCE
        )
    return campaign, cases


def month_points(campaign, now):
    """(month, team code) → (minimum, points per member) of every month scored at `now`."""
    result = {}
    for cycle in assessment(load_facts(campaign), now=now).cycles:
        for month, rows in cycle.months:
            for row in rows:
                result[month.strftime("%m"), row.team.code] = (
                    row.score.minimum,
                    row.score.points_per_member,
                )
    return result


def test_a_month_paused_by_an_open_dispute_costs_the_team_nothing(world, plan):
    campaign, cases = plan
    Case.objects.filter(pk=cases["S3"].pk).delete()  # team A holds S1 only
    # Recorded the last minute of the week (and of May), answered the first of the next.
    dispute = dispute_record(
        case=cases["S1"],
        kind="service",
        cause="leak_unrepaired",
        words="漏水未修",
        source="visit",
        by=world.collector_a,
        now=LAST_MINUTE,
    )
    dispute_answer_delivered(dispute=dispute, by=world.manager, at=FIRST_MINUTE)
    scores = month_points(campaign, datetime.datetime(2026, 7, 2, 10, 0, tzinfo=TZ))
    assert scores["05", "A"] == (0, 0) and scores["06", "A"] == (0, 0)
    assert scores["05", "B"] == (1, -20) and scores["06", "B"] == (1, -20)
    # July: S1 is no longer paused, and July is not over yet.
    assert scores["07", "A"] == (1, 0)
    assert month_points(campaign, datetime.datetime(2026, 8, 2, tzinfo=TZ))["07", "A"] == (1, -20)


def test_a_case_paused_all_month_with_another_left_still_owes_the_minimum(world, plan):
    campaign, cases = plan
    dispute_record(
        case=cases["S1"],
        kind="months",
        months=DebtPeriod.objects.filter(household=cases["S1"].household),
        words="这几个月交过了",
        source="call",
        by=world.collector_a,
        now=datetime.datetime(2026, 5, 3, tzinfo=TZ),
    )
    scores = month_points(campaign, datetime.datetime(2026, 6, 2, tzinfo=TZ))
    assert scores["05", "A"] == (1, -20)  # S3 was there to clear


def _upheld(world, case, when):
    with at(when):
        return dispute_record(
            case=case,
            kind="service",
            cause="property_defect",
            words="房屋质量问题",
            source="letter",
            by=world.manager,
        )


def _approved_waiver(world, case, amount, reason):
    """An upheld dispute (1 June) whose waiver of `amount` the manager approves on 9 June."""
    dispute = _upheld(world, case, datetime.datetime(2026, 6, 1, 9, tzinfo=TZ))
    with at(datetime.datetime(2026, 6, 9, 10, tzinfo=TZ)):
        waiver = Waiver.objects.create(
            case=case,
            dispute=dispute,
            basis=Waiver.Basis.DISPUTE,
            amount=amount,
            reason=reason,
            requested_by=world.manager,
        )
        waiver_decide(waiver=waiver, by=world.manager, approve=True)


def test_a_waiver_clearance_earns_nothing_while_a_payment_in_the_same_week_earns(world, plan):
    campaign, cases = plan
    _approved_waiver(world, cases["S3"], D("500.00"), "投诉成立，免收")
    with at(datetime.datetime(2026, 6, 10, 11, tzinfo=TZ)):
        record_payment(cases["S1"].household, "500.00", world.collector_a, case=cases["S1"])
    with at(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)):
        rows = {r.team.code: r.standing for r in leaderboard(load_facts(campaign), WEEK)}
    assert (rows["A"].cleared, rows["A"].collected) == (1, D("500.00"))
    june = month_points(campaign, datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))["06", "A"]
    assert june == (1, 20)  # one household cleared in June: the minimum, not one more


def test_a_clearance_the_waiver_made_earns_nothing(world, plan):
    """The waiver lowered what was due to what was paid, the case stayed open, and a payment
    that paid nothing to arrears (credit) then marked it cleared: that clearance is the
    waiver's, not money's."""
    campaign, cases = plan
    house = cases["S3"].household
    dispute = _upheld(world, cases["S3"], datetime.datetime(2026, 6, 1, 9, tzinfo=TZ))
    with at(datetime.datetime(2026, 6, 9, 10, tzinfo=TZ)):
        waiver = Waiver.objects.create(
            case=cases["S3"],
            dispute=dispute,
            basis=Waiver.Basis.DISPUTE,
            amount=D("500.00"),
            reason="投诉成立，免收",
            requested_by=world.manager,
            status=Waiver.Status.APPROVED,
            decided_by=world.manager,
            decided_at=datetime.datetime(2026, 6, 9, 10, tzinfo=TZ),
        )
        for period in DebtPeriod.objects.filter(household=house):
            WaiverAllocation.objects.create(waiver=waiver, period=period, amount=period.balance)
            period.amount_due = period.amount_paid
            period.save(update_fields=["amount_due"])
        case_figures.refresh([house.pk])
    with at(datetime.datetime(2026, 6, 10, 10, tzinfo=TZ)):
        credit = record_payment(
            house, "50.00", world.collector_a, case=cases["S3"], confirm_excess=True
        )
    with at(datetime.datetime(2026, 6, 10, 11, tzinfo=TZ)):
        record_payment(cases["S1"].household, "500.00", world.collector_a, case=cases["S1"])
    assert Clearance.objects.filter(case=cases["S3"], payment=credit).exists()
    assert credit.allocated == 0
    with at(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)):
        rows = {r.team.code: r.standing for r in leaderboard(load_facts(campaign), WEEK)}
    assert (rows["A"].cleared, rows["A"].collected) == (1, D("500.00"))
    june = month_points(campaign, datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))["06", "A"]
    assert june == (1, 20)  # one household cleared in June: the minimum, not one more


def test_a_payment_that_pays_the_rest_after_a_waiver_still_earns(world, plan):
    campaign, cases = plan
    _approved_waiver(world, cases["S3"], D("200.00"), "两个月免收")
    with at(datetime.datetime(2026, 6, 10, 11, tzinfo=TZ)):
        record_payment(cases["S3"].household, "300.00", world.collector_a, case=cases["S3"])
    with at(datetime.datetime(2026, 6, 15, 10, tzinfo=TZ)):
        rows = {r.team.code: r.standing for r in leaderboard(load_facts(campaign), WEEK)}
    assert (rows["A"].cleared, rows["A"].collected) == (1, D("300.00"))
    june = month_points(campaign, datetime.datetime(2026, 6, 15, 10, tzinfo=TZ))["06", "A"]
    assert june == (1, 20)  # one household cleared in June: the minimum, not one more


def test_disputes_cost_the_same_queries_for_more_cases_and_disputes(world, plan):
    campaign, cases = plan
    _upheld(world, cases["S1"], datetime.datetime(2026, 6, 1, 9, tzinfo=TZ))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            load_facts(campaign)
        return len(captured)

    few = queries()
    for i in range(4):
        house = make_household(
            world.office,
            f"T{i}-101",
            first=datetime.date(2015, 1, 1),
            last=datetime.date(2015, 5, 1),
        )
        case = make_case(campaign=campaign, household=house, team=cases["S2"].team)
        _upheld(world, case, datetime.datetime(2026, 6, 2, 9, tzinfo=TZ))
    assert queries() == few


def test_the_assessment_page_says_which_months_a_dispute_paused(client, world, plan):
    campaign, cases = plan
    Case.objects.filter(pk=cases["S3"].pk).delete()
    dispute_record(
        case=cases["S1"],
        kind="service",
        cause="cleaning",
        words="楼道没人打扫",
        source="call",
        by=world.collector_a,
        now=LAST_MINUTE,
    )
    client.cookies["django_language"] = "en"
    client.force_login(world.manager)
    with at(datetime.datetime(2026, 6, 10, 10, tzinfo=TZ)):
        page = client.get(reverse("assessment", args=[campaign.pk])).content.decode()
    assert page.count('data-testid="paused"') == 2  # team A in May and in June
    assert "1 case paused by a dispute" in page
