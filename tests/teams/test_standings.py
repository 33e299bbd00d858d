"""Scoring through the real services: payments clear cases, clearances credit teams."""

import datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arrears.models import Case, DebtorCategory
from arrears.payments import payment_reverse
from households.contact import attempt_log
from households.models import ContactAttempt
from teams.assignment import case_assign_team
from teams.models import Team, TeamMember
from teams.scoring import add_months
from teams.standings import (
    CAMPAIGN,
    CYCLE,
    MONTH,
    WEEK,
    assessment,
    cycle_start,
    leaderboard,
    load_facts,
    member_rows,
    period_for,
)
from tests.conftest import add_cases, make_case, make_household, record_payment


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
    payment_reverse(payment=payment, by=world.manager, reason="录错户")
    assert board(world)["A"] == (1, 0, 0, D("0.00"))


def test_the_team_that_held_the_case_when_it_was_cleared_keeps_the_credit(world):
    clear(world, world.case_a)
    # A cleared case stays with its team (issue 16) …
    with pytest.raises(ValidationError):
        case_assign_team(case=world.case_a, team=world.team_b, by=world.manager)
    # … and one moved anyway (in the administration) leaves the credit where it was earned.
    Case.objects.filter(pk=world.case_a.pk).update(team=world.team_b)
    result = board(world)
    assert result["A"][:3] == (1, 1, 20)
    assert result["B"][:3] == (2, 0, 0)


def test_a_clearance_after_a_policy_breach_earns_nothing(world):
    night = timezone.localtime().replace(hour=23, minute=0) - datetime.timedelta(days=1)
    attempt = attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=night,
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )
    assert attempt.breaches
    clear(world, world.case_a)
    assert board(world)["A"][1:3] == (0, 0)
    (month, rows) = assessment(load_facts(world.campaign)).cycles[0].months[0]
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


@pytest.mark.parametrize("kind", [WEEK, MONTH, CYCLE, CAMPAIGN])
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
    case = make_case(
        campaign=world.other_campaign,
        household=house,
        team=world.other_team,
        category=DebtorCategory.VACANT,
    )
    record_payment(house, "100.00", world.other_collector, case=case)
    assert board(world)["A"][1] == 0


# --- withdrawn attempts ------------------------------------------------------------------


def _night_call(world):
    night = timezone.localtime().replace(hour=23, minute=0) - datetime.timedelta(days=2)
    attempt = attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=night,
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )
    assert attempt.breaches == ["hours"]
    return attempt


def _correct(world, attempt, **kw):
    """A correcting entry that withdraws `attempt` (logged on the wrong household, say)."""
    return ContactAttempt.objects.create(
        household=attempt.household,
        case=attempt.case,
        made_by=world.manager,
        occurred_at=attempt.occurred_at.replace(hour=10),
        channel=attempt.channel,
        person_contacted=attempt.person_contacted,
        outcome=attempt.outcome,
        notes="录错户，撤回",
        corrects=attempt,
        **kw,
    )


def test_a_breach_on_an_attempt_withdrawn_by_a_correcting_entry_does_not_void_a_clearance(world):
    _correct(world, _night_call(world))
    clear(world, world.case_a)
    assert board(world)["A"][1:3] == (1, 20)
    (month, rows) = assessment(load_facts(world.campaign)).cycles[0].months[0]
    row_a = next(r for r in rows if r.team.code == "A")
    assert (row_a.score.cleared, row_a.score.excluded) == (1, 0)


def test_a_correction_withdrawn_in_turn_voids_nothing_but_a_standing_one_that_breaches_does(world):
    attempt = _night_call(world)
    correction = _correct(world, attempt, breaches=["hours"])
    clear(world, world.case_a)
    assert board(world)["A"][1:3] == (0, 0)  # the correcting entry stands, with its breach
    _correct(world, correction)
    assert board(world)["A"][1:3] == (1, 20)


def test_a_breach_withdrawn_only_after_scoring_counts_from_then(world):
    attempt = _night_call(world)
    clear(world, world.case_a)
    assert board(world)["A"][1:3] == (0, 0)
    _correct(world, attempt)
    assert board(world)["A"][1:3] == (1, 20)


# --- assessment cycles ---------------------------------------------------------------------


def _at(month, day, hour=10):
    return timezone.make_aware(
        datetime.datetime.combine(month.replace(day=day), datetime.time(hour))
    )


