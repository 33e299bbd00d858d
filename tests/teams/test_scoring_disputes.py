"""Scoring with disputes (issue 17.3), as plain data: a month's minimum counts only undisputed
cases, and a clearance made by an upheld dispute's waiver earns nothing."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from teams.scoring import (
    CaseFact,
    ClearanceFact,
    ScoringPolicy,
    counts,
    minimums,
    score_month,
)

TZ = ZoneInfo("Asia/Shanghai")
POLICY = ScoringPolicy()  # 1 a month, 20 points, −20 per missing household
MAY, JUNE = datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
# Sunday 31 May 2026 23:59 is the last minute of a week and of a month; Monday 1 June
# 00:00 the first moment of the next.
LAST_MINUTE = datetime.datetime(2026, 5, 31, 23, 59, tzinfo=TZ)
NEXT_WEEK = datetime.datetime(2026, 6, 1, 0, 0, tzinfo=TZ)
FIRST_MINUTE = NEXT_WEEK + datetime.timedelta(minutes=1)
LATER = datetime.datetime(2026, 7, 2, 10, 0, tzinfo=TZ)  # May and June are over


def score(cases, clearances=(), month=MAY, team_ids=(1, 2)):
    return {
        s.team_id: s
        for s in score_month(
            POLICY,
            clearances,
            team_ids=list(team_ids),
            month=month,
            as_of=LATER,
            tz=TZ,
            cases=cases,
        )  # fmt: skip
    }


def case(case_id, team_id, *disputes, closed=False):
    return CaseFact(case_id, team_id, closed=closed, disputes=tuple(disputes))


def test_a_team_whose_only_case_was_paused_is_not_penalised():
    scores = score([case(1, 1, (LAST_MINUTE - datetime.timedelta(days=20), None)), case(2, 2)])
    assert scores[1].minimum == 0 and scores[1].paused == 1
    assert scores[1].points_per_member == 0
    assert scores[2].minimum == 1 and scores[2].points_per_member == -20


def test_a_team_with_an_undisputed_case_left_still_owes_the_minimum():
    scores = score([case(1, 1, (LAST_MINUTE, None)), case(3, 1), case(2, 2)])
    assert scores[1].minimum == 1 and scores[1].paused == 1
    assert scores[1].points_per_member == -20


def test_the_minimum_never_asks_for_more_than_the_undisputed_cases():
    policy = ScoringPolicy(monthly_minimum=3)
    cases = [case(1, 1, (LAST_MINUTE, None)), case(2, 1), case(3, 1), case(4, 1)]
    assert minimums(policy, cases, [], team_ids=[1], month=MAY, tz=TZ) == {1: (3, 1)}
    cases = [case(1, 1, (LAST_MINUTE, None)), case(2, 1, (LAST_MINUTE, None)), case(3, 1)]
    assert minimums(policy, cases, [], team_ids=[1], month=MAY, tz=TZ) == {1: (1, 2)}


@pytest.mark.parametrize(
    ("recorded", "answered", "may", "june"),
    [
        # recorded the week's (and month's) last minute, answered the next one's first
        (LAST_MINUTE, FIRST_MINUTE, True, True),
        # answered at the very first moment of June: June was never paused
        (LAST_MINUTE, NEXT_WEEK, True, False),
        # recorded at the first moment of June: May was never paused
        (NEXT_WEEK, None, False, True),
        # recorded and answered inside May
        (LAST_MINUTE - datetime.timedelta(days=3), LAST_MINUTE, True, False),
        # opened and answered inside April
        (
            datetime.datetime(2026, 4, 1, tzinfo=TZ),
            datetime.datetime(2026, 4, 30, 23, 59, tzinfo=TZ),
            False,
            False,
        ),
        # open since April, answered in June: paused all of May
        (datetime.datetime(2026, 4, 1, tzinfo=TZ), FIRST_MINUTE, True, True),
    ],
)
def test_a_case_is_paused_for_a_month_when_a_dispute_was_open_at_any_moment_of_it(
    recorded, answered, may, june
):
    cases = [case(1, 1, (recorded, answered)), case(2, 2)]
    assert (score(cases, month=MAY)[1].minimum == 0) is may
    assert (score(cases, month=JUNE)[1].minimum == 0) is june


def test_a_case_cleared_before_the_month_is_not_one_left_to_clear():
    # Team 1's case 3 was cleared in April; its case 1 is paused in May: nothing left owed.
    april = ClearanceFact(3, 1, datetime.datetime(2026, 4, 20, tzinfo=TZ))
    scores = score([case(1, 1, (LAST_MINUTE, None)), case(3, 1), case(2, 2)], [april])
    assert scores[1].minimum == 0 and scores[1].points_per_member == 0
    # Revoked before May began: it is left to clear again.
    revoked = ClearanceFact(
        3, 1, april.cleared_at, revoked_at=datetime.datetime(2026, 4, 25, tzinfo=TZ)
    )
    scores = score([case(1, 1, (LAST_MINUTE, None)), case(3, 1), case(2, 2)], [revoked])
    assert scores[1].minimum == 1


def test_a_closed_case_is_not_one_left_to_clear():
    scores = score([case(1, 1, (LAST_MINUTE, None)), case(3, 1, closed=True), case(2, 2)])
    assert scores[1].minimum == 0


def test_clearing_a_paused_case_anyway_earns_as_an_extra_household():
    cleared = ClearanceFact(1, 1, datetime.datetime(2026, 5, 20, tzinfo=TZ))
    scores = score([case(1, 1, (datetime.datetime(2026, 5, 2, tzinfo=TZ), None))], [cleared])
    assert scores[1].minimum == 0 and scores[1].cleared == 1
    assert scores[1].points_per_member == POLICY.points_per_extra


def test_without_disputes_the_minimum_is_the_campaigns():
    scores = score([case(1, 1), case(2, 2)])
    assert scores[1].minimum == 1 and scores[1].points_per_member == -20
    assert score([])[1].minimum == 1


def test_a_clearance_made_by_a_dispute_waiver_earns_nothing():
    moment = datetime.datetime(2026, 5, 20, tzinfo=TZ)
    waived = ClearanceFact(1, 1, moment, waived=True)
    paid = ClearanceFact(2, 1, moment)
    assert not counts(waived, LATER) and counts(paid, LATER)
    scores = score([], [waived, paid])
    assert scores[1].cleared == 1 and scores[1].excluded == 0
    assert scores[1].points_per_member == 20
    assert score([], [waived])[1].points_per_member == -20  # as if nothing was cleared
