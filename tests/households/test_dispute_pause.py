"""The pause (issue 17.2): from the moment a dispute is recorded, collection contact about the
disputed months stops until the written answer is delivered; letters leave them out; the
limitation clock is not restarted."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from arrears.models import DebtPeriod
from escalation.letters import DEMAND, issued_letter, letter_for, snapshot
from escalation.limitation_records import household_interruptions
from households import disputes
from households.contact import DISPUTED_STATE, attempt_log, contact_answers
from households.contact_policy import (
    DISPUTED,
    Attempt,
    check_attempt,
    contact_availability,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
MINUTE = datetime.timedelta(minutes=1)


# --- plain rule --------------------------------------------------------------------------


def call(at, channel="phone_call", key=None):
    return Attempt(occurred_at=at, channel=channel, key=key, staff_count=2)


def test_a_call_in_the_same_minute_as_the_dispute_is_where_it_was_raised():
    since = NOON + datetime.timedelta(seconds=40)
    verdict = check_attempt(call(NOON, key=1), history=[], disputed_since=since)
    assert verdict.ok


def test_a_call_in_the_next_minute_is_a_breach():
    verdict = check_attempt(call(NOON + MINUTE), history=[], disputed_since=NOON)
    assert verdict.breach_codes == [DISPUTED]


@pytest.mark.parametrize("channel", ["sms", "wechat", "home_visit"])
def test_messages_and_visits_are_paused_too(channel):
    verdict = check_attempt(call(NOON + MINUTE, channel), history=[], disputed_since=NOON)
    assert DISPUTED in verdict.breach_codes


@pytest.mark.parametrize("channel", ["written_demand", "payment_notice", "mediation"])
def test_written_and_legal_steps_are_not_refused_by_the_pause(channel):
    verdict = check_attempt(call(NOON + MINUTE, channel), history=[], disputed_since=NOON)
    assert DISPUTED not in verdict.breach_codes


def test_no_pause_no_breach():
    assert check_attempt(call(NOON + MINUTE), history=[], disputed_since=None).ok


def test_availability_says_since_when_and_until_the_answer():
    with translation.override("en"):
        answer = contact_availability(NOON, history=[], disputed_since=NOON)
    assert not answer.allowed and answer.allowed_from is None
    assert "Under dispute since 2026-11-25 12:00" in answer.reasons[0].message
    assert "written answer is delivered" in answer.reasons[0].message
    with translation.override("zh-hans"):
        answer = contact_availability(NOON, history=[], disputed_since=NOON)
    assert "2026-11-25 12:00" in answer.reasons[0].message
    assert "Under dispute" not in answer.reasons[0].message


# --- through the services ----------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def record(world, months=None, **kw):
    if months is None:
        months = list(DebtPeriod.objects.filter(household=world.house_a))
    fields = {
        "case": world.case_a,
        "kind": "months",
        "months": months,
        "words": "物业没修漏水，这些月不交",
        "source": "call",
        "by": world.collector_a,
    }
    fields.update(kw)
    return disputes.dispute_record(**fields)


def log(world, at, **kw):
    kw.setdefault("channel", "phone_call")
    kw.setdefault("person_contacted", "owner")
    kw.setdefault("outcome", "no_answer")
    return attempt_log(case=world.case_a, by=world.collector_a, occurred_at=at, **kw)


def test_all_months_disputed_blocks_contact_until_the_answer_is_delivered(world, frozen):
    dispute = record(world, now=NOON - datetime.timedelta(hours=2))
    attempt = log(world, NOON - datetime.timedelta(hours=1))
    assert attempt.breaches == [DISPUTED]
    answers = contact_answers([world.house_a], now=NOON)[world.house_a.pk]
    assert {a.state for a in answers.items()} == {DISPUTED_STATE}
    # Another household of the office is not touched.
    other = contact_answers([world.house_b], now=NOON)[world.house_b.pk]
    assert other.call.allowed
    disputes.dispute_answer_delivered(
        dispute=dispute, by=world.manager, at=NOON - datetime.timedelta(minutes=30)
    )
    answers = contact_answers([world.house_a], now=NOON)[world.house_a.pk]
    assert DISPUTED_STATE not in {a.state for a in answers.items()}
    assert DISPUTED not in log(world, NOON).breaches
    # A call logged afterwards, dated inside the pause, is still a breach.
    backdated = log(
        world, NOON - datetime.timedelta(minutes=50), channel="home_visit", staff_count=2
    )
    assert DISPUTED in backdated.breaches


def test_some_months_disputed_leaves_contact_open(world, frozen):
    two = list(DebtPeriod.objects.filter(household=world.house_a).order_by("month")[:2])
    record(world, months=two, now=NOON - datetime.timedelta(hours=2))
    assert DISPUTED not in log(world, NOON - datetime.timedelta(hours=1)).breaches
    assert contact_answers([world.house_a], now=NOON)[world.house_a.pk].message.allowed


def test_the_call_that_raised_the_dispute_is_not_a_breach(world, frozen):
    at = NOON - datetime.timedelta(hours=1)
    record(world, now=at + datetime.timedelta(seconds=30))
    assert DISPUTED not in log(world, at, outcome="disputed").breaches
    assert DISPUTED in log(world, at + MINUTE, channel="sms", message_has_opt_out=True).breaches


def test_a_letter_leaves_the_disputed_months_out_and_says_they_are_under_review(world, frozen):
    two = list(DebtPeriod.objects.filter(household=world.house_a).order_by("month")[:2])
    record(world, months=two, now=NOON - datetime.timedelta(hours=1))
    letter = letter_for(world.case_a, kind=DEMAND, dated=NOON.date())
    assert [r.start for r in letter.under_review] == [datetime.date(2014, 1, 1)]
    assert letter.under_review[0].count == 2
    assert sum(r.count for r in letter.ranges) == 15
    assert letter.total == sum(r.balance for r in letter.ranges)
    review = letter.paragraphs()["body"][-1]
    assert "提出异议" in review and "2014年1月至2014年2月" in review
    again = issued_letter(
        type(
            "Record",
            (),
            {
                "kind": DEMAND,
                "case": world.case_a,
                "owners": letter.owners,
                "total": letter.total,
                "dated": letter.dated,
                "deadline": letter.deadline,
                "reference": "",
                "periods": snapshot(letter),
                "statement_links": type("NoLinks", (), {"all": lambda self: []})(),
            },
        )()
    )
    assert again.ranges == letter.ranges and again.under_review == letter.under_review


def test_a_whole_debt_dispute_puts_every_month_under_review(world, frozen):
    record(world, months=[], kind="service", cause="leak_unrepaired", now=NOON)
    letter = letter_for(world.case_a, kind=DEMAND, dated=NOON.date())
    assert letter.ranges == [] and sum(r.count for r in letter.under_review) == 17


def test_a_dispute_does_not_restart_the_limitation_clock(world, frozen):
    before = household_interruptions([world.house_a.pk]).get(world.house_a.pk)
    dispute = record(world, now=NOON - datetime.timedelta(hours=1))
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager, at=NOON)
    after = household_interruptions([world.house_a.pk]).get(world.house_a.pk)
    assert (before.events if before else []) == (after.events if after else [])
    assert (before.claims if before else []) == (after.claims if after else [])