def campaign_four_months_in(world):
    """The campaign began on the 10th, four months ago: cycle 1 is months M-4 to M-2, cycle 2
    M-1 and this month. A clears C6-101 in M-2 (month 3), B clears C13-103 in M-1 (month 4);
    each payment is entered when it was made."""
    this_month = timezone.localdate().replace(day=1)
    months = [add_months(this_month, n) for n in (-4, -3, -2, -1, 0)]
    world.campaign.start_date = months[0].replace(day=10)
    world.campaign.save()
    for case, month, day in ((world.case_a, months[2], 28), (world.case_b, months[3], 1)):
        paid_at = _at(month, day, 0) + datetime.timedelta(minutes=30)
        with time_machine.travel(paid_at + datetime.timedelta(minutes=5), tick=False):
            record_payment(case.household, "1700.00", case.responsible, case=case, paid_at=paid_at)
    return months


def test_the_assessment_groups_months_into_the_campaigns_cycles_with_their_totals(world):
    months = campaign_four_months_in(world)
    result = assessment(load_facts(world.campaign))
    second, first = result.cycles
    assert (first.cycle.number, first.cycle.months) == (1, tuple(months[:3]))
    assert (second.cycle.number, second.cycle.first_month) == (2, months[3])
    assert [m for m, _rows in first.months] == list(reversed(months[:3]))
    assert [m for m, _rows in second.months] == list(reversed(months[3:]))
    cycle_totals = {
        block.cycle.number: {
            r.team.code: (r.score.cleared, r.score.points_per_member, r.score.closed)
            for r in block.totals
        }
        for block in result.cycles
    }
    assert cycle_totals == {
        1: {"A": (1, -20 - 20 + 20, True), "B": (0, -60, True)},
        2: {"A": (0, -20 + 0, False), "B": (1, 20 + 0, False)},
    }
    campaign = {r.team.code: (r.score.cleared, r.score.points_per_member) for r in result.totals}
    assert campaign == {"A": (1, -40), "B": (1, -40)}
    assert (first.closed, second.closed) == (True, False)


def test_a_cycle_of_one_month_makes_every_month_a_cycle(world):
    months = campaign_four_months_in(world)
    world.campaign.assessment_months = 1
    world.campaign.save()
    result = assessment(load_facts(world.campaign))
    assert [b.cycle.months for b in result.cycles] == [(m,) for m in reversed(months)]


def test_the_cycle_leaderboard_counts_the_current_cycle_only(world):
    months = campaign_four_months_in(world)
    facts = load_facts(world.campaign)
    period = period_for(CYCLE, world.campaign, timezone.now())
    assert timezone.localtime(period.start).date() == months[3]
    rows = {r.team.code: (r.standing.cleared, r.standing.points) for r in leaderboard(facts, CYCLE)}
    assert rows == {"A": (0, -20), "B": (1, 20)}


def test_the_first_cycle_starts_on_the_campaigns_start_date_not_the_first_of_the_month(world):
    start = datetime.date(2015, 6, 10)
    world.campaign.start_date = start
    assert cycle_start(world.campaign, datetime.date(2015, 8, 31)) == start
    assert cycle_start(world.campaign, datetime.date(2015, 9, 1)) == datetime.date(2015, 9, 1)
    assert cycle_start(world.campaign, datetime.date(2015, 11, 30)) == datetime.date(2015, 9, 1)
    assert cycle_start(world.campaign, datetime.date(2015, 6, 1)) == start  # not begun yet


def test_with_a_minimum_of_0_a_month_without_clearances_earns_nothing(world):
    world.campaign.monthly_minimum = 0
    world.campaign.save()
    clear(world, world.case_a)
    (month, rows) = assessment(load_facts(world.campaign)).cycles[0].months[0]
    scores = {r.team.code: (r.score.cleared, r.score.points_per_member) for r in rows}
    assert scores == {"A": (1, 20), "B": (0, 0)}


def test_a_member_removed_later_is_still_credited_for_the_period_she_worked_in(world):
    from teams.membership import team_member_remove
    from teams.models import TeamMember

    clear(world, world.case_a)  # collector_a clears case_a this month
    membership = TeamMember.objects.get(team=world.team_a, user=world.collector_a)
    team_member_remove(membership=membership, handovers={}, by=world.manager)
    rows = {
        r.user.username: (r.cleared, r.collected, r.points, r.left_at is not None)
        for r in member_rows(load_facts(world.campaign), MONTH)
    }
    assert rows["collector_a"] == (1, D("1700.00"), 20, True)
    assert rows["leader_a"] == (0, D("0.00"), 20, False)
    # A window that ended before she left still lists her; one that began after does not.
    later = timezone.now() + datetime.timedelta(days=40)
    names = {r.user.username for r in member_rows(load_facts(world.campaign), MONTH, now=later)}
    assert "collector_a" not in names and "leader_a" in names
