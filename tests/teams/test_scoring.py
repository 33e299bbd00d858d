"""Unit tests for teams/scoring.py (DESIGN.md §4): pure functions, no database."""

import datetime
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest

from teams.scoring import (
    ClearanceFact,
    Cycle,
    CycleScore,
    MonthScore,
    ScoringPolicy,
    Standing,
    TeamTotals,
    add_months,
    assessment_cycles,
    campaign_months,
    counts,
    cycle_number,
    month_end,
    month_of,
    next_month,
    points_for,
    rank,
    score_campaign,
    score_cycles,
    score_month,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC

NOV = datetime.date(2026, 11, 1)
DEC = datetime.date(2026, 12, 1)
JAN = datetime.date(2027, 1, 1)

TEAM_A, TEAM_B, TEAM_C = 1, 2, 3
DEFAULT = ScoringPolicy()


def sh(year, month, day, hour=0, minute=0, second=0, microsecond=0):
    """A moment in office local time (Asia/Shanghai)."""
    return datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=SH)


def fact(case_id, team_id, cleared_at, **kw):
    return ClearanceFact(case_id=case_id, team_id=team_id, cleared_at=cleared_at, **kw)


def nov_facts(team_id, n, *, first_case=100):
    return [fact(first_case + i, team_id, sh(2026, 11, 5 + i)) for i in range(n)]


def one(scores, team_id):
    (score,) = [s for s in scores if s.team_id == team_id]
    return score


AFTER_NOV = sh(2026, 12, 10)  # November is closed
DURING_NOV = sh(2026, 11, 20)  # November still running


# --- the policy --------------------------------------------------------------------------


def test_default_policy_is_the_plans_numbers():
    assert (
        DEFAULT.monthly_minimum,
        DEFAULT.points_at_minimum,
        DEFAULT.points_per_extra,
        DEFAULT.penalty_per_missing,
    ) == (1, 20, 20, 20)


def test_policy_from_campaign_copies_every_setting():
    campaign = SimpleNamespace(
        monthly_minimum=2,
        points_at_minimum=30,
        points_per_extra=10,
        penalty_per_missing=5,
        assessment_months=4,
    )
    assert ScoringPolicy.from_campaign(campaign) == ScoringPolicy(2, 30, 10, 5, 4)


def test_the_plans_cycle_is_3_months():
    assert DEFAULT.cycle_months == 3


def test_a_campaign_cycle_of_0_months_scores_each_month_as_its_own_cycle():
    campaign = SimpleNamespace(
        monthly_minimum=1,
        points_at_minimum=20,
        points_per_extra=20,
        penalty_per_missing=20,
        assessment_months=0,
    )
    assert ScoringPolicy.from_campaign(campaign).cycle_months == 1


# --- points_for ----------------------------------------------------------------------------


def test_reaching_the_minimum_gives_20_points_per_member():
    assert points_for(DEFAULT, 1, closed=True) == 20
    assert points_for(DEFAULT, 1, closed=False) == 20


def test_each_household_beyond_the_minimum_gives_20_more():
    assert points_for(DEFAULT, 2, closed=True) == 40
    assert points_for(DEFAULT, 3, closed=True) == 60
    assert points_for(DEFAULT, 3, closed=False) == 60


def test_missing_the_minimum_in_a_closed_month_costs_20_per_missing_household():
    assert points_for(DEFAULT, 0, closed=True) == -20


def test_with_a_minimum_of_2_clearing_none_in_a_closed_month_costs_40():
    policy = ScoringPolicy(monthly_minimum=2)
    assert points_for(policy, 0, closed=True) == -40


def test_with_a_minimum_of_2_clearing_one_in_a_closed_month_costs_20():
    policy = ScoringPolicy(monthly_minimum=2)
    assert points_for(policy, 1, closed=True) == -20


def test_with_a_minimum_of_2_clearing_exactly_2_gives_20_and_3_gives_40():
    policy = ScoringPolicy(monthly_minimum=2)
    assert points_for(policy, 2, closed=True) == 20
    assert points_for(policy, 3, closed=True) == 40


def test_missing_the_minimum_in_a_running_month_costs_nothing_yet():
    assert points_for(DEFAULT, 0, closed=False) == 0
    assert points_for(ScoringPolicy(monthly_minimum=2), 1, closed=False) == 0


def test_a_minimum_of_0_earns_nothing_for_clearing_nothing():
    policy = ScoringPolicy(monthly_minimum=0)
    assert points_for(policy, 0, closed=True) == 0
    assert points_for(policy, 0, closed=False) == 0


