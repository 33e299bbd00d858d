"""Issue 16, item 1: each attempt, promise and issue keeps the team that held its case when it
was recorded (arrears.credited); the migrations fill it in for the records written before."""

import datetime
import zoneinfo
from decimal import Decimal as D

import pytest
import time_machine
from django.apps import apps

from arrears.credited import backfill_attempts, backfill_promises_and_issues, cases_as_of
from arrears.issues import issue_raise
from arrears.models import Case, DebtorCategory, DifficultIssue, ImmutableRecordError, PromiseToPay
from households.contact import PromiseInput, attempt_log
from households.models import ContactAttempt
from summaries.producing import day_figures
from teams.assignment import case_assign_team
from tests.conftest import make_case, make_household

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 17)  # a Tuesday


def at(hour, minute=0, second=0, day=DAY):
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(at(9), tick=False) as traveller:
        yield traveller


def _case(world, unit, team):
    house = make_household(
        world.office, unit, first=datetime.date(2015, 1, 1), last=datetime.date(2015, 5, 1)
    )
    return make_case(
        campaign=world.campaign, household=house, team=team, category=DebtorCategory.REFUSAL
    )


def _log(clock, case, by, when, **kw):
    clock.move_to(when)
    kw.setdefault("outcome", "no_answer")
    return attempt_log(
        case=case,
        by=by,
        occurred_at=when,
        channel="payment_notice" if kw["outcome"] == "delivered" else "phone_call",
        person_contacted="owner",
        **kw,
    )


def test_an_attempt_logged_the_same_minute_as_the_move_goes_to_whoever_held_it(world, clock):
    case = _case(world, "S1-101", world.team_a)
    before = _log(clock, case, world.collector_a, at(10, 0, 5))
    clock.move_to(at(10, 0, 10))
    case_assign_team(case=case, team=world.team_b, by=world.manager)
    # The case object the collector's page loaded still says team A: the team is read anew.
    after = _log(clock, case, world.collector_b, at(10, 0, 20), outcome="delivered")
    assert case.team_id == world.team_a.pk
    assert (before.team_id, after.team_id) == (world.team_a.pk, world.team_b.pk)
    assert before.made_by == world.collector_a and after.made_by == world.collector_b


def test_the_promise_and_the_issue_keep_the_team_of_their_moment(world, clock):
    case = _case(world, "S2-101", world.team_a)
    attempt = _log(
        clock, case, world.collector_a, at(10), outcome="promised",
        promise=PromiseInput(amount=D("100"), due_date=DAY + datetime.timedelta(days=3)),
    )  # fmt: skip
    clock.move_to(at(10, 30))
    issue = issue_raise(case=case, by=world.collector_a, title="漏水", description="详见记录")
    clock.move_to(at(11))
    case_assign_team(case=case, team=world.team_b, by=world.manager)
    promise = PromiseToPay.objects.get(attempt=attempt)
    assert promise.team_id == world.team_a.pk and promise.recorded_by == world.collector_a
    issue.refresh_from_db()
    assert issue.team_id == world.team_a.pk and issue.raised_by == world.collector_a
    # Resolving it later (an edit of the issue) keeps the team that raised it.
    from arrears.issues import issue_resolve

    clock.move_to(at(12))
    issue_resolve(issue=issue, by=world.manager, decision="经理书面答复")
    assert DifficultIssue.objects.get(pk=issue.pk).team_id == world.team_a.pk


def test_a_case_with_no_team_credits_nobody_even_once_assigned(world, clock):
    case = _case(world, "S3-101", None)
    attempt = _log(clock, case, world.collector_a, at(10))
    clock.move_to(at(11))
    case_assign_team(case=case, team=world.team_a, by=world.manager)
    assert ContactAttempt.objects.get(pk=attempt.pk).team_id is None
    figures = day_figures(at(0), at(0, day=DAY + datetime.timedelta(days=1)), [world.office.pk])
    assert figures[(world.office.pk, None)].attempts == 1
    assert figures.get((world.office.pk, world.team_a.pk)) is None or (
        figures[(world.office.pk, world.team_a.pk)].attempts == 0
    )


def test_a_correcting_entry_is_credited_like_the_attempt_it_corrects(world, clock):
    case = _case(world, "S4-101", world.team_a)
    original = _log(clock, case, world.collector_a, at(10))
    clock.move_to(at(11))
    case_assign_team(case=case, team=world.team_b, by=world.manager)
    clock.move_to(at(12))
    correction = ContactAttempt.objects.create(
        household=case.household,
        case=case,
        made_by=world.manager,
        occurred_at=original.occurred_at,
        channel=original.channel,
        person_contacted=original.person_contacted,
        outcome=original.outcome,
        corrects=original,
    )
    assert correction.team_id == world.team_a.pk


def test_records_stay_append_only(world, clock):
    case = _case(world, "S5-101", world.team_a)
    attempt = _log(clock, case, world.collector_a, at(10))
    attempt.team = world.team_b
    with pytest.raises(ImmutableRecordError):
        attempt.save()


