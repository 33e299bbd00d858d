"""Scoring through the real services: payments clear cases, clearances credit teams."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arrears.models import Case, DebtorCategory
from arrears.payments import payment_reverse
from households.contact import attempt_log
from teams.assignment import case_assign_team
from teams.models import Team, TeamMember
from teams.standings import CAMPAIGN, MONTH, WEEK, assessment, leaderboard, load_facts, member_rows
from tests.conftest import add_cases, make_household, record_payment


def clear(world, case, by=None, **kw):
    return record_payment(case.household, "1700.00", by or world.collector_a, case=case, **kw)


def board(world, kind=MONTH):
    return {
        row.team.code: (
            row.standing.rank,
            row.standing.cleared,
            row.standing.points,
            row.standing.collected,
        )
        for row in leaderboard(load_facts(world.campaign), kind)
    }


def test_clearing_a_case_puts_the_team_first_with_20_points(world):
    clear(world, world.case_a)
    assert board(world) == {"A": (1, 1, 20, D("1700.00")), "B": (2, 0, 0, D("0.00"))}


def test_a_reversed_payment_takes_the_points_away(world):
    payment = clear(world, world.case_a)
    payment_reverse(payment=payment, recorded_by=world.manager, reason="录错户")
    assert board(world)["A"] == (1, 0, 0, D("0.00"))


def test_the_team_that_held_the_case_when_it_was_cleared_keeps_the_credit(world):
    clear(world, world.case_a)
    case_assign_team(case=world.case_a, team=world.team_b, by=world.manager)
    result = board(world)
    assert result["A"][:3] == (1, 1, 20)
    assert result["B"][:3] == (2, 0, 0)


def test_a_clearance_after_a_policy_breach_earns_nothing(world):
    night = timezone.localtime().replace(hour=23, minute=0) - datetime.timedelta(days=1)
    attempt = attempt_log(
        case=world.case_a,
        made_by=world.collector_a,
        occurred_at=night,
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )
    assert attempt.breaches
    clear(world, world.case_a)
    assert board(world)["A"][1:3] == (0, 0)
    (month, rows) = assessment(load_facts(world.campaign))[0]
    row_a = next(r for r in rows if r.team.code == "A")
    assert (row_a.score.cleared, row_a.score.excluded) == (0, 1)


def test_members_share_their_teams_points_and_keep_their_own_figures(world):
    clear(world, world.case_a)
    rows = {
        r.user.username: (r.cleared, r.collected, r.points)
        for r in member_rows(load_facts(world.campaign), MONTH)
    }
    assert rows["collector_a"] == (1, D("1700.00"), 20)
    assert rows["leader_a"] == (0, D("0.00"), 20)
    assert rows["collector_b"] == (0, D("0.00"), 0)


def test_last_weeks_board_counts_last_week_only_and_shows_the_change(world):
    now = timezone.now()
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    last_week = timezone.make_aware(
        datetime.datetime.combine(monday - datetime.timedelta(days=3), datetime.time(10))
    )
    two_weeks_ago = last_week - datetime.timedelta(days=7)
    # Entered when they were paid: a payment typed in later than BACKDATE_DAYS would count
    # in the week it was entered (tests/arrears/test_backdating.py).
    with time_machine.travel(two_weeks_ago):
        record_payment(
            world.house_b, "100.00", world.collector_b, case=world.case_b, paid_at=two_weeks_ago
        )
    with time_machine.travel(last_week):
        clear(world, world.case_a, paid_at=last_week)
    rows = {r.team.code: r for r in leaderboard(load_facts(world.campaign), WEEK, now=now)}
    assert (rows["A"].standing.rank, rows["A"].standing.cleared, rows["A"].change) == (1, 1, 1)
    assert (rows["B"].standing.rank, rows["B"].change) == (2, -1)


@pytest.mark.parametrize("kind", [WEEK, MONTH, CAMPAIGN])
def test_the_leaderboard_makes_the_same_queries_for_more_cases_and_teams(world, kind):
    def count():
        with CaptureQueriesContext(connection) as queries:
            facts = load_facts(world.campaign)
            leaderboard(facts, kind)
            member_rows(facts, kind)
            assessment(facts)
        return len(queries)

    clear(world, world.case_a)
    few = count()
    add_cases(world, 20, "Q")
    for code in "CDE":
        team = Team.objects.create(campaign=world.campaign, code=code)
        TeamMember.objects.create(team=team, user=world.collector_b, role=TeamMember.Role.MEMBER)
    for case in Case.objects.filter(household__unit_code__startswith="Q")[:5]:
        record_payment(case.household, "500.00", world.collector_a, case=case)
    assert count() == few


def test_another_campaigns_clearances_do_not_count(world):
    house = make_household(
        world.other_office, "Z1-1", first=datetime.date(2015, 5, 1), last=datetime.date(2015, 5, 1)
    )
    case = Case.objects.create(
        campaign=world.other_campaign,
        household=house,
        team=world.other_team,
        category=DebtorCategory.VACANT,
    )
    record_payment(house, "100.00", world.other_collector, case=case)
    assert board(world)["A"][1] == 0
