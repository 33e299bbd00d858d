"""One answer per channel (issue 11, item 6): call, message and visit, each on its own."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.translation import gettext, ngettext

from households.contact import (
    ALLOWED,
    LATER,
    NOT_SOON,
    WRITTEN_ONLY_STATE,
    ChannelAnswer,
    attempt_log,
    contact_answers,
    household_set_written_only,
)
from households.contact_policy import Availability, Rules, make_breach
from households.models import ContactPolicy, Household

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday; the clock is frozen here so "now" and the allowed hours are known.
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def log(world, at, case=None, **kw):
    kw.setdefault("channel", "phone_call")
    kw.setdefault("person_contacted", "owner")
    kw.setdefault("outcome", "no_answer")
    if kw["channel"] == "home_visit":
        kw.setdefault("staff_count", 2)
    if kw["channel"] in ("sms", "wechat"):
        kw.setdefault("message_has_opt_out", True)
    return attempt_log(case=case or world.case_a, by=world.collector_a, occurred_at=at, **kw)


def answers_for(household, now=NOON):
    return contact_answers([household], now=now)[household.pk]


def codes(availability):
    return [r.code for r in availability.reasons]


def test_a_quiet_household_may_be_called_messaged_and_visited(world):
    answers = answers_for(world.house_a)
    assert answers.all_allowed and not answers.written_only
    assert [(a.key, a.state, a.short) for a in answers.items()] == [
        ("call", ALLOWED, "✓"),
        ("message", ALLOWED, "✓"),
        ("visit", ALLOWED, "✓"),
    ]


def test_a_visit_right_after_a_visit_is_not_allowed_while_a_call_is(world):
    log(world, NOON.replace(hour=10), channel="home_visit", outcome="no_answer")
    answers = answers_for(world.house_a)
    assert answers.call.allowed and answers.message.allowed
    assert not answers.visit.allowed
    assert codes(answers.visit) == ["visits_per_7_days"]
    # Seven days after the last visit, to the minute.
    assert answers.visit.allowed_from == datetime.datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
    visit = answers.for_channel("home_visit")
    assert visit.state == LATER
    assert "2026-12-02 10:00" in visit.text
    assert make_breach("visits_per_7_days").message in visit.text
    assert visit.short == gettext("from %(when)s") % {"when": "12-02 10:00"}  # another day
    assert not answers.all_allowed


def test_a_visit_probe_uses_the_recommended_staff_so_the_answer_is_not_a_staff_rule(world):
    log(world, NOON.replace(hour=10), channel="home_visit", staff_count=1)
    visit = answers_for(world.house_a).visit
    assert codes(visit) == ["visits_per_7_days"]


@pytest.mark.parametrize("channel", ["sms", "wechat"])
def test_one_message_a_day_by_sms_or_wechat_blocks_both_until_the_next_morning(world, channel):
    log(world, NOON.replace(hour=9), channel=channel, outcome="sent")
    answers = answers_for(world.house_a)
    assert answers.call.allowed and answers.visit.allowed
    assert not answers.message.allowed
    assert codes(answers.message) == ["messages_per_day"]
    assert answers.message.allowed_from == datetime.datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI)
    for logged in ("sms", "wechat"):
        assert answers.for_channel(logged).key == "message"


def test_three_messages_in_seven_days_block_messages_until_the_oldest_leaves_the_window(world):
    for days_ago in (5, 3, 1):
        log(world, NOON - datetime.timedelta(days=days_ago, hours=3), channel="sms", outcome="sent")
    message = answers_for(world.house_a).message
    assert codes(message) == ["messages_per_7_days"]
    # The oldest was 11-20 09:00: it leaves the 7-day window on 11-27 at 09:00.
    assert message.allowed_from == datetime.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)


def test_a_conversation_blocks_calls_but_not_messages_or_visits(world):
    log(world, NOON.replace(hour=9), outcome="talked")
    answers = answers_for(world.house_a)
    assert codes(answers.call) == ["quiet_after_conversation"]
    assert answers.message.allowed and answers.visit.allowed


def test_written_only_means_none_of_the_three_and_says_so(world):
    household = household_set_written_only(
        household=world.house_a, since=NOON.date(), reason="业主要求书面联系", by=world.collector_a
    )
    answers = answers_for(household)
    assert answers.written_only
    for answer in answers.items():
        assert not answer.allowed and answer.allowed_from is None
        assert answer.state == WRITTEN_ONLY_STATE
        assert codes(answer.availability) == ["written_only"]
        assert answer.text == gettext("not by this channel: written contact only")
        assert answer.short == "✗"


def test_written_only_from_a_later_date_leaves_today_open(world):
    # Stored as an older version allowed (a start ahead of the day it was recorded): the
    # answer reads the start date, not merely the flag.
    Household.objects.filter(pk=world.house_a.pk).update(
        written_contact_only=True,
        written_only_since=NOON.date() + datetime.timedelta(days=1),
        written_only_reason="业主来信：明日起书面联系",
    )
    household = Household.objects.get(pk=world.house_a.pk)
    assert answers_for(household).all_allowed
    assert not answers_for(household, now=NOON + datetime.timedelta(days=1)).all_allowed


def test_at_night_all_three_wait_for_the_morning_and_the_badge_shows_the_time_today(world):
    early = NOON.replace(hour=6, minute=15)
    answers = answers_for(world.house_a, now=early)
    for answer in answers.items():
        assert codes(answer.availability) == ["hours"]
        assert answer.allowed_from == NOON.replace(hour=8, minute=0)
        assert answer.short == gettext("from %(when)s") % {"when": "08:00"}  # today: the time


def test_each_household_gets_its_own_office_policy(world):
    ContactPolicy.objects.create(office=world.office, calls_per_day=1)
    log(world, NOON.replace(hour=9))
    log(world, NOON.replace(hour=9), case=world.other_case)
    answers = contact_answers([world.house_a, world.other_house], now=NOON)
    assert codes(answers[world.house_a.pk].call) == ["calls_per_day"]
    assert answers[world.other_house.pk].call.allowed  # the default allows 2 a day


def test_any_number_of_households_costs_three_queries(world, django_assert_num_queries):
    log(world, NOON.replace(hour=9), channel="home_visit")
    log(world, NOON.replace(hour=9), case=world.case_b, channel="sms", outcome="sent")
    households = [world.house_a, world.house_b, world.other_house]
    # History, policies, disputes (issue 17.2; three more when any household has one).
    with django_assert_num_queries(3):
        answers = contact_answers(households, now=NOON)
    assert set(answers) == {h.pk for h in households}
    assert not answers[world.house_a.pk].visit.allowed
    assert not answers[world.house_b.pk].message.allowed


def test_a_written_or_legal_channel_has_no_answer_to_highlight(world):
    answers = answers_for(world.house_a)
    assert answers.for_channel("phone_call").key == "call"
    assert answers.for_channel("home_visit").key == "visit"
    for channel in ("written_demand", "payment_notice", "", None, "cut_water"):
        assert answers.for_channel(channel) is None


def test_an_answer_with_no_allowed_moment_in_the_search_window_says_so_and_why():
    never = Availability(
        allowed=False, reasons=(make_breach("calls_per_day", Rules(calls_per_day=0)),)
    )
    answer = ChannelAnswer("call", never, NOON)
    assert answer.state == NOT_SOON and answer.short == "✗"
    expected = ngettext(
        "not in the next %(days)d day, because: %(reasons)s",
        "not in the next %(days)d days, because: %(reasons)s",
        14,
    )
    assert answer.text == expected % {
        "days": 14,
        "reasons": make_breach("calls_per_day", Rules(calls_per_day=0)).message,
    }