def test_with_a_minimum_of_0_each_household_earns_the_points_per_extra():
    policy = ScoringPolicy(monthly_minimum=0, points_at_minimum=50, points_per_extra=10)
    assert points_for(policy, 1, closed=True) == 10
    assert points_for(policy, 3, closed=False) == 30


def test_with_a_minimum_of_0_a_month_is_neither_met_nor_missed():
    policy = ScoringPolicy(monthly_minimum=0)
    (score,) = score_month(policy, [], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert (score.has_minimum, score.missing, score.points_per_member) == (False, 0, 0)
    (score,) = score_month(DEFAULT, [], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert (score.has_minimum, score.missing) == (True, 1)


def test_custom_settings_are_used_for_every_number():
    policy = ScoringPolicy(
        monthly_minimum=2, points_at_minimum=30, points_per_extra=10, penalty_per_missing=5
    )
    assert points_for(policy, 2, closed=True) == 30
    assert points_for(policy, 4, closed=True) == 30 + 2 * 10
    assert points_for(policy, 1, closed=True) == -5
    assert points_for(policy, 0, closed=True) == -10
    assert points_for(policy, 0, closed=False) == 0


# --- score_month: the rules ---------------------------------------------------------------


def test_one_clearance_in_a_closed_month_meets_the_minimum_for_20_points():
    (score,) = score_month(
        DEFAULT, nov_facts(TEAM_A, 1), team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert score == MonthScore(
        team_id=TEAM_A,
        month=NOV,
        cleared=1,
        excluded=0,
        minimum=1,
        closed=True,
        points_per_member=20,
    )
    assert score.met is True
    assert score.missing == 0
    assert score.extra == 0


def test_three_clearances_give_20_plus_two_extra_times_20_is_60():
    (score,) = score_month(
        DEFAULT, nov_facts(TEAM_A, 3), team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert score.cleared == 3
    assert score.extra == 2
    assert score.points_per_member == 60


def test_no_clearance_in_a_closed_month_costs_20():
    (score,) = score_month(DEFAULT, [], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.closed is True
    assert score.cleared == 0
    assert score.met is False
    assert score.missing == 1
    assert score.points_per_member == -20


def test_minimum_2_and_none_cleared_in_a_closed_month_costs_40():
    policy = ScoringPolicy(monthly_minimum=2)
    (score,) = score_month(policy, [], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.minimum == 2
    assert score.missing == 2
    assert score.points_per_member == -40


def test_minimum_2_and_one_cleared_in_a_closed_month_costs_20():
    policy = ScoringPolicy(monthly_minimum=2)
    (score,) = score_month(
        policy, nov_facts(TEAM_A, 1), team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert score.cleared == 1
    assert score.missing == 1
    assert score.points_per_member == -20


def test_no_clearance_in_a_month_still_running_costs_nothing_yet():
    (score,) = score_month(DEFAULT, [], team_ids=[TEAM_A], month=NOV, as_of=DURING_NOV, tz=SH)
    assert score.closed is False
    assert score.met is False
    assert score.missing == 1
    assert score.points_per_member == 0


def test_a_clearance_in_a_month_still_running_already_earns_its_points():
    (score,) = score_month(
        DEFAULT, nov_facts(TEAM_A, 2), team_ids=[TEAM_A], month=NOV, as_of=DURING_NOV, tz=SH
    )
    assert score.closed is False
    assert score.cleared == 2
    assert score.points_per_member == 40


def test_a_month_that_has_not_started_yet_is_not_closed_and_scores_zero():
    (score,) = score_month(DEFAULT, [], team_ids=[TEAM_A], month=DEC, as_of=DURING_NOV, tz=SH)
    assert score.closed is False
    assert score.points_per_member == 0


def test_custom_settings_apply_in_score_month():
    policy = ScoringPolicy(
        monthly_minimum=2, points_at_minimum=30, points_per_extra=10, penalty_per_missing=5
    )
    facts = nov_facts(TEAM_A, 4) + nov_facts(TEAM_B, 1, first_case=200)
    scores = score_month(
        policy, facts, team_ids=[TEAM_A, TEAM_B, TEAM_C], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert [(s.team_id, s.cleared, s.points_per_member) for s in scores] == [
        (TEAM_A, 4, 50),
        (TEAM_B, 1, -5),
        (TEAM_C, 0, -10),
    ]


def test_score_month_accepts_any_day_of_the_month_and_reports_the_first():
    scores = score_month(
        DEFAULT,
        nov_facts(TEAM_A, 1),
        team_ids=[TEAM_A],
        month=datetime.date(2026, 11, 17),
        as_of=AFTER_NOV,
        tz=SH,
    )
    assert scores[0].month == NOV
    assert scores[0].cleared == 1


def test_clearances_in_other_months_do_not_count_for_this_month():
    facts = [
        fact(1, TEAM_A, sh(2026, 10, 31)),
        fact(2, TEAM_A, sh(2026, 12, 1)),
    ]
    (score,) = score_month(
        DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=sh(2027, 1, 1), tz=SH
    )
    assert score.cleared == 0
    assert score.points_per_member == -20


# --- month boundaries in Asia/Shanghai -----------------------------------------------------


def test_a_case_cleared_at_23_59_on_the_last_day_counts_for_that_month():
    assert month_of(sh(2026, 11, 30, 23, 59), SH) == NOV
    assert month_of(sh(2026, 11, 30, 23, 59, 59), SH) == NOV
    assert month_of(sh(2026, 11, 30, 23, 59, 59, 999999), SH) == NOV
    facts = [fact(1, TEAM_A, sh(2026, 11, 30, 23, 59, 59))]
    (nov,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    (dec,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=DEC, as_of=AFTER_NOV, tz=SH)
    assert nov.cleared == 1
    assert dec.cleared == 0


def test_a_case_cleared_at_midnight_on_the_first_counts_for_the_next_month():
    assert month_of(sh(2026, 12, 1, 0, 0), SH) == DEC
    facts = [fact(1, TEAM_A, sh(2026, 12, 1, 0, 0))]
    (nov,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    (dec,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=DEC, as_of=AFTER_NOV, tz=SH)
    assert nov.cleared == 0
    assert dec.cleared == 1


def test_a_utc_instant_that_is_23_59_59_in_shanghai_counts_for_november():
    moment = datetime.datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
    assert moment == sh(2026, 11, 30, 23, 59, 59)
    assert month_of(moment, SH) == NOV
    facts = [fact(1, TEAM_A, moment)]
    (nov,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert nov.cleared == 1
    assert nov.points_per_member == 20


def test_a_utc_instant_still_in_november_in_utc_but_december_in_shanghai_counts_for_december():
    moment = datetime.datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)  # 2026-12-01 00:00 Shanghai
    assert month_of(moment, SH) == DEC
    facts = [fact(1, TEAM_A, moment)]
    (nov,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    (dec,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=DEC, as_of=AFTER_NOV, tz=SH)
    assert nov.cleared == 0
    assert dec.cleared == 1


def test_month_of_defaults_to_the_office_time_zone_from_settings():
    assert month_of(datetime.datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)) == NOV
    assert month_of(datetime.datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)) == DEC
    assert month_end(NOV) == sh(2026, 12, 1)


def test_score_month_defaults_to_the_office_time_zone_from_settings():
    facts = [
        fact(1, TEAM_A, datetime.datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)),
        fact(2, TEAM_A, datetime.datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)),
    ]
    (nov,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV)
    assert nov.cleared == 1


def test_a_case_cleared_on_29_february_of_a_leap_year_counts_for_february():
    feb = datetime.date(2028, 2, 1)
    moment = sh(2028, 2, 29, 23, 59)
    assert month_of(moment, SH) == feb
    assert month_end(feb, SH) == sh(2028, 3, 1)
    facts = [fact(1, TEAM_A, moment)]
    (score,) = score_month(
        DEFAULT, facts, team_ids=[TEAM_A], month=feb, as_of=sh(2028, 3, 1), tz=SH
    )
    assert score.cleared == 1
    assert score.closed is True
    assert score.points_per_member == 20


def test_month_end_in_a_common_year_february_is_1_march():
    assert month_end(datetime.date(2027, 2, 1), SH) == sh(2027, 3, 1, 0, 0)
    assert month_of(sh(2027, 2, 28, 23, 59, 59), SH) == datetime.date(2027, 2, 1)


def test_month_end_is_the_first_instant_of_the_next_month_in_local_time():
    end = month_end(NOV, SH)
    assert end == sh(2026, 12, 1, 0, 0)
    assert end == datetime.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert month_end(DEC, SH) == sh(2027, 1, 1, 0, 0)


def test_next_month_rolls_over_every_month_length_and_the_year_end():
    assert next_month(datetime.date(2026, 1, 1)) == datetime.date(2026, 2, 1)
    assert next_month(datetime.date(2028, 2, 1)) == datetime.date(2028, 3, 1)
    assert next_month(datetime.date(2026, 4, 1)) == datetime.date(2026, 5, 1)
    assert next_month(DEC) == JAN


def test_a_month_is_closed_exactly_at_the_first_instant_of_the_next_month():
    (before,) = score_month(
        DEFAULT,
        [],
        team_ids=[TEAM_A],
        month=NOV,
        as_of=sh(2026, 11, 30, 23, 59, 59, 999999),
        tz=SH,
    )
    (at,) = score_month(DEFAULT, [], team_ids=[TEAM_A], month=NOV, as_of=sh(2026, 12, 1), tz=SH)
    assert before.closed is False
    assert before.points_per_member == 0
    assert at.closed is True
    assert at.points_per_member == -20


def test_month_of_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        month_of(datetime.datetime(2026, 11, 30, 23, 59), SH)
    with pytest.raises(ValueError, match="timezone-aware"):
        month_of(datetime.datetime(2026, 11, 30, 23, 59))


def test_score_month_rejects_a_naive_clearance_time():
    facts = [fact(1, TEAM_A, datetime.datetime(2026, 11, 5, 12, 0))]
    with pytest.raises(ValueError, match="timezone-aware"):
        score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)


# --- revocations and as_of -----------------------------------------------------------------


def test_a_clearance_revoked_before_as_of_does_not_count():
    f = fact(1, TEAM_A, sh(2026, 11, 5), revoked_at=sh(2026, 11, 8))
    assert counts(f, AFTER_NOV) is False
    (score,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.cleared == 0
    assert score.excluded == 0
    assert score.points_per_member == -20


def test_a_clearance_revoked_exactly_at_as_of_does_not_count():
    f = fact(1, TEAM_A, sh(2026, 11, 5), revoked_at=AFTER_NOV)
    assert counts(f, AFTER_NOV) is False
    (score,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.cleared == 0


def test_a_clearance_revoked_after_as_of_still_counts_at_that_as_of():
    f = fact(1, TEAM_A, sh(2026, 11, 5), revoked_at=sh(2027, 1, 3))
    assert counts(f, AFTER_NOV) is True
    (then,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert then.cleared == 1
    assert then.points_per_member == 20
    (now,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=sh(2027, 1, 10), tz=SH)
    assert now.cleared == 0
    assert now.points_per_member == -20


def test_scoring_the_same_as_of_twice_gives_the_same_result():
    facts = [
        fact(1, TEAM_A, sh(2026, 11, 5), revoked_at=sh(2027, 1, 3)),
        fact(2, TEAM_A, sh(2026, 11, 6)),
        fact(3, TEAM_B, sh(2026, 11, 7), revoked_at=sh(2026, 11, 9)),
    ]
    first = score_month(
        DEFAULT, facts, team_ids=[TEAM_A, TEAM_B], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    again = score_month(
        DEFAULT, facts, team_ids=[TEAM_A, TEAM_B], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert first == again
    assert [(s.team_id, s.cleared, s.points_per_member) for s in first] == [
        (TEAM_A, 2, 40),
        (TEAM_B, 0, -20),
    ]


def test_a_clearance_after_as_of_is_not_counted_yet():
    f = fact(1, TEAM_A, sh(2026, 11, 25))
    assert counts(f, DURING_NOV) is False
    (score,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=DURING_NOV, tz=SH)
    assert score.cleared == 0
    assert score.excluded == 0
    assert score.points_per_member == 0


def test_a_clearance_exactly_at_as_of_counts():
    f = fact(1, TEAM_A, DURING_NOV)
    assert counts(f, DURING_NOV) is True
    (score,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=DURING_NOV, tz=SH)
    assert score.cleared == 1


def test_counts_compares_instants_across_time_zones():
    f = fact(1, TEAM_A, sh(2026, 11, 5, 12, 0), revoked_at=sh(2026, 11, 5, 18, 0))
    # 04:00 UTC is 12:00 in Shanghai: cleared, not yet revoked.
    assert counts(f, datetime.datetime(2026, 11, 5, 4, 0, tzinfo=UTC)) is True
    assert counts(f, datetime.datetime(2026, 11, 5, 3, 59, 59, tzinfo=UTC)) is False
    assert counts(f, datetime.datetime(2026, 11, 5, 10, 0, tzinfo=UTC)) is False


# --- a case moved between teams ------------------------------------------------------------


def test_a_case_moved_after_clearing_stays_credited_to_the_team_that_cleared_it():
    facts = [fact(7, TEAM_A, sh(2026, 11, 5))]  # the case now belongs to TEAM_B
    scores = score_month(
        DEFAULT, facts, team_ids=[TEAM_A, TEAM_B], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert one(scores, TEAM_A).cleared == 1
    assert one(scores, TEAM_A).points_per_member == 20
    assert one(scores, TEAM_B).cleared == 0
    assert one(scores, TEAM_B).points_per_member == -20


def test_a_case_cleared_by_a_revoked_then_cleared_by_b_counts_once_for_each_in_their_months():
    facts = [
        fact(7, TEAM_A, sh(2026, 11, 5), revoked_at=sh(2026, 12, 3)),
        fact(7, TEAM_B, sh(2026, 12, 20)),
    ]
    teams = [TEAM_A, TEAM_B]

    # Scored when November closed, before the reversal: A's clearance counted.
    nov_then = score_month(DEFAULT, facts, team_ids=teams, month=NOV, as_of=sh(2026, 12, 1), tz=SH)
    assert [(s.team_id, s.cleared) for s in nov_then] == [(TEAM_A, 1), (TEAM_B, 0)]

    # Scored later: the reversal took A's clearance away; B's is in December.
    later = sh(2027, 1, 5)
    nov = score_month(DEFAULT, facts, team_ids=teams, month=NOV, as_of=later, tz=SH)
    dec = score_month(DEFAULT, facts, team_ids=teams, month=DEC, as_of=later, tz=SH)
    assert [(s.team_id, s.cleared) for s in nov] == [(TEAM_A, 0), (TEAM_B, 0)]
    assert [(s.team_id, s.cleared) for s in dec] == [(TEAM_A, 0), (TEAM_B, 1)]


def test_a_case_cleared_by_a_then_again_by_b_without_reversal_counts_once_for_each():
    # Two clearance facts for the same case (e.g. a new arrears period after the move).
    facts = [
        fact(7, TEAM_A, sh(2026, 11, 5)),
        fact(7, TEAM_B, sh(2026, 12, 20)),
    ]
    totals = score_campaign(
        DEFAULT, facts, team_ids=[TEAM_A, TEAM_B], months=[NOV, DEC], as_of=sh(2027, 1, 5), tz=SH
    )
    assert [(s.month, s.cleared) for s in totals[TEAM_A].months] == [(NOV, 1), (DEC, 0)]
    assert [(s.month, s.cleared) for s in totals[TEAM_B].months] == [(NOV, 0), (DEC, 1)]
    assert totals[TEAM_A].cleared == 1
    assert totals[TEAM_B].cleared == 1
    assert totals[TEAM_A].points_per_member == 0  # +20 then -20
    assert totals[TEAM_B].points_per_member == 0  # -20 then +20


# --- breaches ------------------------------------------------------------------------------


def test_a_clearance_after_a_policy_breach_earns_nothing_and_is_reported_as_excluded():
    f = fact(1, TEAM_A, sh(2026, 11, 5), breached_before=True)
    assert counts(f, AFTER_NOV) is False
    (score,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.cleared == 0
    assert score.excluded == 1
    assert score.met is False
    assert score.points_per_member == -20


def test_breached_clearances_do_not_help_reach_the_minimum():
    policy = ScoringPolicy(monthly_minimum=2)
    facts = [
        fact(1, TEAM_A, sh(2026, 11, 5)),
        fact(2, TEAM_A, sh(2026, 11, 6), breached_before=True),
        fact(3, TEAM_A, sh(2026, 11, 7), breached_before=True),
    ]
    (score,) = score_month(policy, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.cleared == 1
    assert score.excluded == 2
    assert score.met is False
    assert score.missing == 1
    assert score.points_per_member == -20


def test_breached_clearances_do_not_count_as_extra_households():
    facts = [
        fact(1, TEAM_A, sh(2026, 11, 5)),
        fact(2, TEAM_A, sh(2026, 11, 6), breached_before=True),
    ]
    (score,) = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert score.cleared == 1
    assert score.excluded == 1
    assert score.extra == 0
    assert score.points_per_member == 20


def test_a_breached_clearance_in_a_running_month_is_excluded_and_costs_nothing_yet():
    f = fact(1, TEAM_A, sh(2026, 11, 5), breached_before=True)
    (score,) = score_month(DEFAULT, [f], team_ids=[TEAM_A], month=NOV, as_of=DURING_NOV, tz=SH)
    assert score.excluded == 1
    assert score.points_per_member == 0


# --- which teams get a row -----------------------------------------------------------------


def test_a_team_with_no_clearances_still_gets_a_row():
    scores = score_month(
        DEFAULT,
        nov_facts(TEAM_A, 1),
        team_ids=[TEAM_A, TEAM_B, TEAM_C],
        month=NOV,
        as_of=AFTER_NOV,
        tz=SH,
    )
    assert [(s.team_id, s.cleared, s.points_per_member) for s in scores] == [
        (TEAM_A, 1, 20),
        (TEAM_B, 0, -20),
        (TEAM_C, 0, -20),
    ]


def test_rows_follow_the_order_of_team_ids():
    scores = score_month(
        DEFAULT, [], team_ids=[TEAM_C, TEAM_A, TEAM_B], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert [s.team_id for s in scores] == [TEAM_C, TEAM_A, TEAM_B]


def test_clearances_of_teams_not_scored_are_ignored():
    facts = nov_facts(TEAM_A, 1) + nov_facts(99, 3, first_case=900)
    scores = score_month(DEFAULT, facts, team_ids=[TEAM_A], month=NOV, as_of=AFTER_NOV, tz=SH)
    assert [(s.team_id, s.cleared, s.excluded) for s in scores] == [(TEAM_A, 1, 0)]


def test_clearances_without_a_team_are_ignored():
    facts = [
        fact(1, None, sh(2026, 11, 5)),
        fact(2, None, sh(2026, 11, 6), breached_before=True),
    ]
    scores = score_month(
        DEFAULT, facts, team_ids=[TEAM_A, TEAM_B], month=NOV, as_of=AFTER_NOV, tz=SH
    )
    assert [(s.team_id, s.cleared, s.excluded) for s in scores] == [
        (TEAM_A, 0, 0),
        (TEAM_B, 0, 0),
    ]


def test_no_teams_gives_no_rows():
    assert score_month(DEFAULT, nov_facts(TEAM_A, 2), team_ids=[], month=NOV, as_of=AFTER_NOV) == []


def test_score_month_accepts_a_one_shot_iterable_of_facts():
    scores = score_month(
        DEFAULT,
        iter(nov_facts(TEAM_A, 2)),
        team_ids=[TEAM_A],
        month=NOV,
        as_of=AFTER_NOV,
        tz=SH,
    )
    assert scores[0].cleared == 2


# --- score_campaign ------------------------------------------------------------------------


def test_campaign_points_are_summed_month_by_month():
    facts = [fact(1, TEAM_A, sh(2026, 11, 5))]
    totals = score_campaign(
        DEFAULT, facts, team_ids=[TEAM_A], months=[NOV, DEC, JAN], as_of=sh(2027, 1, 15), tz=SH
    )
    team = totals[TEAM_A]
    assert [(s.month, s.closed, s.points_per_member) for s in team.months] == [
        (NOV, True, 20),
        (DEC, True, -20),
        (JAN, False, 0),
    ]
    assert team.points_per_member == 0
    assert team.cleared == 1


def test_campaign_totals_for_several_teams_with_extras_penalties_and_breaches():
    facts = [
        *nov_facts(TEAM_A, 3),  # Nov: +60
        fact(10, TEAM_A, sh(2026, 12, 2)),  # Dec: +20
        fact(20, TEAM_B, sh(2026, 12, 31, 23, 59, 59)),  # Dec: +20
        fact(21, TEAM_B, sh(2026, 11, 3), breached_before=True),  # Nov: excluded, -20
    ]
    totals = score_campaign(
        DEFAULT,
        facts,
        team_ids=[TEAM_A, TEAM_B, TEAM_C],
        months=campaign_months(NOV, JAN),
        as_of=sh(2027, 1, 15),
        tz=SH,
    )
    assert set(totals) == {TEAM_A, TEAM_B, TEAM_C}
    assert (totals[TEAM_A].cleared, totals[TEAM_A].points_per_member) == (4, 80)
    assert (totals[TEAM_B].cleared, totals[TEAM_B].points_per_member) == (1, 0)
    assert (totals[TEAM_C].cleared, totals[TEAM_C].points_per_member) == (0, -40)
    assert [s.excluded for s in totals[TEAM_B].months] == [1, 0, 0]


def test_a_team_without_clearances_gets_campaign_totals_too():
    totals = score_campaign(
        DEFAULT, [], team_ids=[TEAM_A], months=[NOV, DEC], as_of=sh(2026, 12, 15), tz=SH
    )
    assert totals == {
        TEAM_A: TeamTotals(
            team_id=TEAM_A,
            cleared=0,
            points_per_member=-20,
            months=(
                MonthScore(TEAM_A, NOV, 0, 0, 1, True, -20),
                MonthScore(TEAM_A, DEC, 0, 0, 1, False, 0),
            ),
        )
    }


def test_a_campaign_with_no_months_scores_zero():
    totals = score_campaign(
        DEFAULT, nov_facts(TEAM_A, 1), team_ids=[TEAM_A], months=[], as_of=AFTER_NOV, tz=SH
    )
    assert totals == {TEAM_A: TeamTotals(team_id=TEAM_A)}


# --- campaign_months -----------------------------------------------------------------------


def test_campaign_months_cross_the_year_end():
    assert campaign_months(datetime.date(2026, 11, 15), datetime.date(2027, 2, 3)) == [
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
        datetime.date(2027, 2, 1),
    ]


def test_campaign_months_of_a_single_month():
    assert campaign_months(datetime.date(2026, 11, 30), datetime.date(2026, 11, 1)) == [NOV]


def test_campaign_months_is_empty_before_the_campaign_starts():
    assert campaign_months(DEC, datetime.date(2026, 11, 30)) == []


def test_campaign_months_of_a_three_month_cycle_through_a_leap_february():
    assert campaign_months(datetime.date(2028, 1, 31), datetime.date(2028, 3, 31)) == [
        datetime.date(2028, 1, 1),
        datetime.date(2028, 2, 1),
        datetime.date(2028, 3, 1),
    ]


# --- assessment cycles ---------------------------------------------------------------------

JUN, JUL, AUG, SEP = (datetime.date(2015, m, 1) for m in (6, 7, 8, 9))


def test_add_months_crosses_the_year_end_both_ways():
    assert add_months(NOV, 2) == JAN
    assert add_months(JAN, -2) == NOV
    assert add_months(NOV, 0) == NOV


def test_month_3_of_a_3_month_cycle_is_in_cycle_1_and_month_4_starts_cycle_2():
    start = datetime.date(2015, 6, 1)
    assert [cycle_number(m, start=start, length=3) for m in (JUN, JUL, AUG, SEP)] == [1, 1, 1, 2]


def test_a_campaign_starting_mid_month_counts_that_month_as_the_first_of_its_cycle():
    start = datetime.date(2015, 6, 10)
    assert cycle_number(JUN, start=start, length=3) == 1
    assert cycle_number(datetime.date(2015, 8, 31), start=start, length=3) == 1
    assert cycle_number(SEP, start=start, length=3) == 2


def test_cycle_number_refuses_a_month_before_the_campaign_and_a_cycle_of_no_months():
    with pytest.raises(ValueError):
        cycle_number(datetime.date(2015, 5, 31), start=datetime.date(2015, 6, 10), length=3)
    with pytest.raises(ValueError):
        cycle_number(JUN, start=JUN, length=0)


def test_cycles_group_the_campaigns_months_and_the_last_one_ends_with_the_campaign():
    cycles = assessment_cycles(datetime.date(2015, 6, 10), datetime.date(2015, 12, 15), length=3)
    assert cycles == [
        Cycle(1, (JUN, JUL, AUG)),
        Cycle(2, (SEP, datetime.date(2015, 10, 1), datetime.date(2015, 11, 1))),
        Cycle(3, (datetime.date(2015, 12, 1),)),
    ]
    assert (cycles[1].first_month, cycles[1].last_month) == (SEP, datetime.date(2015, 11, 1))


def test_cycles_of_one_month_are_the_months_and_cycles_cross_the_year_end():
    assert assessment_cycles(NOV, JAN, length=1) == [
        Cycle(1, (NOV,)),
        Cycle(2, (DEC,)),
        Cycle(3, (JAN,)),
    ]
    assert assessment_cycles(NOV, JAN, length=2) == [Cycle(1, (NOV, DEC)), Cycle(2, (JAN,))]


def test_cycle_totals_sum_their_months_and_only_begun_months_are_scored():
    cycles = assessment_cycles(datetime.date(2015, 6, 10), datetime.date(2015, 12, 31), length=3)
    facts = [
        fact(1, TEAM_A, sh(2015, 6, 20)),  # Jun: +20
        fact(2, TEAM_A, sh(2015, 7, 2)),
        fact(3, TEAM_A, sh(2015, 7, 3)),  # Jul: +40
        # Aug: nothing, -20
        fact(4, TEAM_A, sh(2015, 9, 1)),  # Sep (cycle 2): +20
    ]
    result = score_cycles(
        DEFAULT, facts, team_ids=[TEAM_A, TEAM_B], cycles=cycles, as_of=sh(2015, 9, 15), tz=SH
    )
    assert [cycle.number for cycle, _scores in result] == [1, 2]  # cycle 3 has not begun
    (first, first_scores), (second, second_scores) = result
    a1, b1 = first_scores
    assert (a1.cleared, a1.points_per_member, a1.closed) == (3, 40, True)
    assert [s.points_per_member for s in a1.months] == [20, 40, -20]
    assert (b1.cleared, b1.points_per_member, b1.closed) == (0, -60, True)
    a2, b2 = second_scores
    assert [s.month for s in a2.months] == [SEP]  # October has not begun
    assert (a2.cleared, a2.points_per_member, a2.closed) == (1, 20, False)
    assert (b2.points_per_member, b2.closed) == (0, False)


def test_a_cycle_is_closed_at_the_first_instant_after_its_last_month():
    cycles = assessment_cycles(JUN, AUG, length=3)
    before = score_cycles(
        DEFAULT, [], team_ids=[TEAM_A], cycles=cycles, as_of=sh(2015, 8, 31, 23, 59, 59), tz=SH
    )
    after = score_cycles(DEFAULT, [], team_ids=[TEAM_A], cycles=cycles, as_of=sh(2015, 9, 1), tz=SH)
    assert (before[0][1][0].closed, before[0][1][0].points_per_member) == (False, -40)
    assert (after[0][1][0].closed, after[0][1][0].points_per_member) == (True, -60)


def test_a_breached_clearance_is_excluded_in_the_cycle_totals():
    cycles = assessment_cycles(JUN, AUG, length=3)
    facts = [fact(1, TEAM_A, sh(2015, 6, 5), breached_before=True)]
    ((_cycle, (score,)),) = score_cycles(
        DEFAULT, facts, team_ids=[TEAM_A], cycles=cycles, as_of=sh(2015, 6, 30), tz=SH
    )
    assert (score.cleared, score.excluded, score.points_per_member) == (0, 1, 0)


def test_nothing_is_scored_before_the_campaign_begins():
    cycles = assessment_cycles(JUN, AUG, length=3)
    assert score_cycles(DEFAULT, [], team_ids=[TEAM_A], cycles=cycles, as_of=sh(2015, 5, 31)) == []


def test_a_cycle_score_of_a_team_without_months_is_zero():
    score = CycleScore(TEAM_A, Cycle(1, (JUN,)), ())
    assert (score.cleared, score.excluded, score.points_per_member, score.closed) == (
        0,
        0,
        0,
        False,
    )


# --- rank ----------------------------------------------------------------------------------


def standing(key, points, cleared=0, collected="0.00"):
    return Standing(key=key, cleared=cleared, collected=Decimal(collected), points=points)


def test_rank_orders_by_points_first():
    ranked = rank([standing(1, 20, 5, "900.00"), standing(2, 60, 1, "10.00")])
    assert [(r.key, r.rank) for r in ranked] == [(2, 1), (1, 2)]


def test_rank_breaks_equal_points_by_households_cleared():
    ranked = rank([standing(1, 20, 1, "900.00"), standing(2, 20, 2, "10.00")])
    assert [(r.key, r.rank) for r in ranked] == [(2, 1), (1, 2)]


def test_rank_breaks_equal_points_and_cleared_by_amount_collected():
    ranked = rank([standing(1, 20, 1, "1200.50"), standing(2, 20, 1, "1200.51")])
    assert [(r.key, r.rank) for r in ranked] == [(2, 1), (1, 2)]


def test_rank_equal_rows_share_a_rank_and_the_next_rank_skips():
    ranked = rank(
        [
            standing(4, -20, 0, "0.00"),
            standing(3, 40, 2, "500.00"),
            standing(1, 60, 3, "800.00"),
            standing(2, 40, 2, "500.00"),
        ]
    )
    assert [(r.key, r.rank) for r in ranked] == [(1, 1), (2, 2), (3, 2), (4, 4)]


def test_rank_treats_equal_decimal_amounts_with_different_scale_as_a_tie():
    ranked = rank([standing(1, 20, 1, "100.0"), standing(2, 20, 1, "100.00")])
    assert [r.rank for r in ranked] == [1, 1]


def test_rank_handles_negative_points():
    ranked = rank([standing(1, -40), standing(2, -20), standing(3, 0)])
    assert [(r.key, r.points, r.rank) for r in ranked] == [(3, 0, 1), (2, -20, 2), (1, -40, 3)]


def test_rank_keeps_every_field_and_returns_new_rows():
    row = standing(5, 20, 1, "123.45")
    (ranked,) = rank([row])
    assert ranked == Standing(key=5, cleared=1, collected=Decimal("123.45"), points=20, rank=1)
    assert row.rank == 0


def test_rank_of_nothing_is_empty():
    assert rank([]) == []