def test_the_migration_fills_each_record_from_the_case_history_at_its_time(world, clock):
    """Records written before they kept a team: the backfill of migrations households 0005
    and arrears 0008, run on rows whose team is blank."""
    moved = _case(world, "S6-101", world.team_a)
    unassigned = _case(world, "S7-101", None)
    a1 = _log(clock, moved, world.collector_a, at(10), outcome="promised",
              promise=PromiseInput(amount=D("50"), due_date=DAY))  # fmt: skip
    clock.move_to(at(10, 30))
    i1 = issue_raise(case=moved, by=world.collector_a, title="车位", description="详见记录")
    n1 = _log(clock, unassigned, world.collector_a, at(10, 40))
    clock.move_to(at(11))
    case_assign_team(case=moved, team=world.team_b, by=world.manager)
    case_assign_team(case=unassigned, team=world.team_a, by=world.manager)
    a2 = _log(clock, moved, world.collector_b, at(11), outcome="delivered")  # the same second
    clock.move_to(at(12))
    i2 = issue_raise(case=moved, by=world.collector_b, title="噪音", description="详见记录")
    fix = ContactAttempt.objects.create(
        household=moved.household, case=moved, made_by=world.manager,
        occurred_at=a1.occurred_at, channel=a1.channel, person_contacted="owner",
        outcome=a1.outcome, corrects=a1,
    )  # fmt: skip
    # A case written in bulk keeps no history: its records take its team now.
    bulk = _case(world, "S8-101", world.team_b)
    b1 = _log(clock, bulk, world.collector_b, at(12, 30))
    Case.history.filter(id=bulk.pk).delete()

    ContactAttempt.objects.update(team=None)
    PromiseToPay.objects.update(team=None)
    DifficultIssue.objects.update(team=None)
    DifficultIssue.history.update(team=None)
    backfill_attempts(apps)
    backfill_promises_and_issues(apps)

    teams = dict(ContactAttempt.objects.values_list("pk", "team_id"))
    a, b = world.team_a.pk, world.team_b.pk
    assert (teams[a1.pk], teams[a2.pk], teams[fix.pk], teams[n1.pk], teams[b1.pk]) == (
        a, b, a, None, b,
    )  # fmt: skip
    assert PromiseToPay.objects.get(attempt=a1).team_id == a
    issues = dict(DifficultIssue.objects.values_list("pk", "team_id"))
    assert (issues[i1.pk], issues[i2.pk]) == (a, b)
    assert set(DifficultIssue.history.filter(id=i1.pk).values_list("team_id", flat=True)) == {a}
    # Every row kept.
    assert ContactAttempt.objects.count() == 5


def test_cases_as_of_reads_only_the_cases_changed_since(world, clock):
    case = _case(world, "S9-101", world.team_a)
    clock.move_to(at(11))
    case_assign_team(case=case, team=world.team_b, by=world.manager)
    clock.move_to(at(12))
    newer = _case(world, "S9-102", world.team_b)
    then, not_yet = cases_as_of(Case.objects.filter(pk__in=[case.pk, newer.pk]), at(10, 59))
    assert then[case.pk]["team_id"] == world.team_a.pk
    assert not_yet == {newer.pk}
    assert cases_as_of(Case.objects.filter(pk=case.pk), at(13)) == ({}, set())


def test_instalments_due_go_to_the_team_holding_the_case_at_the_windows_end(world, clock):
    """A payment plan records no team: its instalments are followed by whoever holds the
    case, as it stood at the end of the window (a past day's report keeps its own)."""
    from escalation.plans import plan_record

    case = _case(world, "S10-101", world.team_a)
    tomorrow = DAY + datetime.timedelta(days=1)
    plan_record(
        case=case,
        by=world.manager,
        agreed_on=DAY,
        instalments=[(DAY, D("100.00")), (tomorrow, D("100.00"))],
    )
    clock.move_to(at(12, day=tomorrow))
    case_assign_team(case=case, team=world.team_b, by=world.manager)
    office = world.office.pk
    today_figures = day_figures(at(0), at(0, day=tomorrow), [office])
    assert today_figures[(office, world.team_a.pk)].instalments_due == 1
    next_figures = day_figures(
        at(0, day=tomorrow), at(0, day=tomorrow + datetime.timedelta(days=1)), [office]
    )
    assert next_figures[(office, world.team_b.pk)].instalments_due == 1
    assert next_figures.get((office, world.team_a.pk)) is None or (
        next_figures[(office, world.team_a.pk)].instalments_due == 0
    )


def test_a_record_older_than_the_cases_history_takes_its_earliest_team(world, clock):
    """A region written with its history dated when it was written (desk.load), and records
    dated weeks before: the case's first known team, not the one it was moved to since."""
    case = _case(world, "S11-101", world.team_a)
    attempt = _log(clock, case, world.collector_a, at(10))
    clock.move_to(at(11))
    case_assign_team(case=case, team=world.team_b, by=world.manager)
    Case.history.filter(id=case.pk, history_type="+").update(history_date=at(10, 30))
    ContactAttempt.objects.update(team=None)
    backfill_attempts(apps)
    assert ContactAttempt.objects.get(pk=attempt.pk).team_id == world.team_a.pk
