"""The contact policy rules of DESIGN.md §5.3, edge by edge. Pure: no database."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from arrears.unlawful import flagged_terms
from households.contact_policy import (
    CHANNELS,
    RULE_CODES,
    Attempt,
    Availability,
    Breach,
    Rules,
    Verdict,
    check_attempt,
    contact_availability,
    make_breach,
    rule_catalogue,
)
from households.models import Channel, ContactPolicy, Outcome, PersonContacted

SH = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
WRITTEN_CHANNELS = [
    "payment_notice",
    "written_demand",
    "committee_urging",
    "lawyer_letter",
    "mediation",
    "payment_order",
    "lawsuit",
    "arbitration",
]


def at(day, hour=10, minute=0, second=0, *, tz=SH):
    """A moment on 2026-11-<day> in Shanghai (or `tz`)."""
    return datetime.datetime(2026, 11, day, hour, minute, second, tzinfo=tz)


def call(when, **kw):
    return Attempt(occurred_at=when, channel="phone_call", **kw)


def sms(when, **kw):
    return Attempt(occurred_at=when, channel="sms", **kw)


def wechat(when, **kw):
    return Attempt(occurred_at=when, channel="wechat", **kw)


def visit(when, staff=2, **kw):
    return Attempt(occurred_at=when, channel="home_visit", staff_count=staff, **kw)


def talked(when, **kw):
    kw.setdefault("outcome", "talked")
    return call(when, **kw)


def codes(attempt, history=(), **kw):
    return check_attempt(attempt, history=list(history), **kw).breach_codes


# --- Rules -----------------------------------------------------------------------------


def test_rules_from_no_policy_are_the_defaults():
    assert Rules.from_policy(None) == Rules()


def test_default_rules_match_the_contact_policy_model_defaults():
    policy = ContactPolicy()  # unsaved: its field defaults only, no database
    assert Rules.from_policy(policy) == Rules()


def test_rules_from_policy_read_the_offices_limits():
    policy = SimpleNamespace(
        allowed_from=datetime.time(9, 0),
        allowed_until=datetime.time(20, 0),
        calls_per_day=1,
        calls_per_7_days=4,
        quiet_days_after_conversation=5,
        messages_per_day=1,
        messages_per_7_days=2,
        visits_per_7_days=1,
        visit_staff_recommended=2,
        visit_staff_max=2,
    )
    rules = Rules.from_policy(policy)
    assert rules.allowed_from == datetime.time(9, 0)
    assert rules.calls_per_7_days == 4
    assert rules.visit_staff_max == 2


def test_a_stricter_office_policy_is_applied():
    rules = Rules(allowed_from=datetime.time(9, 0), calls_per_day=1)
    assert "hours" in codes(call(at(2, 8, 30)), rules=rules)
    assert "calls_per_day" in codes(call(at(2, 11)), [call(at(2, 9, 30))], rules=rules)


def test_every_model_channel_is_known_to_the_policy():
    assert set(Channel.values) == set(CHANNELS)


def test_every_model_person_and_outcome_is_accepted():
    for person in PersonContacted.values:
        for outcome in [*Outcome.values, ""]:
            assert Attempt(at(2), "phone_call", person_contacted=person, outcome=outcome)


def test_an_unknown_channel_is_rejected():
    with pytest.raises(ValueError, match="channel"):
        Attempt(at(2), "cut_water")


def test_an_unknown_person_or_outcome_is_rejected():
    with pytest.raises(ValueError, match="person"):
        Attempt(at(2), "phone_call", person_contacted="employer")
    with pytest.raises(ValueError, match="outcome"):
        Attempt(at(2), "phone_call", outcome="threatened")


def test_a_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime.datetime(2026, 11, 2, 10, 0))


def test_a_naive_call_back_time_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        talked(at(2), callback_at=datetime.datetime(2026, 11, 4, 10, 0))


def test_a_naive_now_is_rejected_by_availability():
    with pytest.raises(ValueError, match="timezone-aware"):
        contact_availability(datetime.datetime(2026, 11, 2, 10, 0), history=[])


def test_a_clean_call_is_ok_with_no_breaches_or_warnings():
    verdict = check_attempt(call(at(2)), history=[])
    assert verdict.ok
    assert verdict.breaches == ()
    assert verdict.warnings == ()


# --- Hours -----------------------------------------------------------------------------


def test_a_call_at_08_00_exactly_is_allowed():
    assert codes(call(at(2, 8, 0, 0))) == []


def test_a_call_at_07_59_59_breaches_the_hours_rule():
    assert codes(call(at(2, 7, 59, 59))) == ["hours"]


def test_a_call_at_20_59_59_is_allowed():
    assert codes(call(at(2, 20, 59, 59))) == []


def test_a_call_at_21_00_breaches_the_hours_rule():
    assert codes(call(at(2, 21, 0, 0))) == ["hours"]


def test_a_call_at_midnight_breaches_the_hours_rule():
    assert codes(call(at(2, 0, 0))) == ["hours"]


@pytest.mark.parametrize("channel", ["sms", "wechat", "home_visit"])
def test_messages_and_visits_at_night_breach_the_hours_rule(channel):
    attempt = Attempt(occurred_at=at(2, 22), channel=channel, staff_count=2)
    assert codes(attempt) == ["hours"]


def test_a_call_at_21_30_at_the_owners_request_is_allowed():
    verdict = check_attempt(call(at(2, 21, 30), at_owners_request=True), history=[])
    assert verdict.ok


def test_a_visit_at_the_owners_request_after_hours_is_allowed():
    assert codes(visit(at(2, 21, 30), at_owners_request=True)) == []


@pytest.mark.parametrize("channel", WRITTEN_CHANNELS)
def test_written_channels_sent_not_handed_over_are_not_limited_by_hours(channel):
    assert codes(Attempt(occurred_at=at(2, 23, 30), channel=channel)) == []


def test_a_time_entered_in_utc_is_judged_in_shanghai_time_at_night():
    # 13:30 UTC = 21:30 in Shanghai.
    late = datetime.datetime(2026, 11, 27, 13, 30, tzinfo=UTC)
    assert codes(call(late)) == ["hours"]


def test_a_time_entered_in_utc_is_judged_in_shanghai_time_in_the_morning():
    # 00:30 UTC = 08:30 in Shanghai.
    morning = datetime.datetime(2026, 11, 27, 0, 30, tzinfo=UTC)
    assert codes(call(morning)) == []


def test_a_time_entered_in_new_york_is_converted_first():
    # 09:00 in New York (EST, UTC−5) = 22:00 in Shanghai.
    new_york = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert codes(call(new_york)) == ["hours"]


def test_an_explicit_time_zone_overrides_the_settings_one():
    # 10:00 in Shanghai is 02:00 in London.
    assert codes(call(at(2, 10)), tz=ZoneInfo("Europe/London")) == ["hours"]


# --- Calls per day ---------------------------------------------------------------------


def test_the_second_call_in_a_day_is_allowed():
    assert codes(call(at(2, 15)), [call(at(2, 9))]) == []


def test_the_third_call_in_a_day_breaches_calls_per_day():
    assert codes(call(at(2, 18)), [call(at(2, 9)), call(at(2, 15))]) == ["calls_per_day"]


def test_a_third_call_the_next_day_is_allowed():
    assert codes(call(at(3, 9)), [call(at(2, 9)), call(at(2, 15))]) == []


def test_calls_per_day_follow_the_local_calendar_day_not_the_utc_one():
    # 2026-11-02 23:30 UTC is 07:30 on the 3rd in Shanghai, so it counts for the 3rd.
    early_on_the_3rd = datetime.datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    history = [call(early_on_the_3rd, at_owners_request=True), call(at(3, 9))]
    assert codes(call(at(3, 15)), history) == ["calls_per_day"]


def test_calls_on_the_previous_local_day_do_not_count_for_today():
    # 15:30 UTC on the 2nd = 23:30 on the 2nd in Shanghai: yesterday for a call on the 3rd.
    late_on_the_2nd = datetime.datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
    history = [call(late_on_the_2nd, at_owners_request=True), call(at(3, 9))]
    assert codes(call(at(3, 15)), history) == []


def test_messages_and_visits_do_not_count_as_calls():
    history = [sms(at(2, 9)), visit(at(2, 10)), call(at(2, 11))]
    assert codes(call(at(2, 15)), history) == []


def test_unanswered_calls_count_towards_the_call_limit():
    history = [call(at(2, 9), outcome="no_answer"), call(at(2, 10), outcome="declined")]
    assert codes(call(at(2, 15)), history) == ["calls_per_day"]


# --- Calls in any 7 days ---------------------------------------------------------------


def _six_calls_over_six_days():
    return [call(at(day, 10)) for day in range(2, 8)]  # 2nd … 7th, one a day


def test_the_seventh_call_in_a_rolling_7_days_is_allowed():
    assert codes(call(at(8, 10)), _six_calls_over_six_days()) == []


def test_the_eighth_call_in_a_rolling_7_days_breaches_calls_per_7_days():
    history = [*_six_calls_over_six_days(), call(at(8, 9))]
    assert codes(call(at(8, 15)), history) == ["calls_per_7_days"]


def test_a_call_exactly_7_days_old_has_left_the_window():
    # Calls at 10:00 on the 2nd … 8th are 7; at 10:00 on the 9th the one on the 2nd is
    # exactly 7 days old and no longer counts.
    history = [call(at(day, 10)) for day in range(2, 9)]
    assert codes(call(at(9, 10)), history) == []
    assert codes(call(at(9, 9, 59, 59)), history) == ["calls_per_7_days"]


# --- Quiet period after a conversation -------------------------------------------------


def test_a_call_6_days_after_a_conversation_breaches_the_quiet_period():
    assert codes(call(at(8, 10)), [talked(at(2, 10))]) == ["quiet_after_conversation"]


def test_a_call_6_days_23_hours_after_a_conversation_breaches_the_quiet_period():
    assert codes(call(at(9, 9)), [talked(at(2, 10))]) == ["quiet_after_conversation"]


def test_a_call_exactly_7_days_after_a_conversation_is_allowed():
    assert codes(call(at(9, 10)), [talked(at(2, 10))]) == []


def test_a_call_at_the_agreed_call_back_time_is_allowed_and_exempt():
    conversation = talked(at(2, 10), callback_at=at(4, 19))
    verdict = check_attempt(call(at(4, 19)), history=[conversation])
    assert verdict.breach_codes == []
    assert verdict.exemption_codes == ["agreed_callback"]


def test_a_call_earlier_on_the_call_back_day_breaches_the_quiet_period():
    # The call-back agreed a time, not the whole day.
    conversation = talked(at(2, 10), callback_at=at(4, 19))
    assert codes(call(at(4, 9)), [conversation]) == ["quiet_after_conversation"]


def test_a_call_on_another_date_than_the_agreed_call_back_breaches_the_quiet_period():
    conversation = talked(at(2, 10), callback_at=at(4, 19))
    assert codes(call(at(5, 10)), [conversation]) == ["quiet_after_conversation"]


def test_a_time_the_owner_asked_for_does_not_lift_the_quiet_period():
    attempt = call(at(4, 10), at_owners_request=True)
    assert codes(attempt, [talked(at(2, 10))]) == ["quiet_after_conversation"]


@pytest.mark.parametrize("outcome", ["talked", "promised", "refused", "disputed", "paid"])
def test_every_conversation_outcome_starts_a_quiet_period(outcome):
    assert codes(call(at(4)), [talked(at(2), outcome=outcome)]) == ["quiet_after_conversation"]


def test_a_conversation_with_a_co_owner_starts_a_quiet_period():
    history = [talked(at(2), person_contacted="co_owner")]
    assert codes(call(at(4)), history) == ["quiet_after_conversation"]


@pytest.mark.parametrize("outcome", ["no_answer", "declined", "invalid_number", ""])
def test_an_attempt_without_a_conversation_starts_no_quiet_period(outcome):
    assert codes(call(at(2, 15)), [call(at(2, 9), outcome=outcome)]) == []


def test_talking_to_an_occupant_is_not_a_conversation_with_the_owner():
    assert codes(call(at(4)), [talked(at(2), person_contacted="occupant")]) == []


def test_a_conversation_during_a_visit_also_starts_a_quiet_period_for_calls():
    assert codes(call(at(4)), [visit(at(2), outcome="promised")]) == ["quiet_after_conversation"]


def test_the_quiet_period_does_not_stop_messages_or_written_demands():
    history = [talked(at(2))]
    assert codes(sms(at(4)), history) == []
    assert codes(Attempt(occurred_at=at(4), channel="written_demand"), history) == []


def test_the_quiet_period_runs_from_the_latest_conversation():
    # The earlier conversation agreed a call-back on the 6th, a later one on the 4th did not.
    history = [talked(at(2), callback_at=at(6, 10)), talked(at(4))]
    assert codes(call(at(6)), history) == ["quiet_after_conversation"]


def test_a_conversation_logged_later_than_the_call_does_not_count():
    assert codes(call(at(4)), [talked(at(5))]) == []


# --- Messages --------------------------------------------------------------------------


def test_the_first_message_in_a_day_is_allowed():
    assert codes(sms(at(2))) == []


def test_a_second_message_in_a_day_breaches_messages_per_day():
    assert codes(wechat(at(2, 15)), [sms(at(2, 9))]) == ["messages_per_day"]


def test_the_third_message_in_7_days_is_allowed():
    assert codes(sms(at(6)), [sms(at(2)), wechat(at(4))]) == []


def test_the_fourth_message_in_7_days_breaches_messages_per_7_days():
    history = [sms(at(2)), wechat(at(4)), sms(at(6))]
    assert codes(wechat(at(8)), history) == ["messages_per_7_days"]


def test_a_message_after_the_oldest_left_the_7_day_window_is_allowed():
    history = [sms(at(2)), wechat(at(4)), sms(at(6))]
    assert codes(wechat(at(9)), history) == []


def test_a_message_without_an_opt_out_breaches_the_opt_out_rule():
    assert codes(sms(at(2), message_has_opt_out=False)) == ["message_opt_out"]
    assert codes(wechat(at(2), message_has_opt_out=False)) == ["message_opt_out"]


def test_the_opt_out_rule_applies_to_messages_only():
    assert codes(call(at(2), message_has_opt_out=False)) == []


def test_calls_do_not_count_as_messages():
    assert codes(sms(at(2, 15)), [call(at(2, 9)), call(at(2, 10))]) == []


# --- Visits ----------------------------------------------------------------------------


def test_one_visit_in_7_days_is_allowed():
    assert codes(visit(at(2))) == []


def test_a_second_visit_in_7_days_breaches_visits_per_7_days():
    assert codes(visit(at(8)), [visit(at(2))]) == ["visits_per_7_days"]


def test_a_visit_a_week_after_the_last_is_allowed():
    assert codes(visit(at(9)), [visit(at(2))]) == []


def test_a_meeting_at_the_office_is_not_a_home_visit():
    history = [Attempt(occurred_at=at(2), channel="office_meeting")]
    assert codes(visit(at(4)), history) == []


def test_a_visit_with_3_staff_is_allowed():
    verdict = check_attempt(visit(at(2), staff=3), history=[])
    assert verdict.ok
    assert verdict.warnings == ()


def test_a_visit_with_4_staff_breaches_visit_staff_max():
    assert codes(visit(at(2), staff=4)) == ["visit_staff_max"]


def test_a_visit_by_one_member_of_staff_is_only_a_warning():
    verdict = check_attempt(visit(at(2), staff=1), history=[])
    assert verdict.ok
    assert verdict.warning_codes == ["visit_staff_recommended"]


def test_a_visit_without_a_staff_count_is_warned_about():
    verdict = check_attempt(visit(at(2), staff=None), history=[])
    assert verdict.ok
    assert verdict.warning_codes == ["visit_staff_recommended"]


def test_a_visit_with_the_recommended_two_staff_has_no_warning():
    assert check_attempt(visit(at(2), staff=2), history=[]).warnings == ()


# --- Written contact only --------------------------------------------------------------


@pytest.mark.parametrize("channel", ["phone_call", "sms", "wechat", "home_visit"])
def test_calls_messages_and_visits_breach_written_only(channel):
    attempt = Attempt(occurred_at=at(10), channel=channel, staff_count=2)
    since = datetime.date(2026, 11, 5)
    assert codes(attempt, written_only_since=since) == ["written_only"]


@pytest.mark.parametrize("channel", [*WRITTEN_CHANNELS, "office_meeting"])
def test_written_demands_and_legal_steps_continue_under_written_only(channel):
    attempt = Attempt(occurred_at=at(10), channel=channel)
    assert codes(attempt, written_only_since=datetime.date(2026, 11, 5)) == []


def test_a_call_on_the_written_only_date_breaches():
    assert codes(call(at(5, 9)), written_only_since=datetime.date(2026, 11, 5)) == ["written_only"]


def test_a_call_before_the_written_only_date_is_allowed():
    assert codes(call(at(4, 20)), written_only_since=datetime.date(2026, 11, 5)) == []


def test_written_only_uses_the_local_date():
    # 2026-11-04 23:30 UTC is 07:30 on the 5th in Shanghai (at the owner's request).
    moment = datetime.datetime(2026, 11, 4, 23, 30, tzinfo=UTC)
    attempt = call(moment, at_owners_request=True)
    assert codes(attempt, written_only_since=datetime.date(2026, 11, 5)) == ["written_only"]


def test_a_written_only_call_at_night_breaks_both_rules():
    assert codes(call(at(10, 22)), written_only_since=datetime.date(2026, 11, 5)) == [
        "hours",
        "written_only",
    ]


# --- Unrelated third parties -----------------------------------------------------------


def test_telling_an_unrelated_person_about_the_debt_breaches_third_party_disclosure():
    attempt = call(at(2), person_contacted="unrelated", third_party_told_of_debt=True)
    assert codes(attempt) == ["third_party_disclosure"]


def test_asking_an_unrelated_person_only_to_pass_on_a_request_is_allowed():
    attempt = call(at(2), person_contacted="unrelated", outcome="talked")
    assert codes(attempt) == []


@pytest.mark.parametrize("outcome", ["promised", "refused", "disputed", "paid"])
def test_a_debt_outcome_with_an_unrelated_person_breaches_third_party_disclosure(outcome):
    attempt = call(at(2), person_contacted="unrelated", outcome=outcome)
    assert codes(attempt) == ["third_party_disclosure"]


def test_third_party_disclosure_applies_to_visits_too():
    attempt = visit(at(2), person_contacted="unrelated", third_party_told_of_debt=True)
    assert codes(attempt) == ["third_party_disclosure"]


def test_a_conversation_with_an_unrelated_person_starts_no_quiet_period():
    history = [call(at(2), person_contacted="unrelated", outcome="talked")]
    assert codes(call(at(4)), history) == []


def test_telling_an_occupant_about_the_debt_is_not_a_third_party_breach():
    attempt = call(at(2), person_contacted="occupant", third_party_told_of_debt=True)
    assert codes(attempt) == []


# --- History handling ------------------------------------------------------------------


def test_the_proposed_attempt_in_the_history_is_not_counted_twice():
    proposed = call(at(2, 15))
    assert codes(proposed, [call(at(2, 9)), proposed]) == []


def test_an_equal_but_other_attempt_in_the_history_counts():
    # Attempts are told apart by identity, not by their fields: an equal call at 15:00 is
    # another call.
    assert codes(call(at(2, 15)), [call(at(2, 9)), call(at(2, 15))]) == ["calls_per_day"]


def test_the_saved_attempt_is_left_out_by_its_key():
    history = [call(at(2, 9), key=1), call(at(2, 15), key=2)]
    assert codes(call(at(2, 15), key=2), history) == []


# --- The same minute twice (issue 11) ---------------------------------------------------


def test_a_third_call_at_the_same_minute_breaches_calls_per_day():
    history = [call(at(2, 10), key=1), call(at(2, 10), key=2)]
    assert codes(call(at(2, 10)), history) == ["calls_per_day"]


def test_a_second_message_at_the_same_minute_breaches_messages_per_day():
    assert codes(wechat(at(2, 10)), [sms(at(2, 10), key=7)]) == ["messages_per_day"]


def test_a_second_visit_at_the_same_minute_breaches_visits_per_7_days():
    assert codes(visit(at(2, 10)), [visit(at(2, 10), key=7)]) == ["visits_per_7_days"]


def test_two_unsaved_equal_calls_in_the_history_both_count():
    history = [call(at(2, 10)), call(at(2, 10))]
    assert codes(call(at(2, 10)), history) == ["calls_per_day"]


def test_a_saved_attempt_counts_only_those_saved_before_it_at_the_same_moment():
    # Three calls logged at 10:00, saved as 1, 2, 3: only the third breaks the daily limit.
    history = [call(at(2, 10), key=k) for k in (1, 2, 3)]
    assert codes(history[0], history) == []
    assert codes(call(at(2, 10), key=2), history) == []
    assert codes(call(at(2, 10), key=3), history) == ["calls_per_day"]


def test_a_conversation_at_the_same_minute_saved_first_starts_the_quiet_period():
    history = [talked(at(2, 10), key=1)]
    assert codes(call(at(2, 10)), history) == ["quiet_after_conversation"]


def test_a_back_dated_history_entry_after_the_proposed_time_is_not_counted():
    # Logging a morning call afterwards: the two afternoon calls came after it.
    history = [call(at(2, 14)), call(at(2, 16))]
    assert codes(call(at(2, 9)), history) == []


def test_history_order_does_not_matter():
    history = [call(at(2, 15)), call(at(2, 9))]
    assert codes(call(at(2, 18)), history) == codes(call(at(2, 18)), list(reversed(history)))
    assert codes(call(at(2, 18)), history) == ["calls_per_day"]


def test_breaches_are_reported_together_in_catalogue_order():
    history = [call(at(2, 9), outcome="talked"), call(at(2, 10))]
    found = codes(call(at(2, 22)), history, written_only_since=datetime.date(2026, 11, 1))
    assert found == ["hours", "calls_per_day", "quiet_after_conversation", "written_only"]
    assert found == [code for code in RULE_CODES if code in found]


def test_model_rows_can_be_passed_as_history_by_duck_typing():
    row = SimpleNamespace(
        occurred_at=at(2, 9), channel="phone_call", person_contacted="owner", outcome="talked"
    )
    assert codes(call(at(4)), [row]) == ["quiet_after_conversation"]


# --- Messages, bases and the catalogue -------------------------------------------------


def test_every_breach_has_a_message_and_a_basis():
    verdict = check_attempt(call(at(2, 22)), history=[])
    breach = verdict.breaches[0]
    assert isinstance(breach, Breach)
    assert breach.message and breach.basis
    assert isinstance(verdict, Verdict)


def test_the_hours_breach_names_the_hours_and_the_basis():
    with translation.override("en"):
        breach = make_breach("hours")
    assert "08:00" in breach.message and "21:00" in breach.message
    assert "Civil Code art. 1033" in breach.basis
    assert "22:00–08:00" in breach.basis


def test_the_messages_use_the_offices_own_limits():
    with translation.override("en"):
        breach = make_breach("calls_per_day", Rules(calls_per_day=1))
    assert "At most 1 call a day" in breach.message


def test_the_third_party_rule_cites_the_pipl():
    with translation.override("en"):
        assert "PIPL arts. 10 and 25" in make_breach("third_party_disclosure").basis


def test_the_rule_catalogue_lists_every_code_once_with_text():
    catalogue = rule_catalogue()
    assert [code for code, _message, _basis in catalogue] == list(RULE_CODES)
    assert len(set(RULE_CODES)) == len(RULE_CODES) == 13
    for _code, message, basis in catalogue:
        assert message.strip() and basis.strip()


def test_every_rule_has_its_own_message():
    messages = [message for _code, message, _basis in rule_catalogue()]
    assert len(set(messages)) == len(messages)


def test_the_rule_messages_do_not_trigger_the_note_flags():
    with translation.override("en"):
        for code, message, _basis in rule_catalogue():
            assert flagged_terms(message) == [], code


# --- Availability ----------------------------------------------------------------------


def test_contact_is_allowed_at_10_00_with_no_history():
    availability = contact_availability(at(2, 10), history=[])
    assert availability == Availability(allowed=True, reasons=(), allowed_from=None)


def test_at_22_00_contact_is_allowed_from_08_00_the_next_day():
    availability = contact_availability(at(2, 22), history=[])
    assert not availability.allowed
    assert [r.code for r in availability.reasons] == ["hours"]
    assert availability.allowed_from == at(3, 8, 0)
    assert availability.allowed_from.tzinfo == SH


def test_before_08_00_contact_is_allowed_from_08_00_the_same_day():
    availability = contact_availability(at(2, 6, 15), history=[])
    assert availability.allowed_from == at(2, 8, 0)


def test_after_two_calls_today_calls_are_allowed_from_08_00_tomorrow():
    history = [call(at(2, 9)), call(at(2, 11))]
    availability = contact_availability(at(2, 14), history=history)
    assert not availability.allowed
    assert [r.code for r in availability.reasons] == ["calls_per_day"]
    assert availability.allowed_from == at(3, 8, 0)


def test_after_two_calls_today_a_message_is_still_allowed():
    history = [call(at(2, 9)), call(at(2, 11))]
    assert contact_availability(at(2, 14), history=history, channel="sms").allowed


def test_after_a_conversation_2_days_ago_calls_are_allowed_7_days_after_it():
    history = [talked(at(2, 10, 15))]
    availability = contact_availability(at(4, 10), history=history)
    assert [r.code for r in availability.reasons] == ["quiet_after_conversation"]
    assert availability.allowed_from == at(9, 10, 15)


def test_when_the_quiet_period_ends_at_night_calls_are_allowed_from_the_next_morning():
    history = [talked(at(2, 21, 30), at_owners_request=True)]
    availability = contact_availability(at(4, 10), history=history)
    assert availability.allowed_from == at(10, 8, 0)


def test_an_agreed_call_back_time_brings_the_next_allowed_moment_forward():
    # An hour before the agreed time: the call-back's window opens.
    history = [talked(at(2, 10), callback_at=at(5, 18))]
    availability = contact_availability(at(4, 10), history=history)
    assert availability.allowed_from == at(5, 17, 0)


def test_when_the_7_day_limit_is_reached_calls_are_allowed_when_the_oldest_leaves():
    history = [call(at(day, 10, 30)) for day in range(2, 9)]  # 7 calls, 2nd … 8th
    availability = contact_availability(at(8, 15), history=history)
    assert [r.code for r in availability.reasons] == ["calls_per_7_days"]
    assert availability.allowed_from == at(9, 10, 30)


def test_a_visit_in_the_last_week_allows_the_next_visit_a_week_later():
    availability = contact_availability(at(4), history=[visit(at(2, 16))], channel="home_visit")
    assert [r.code for r in availability.reasons] == ["visits_per_7_days"]
    assert availability.allowed_from == at(9, 16)


def test_written_only_households_are_never_available_by_call_message_or_visit():
    since = datetime.date(2026, 11, 1)
    for channel in ["phone_call", "sms", "wechat", "home_visit"]:
        availability = contact_availability(
            at(2, 10), history=[], written_only_since=since, channel=channel
        )
        assert not availability.allowed
        assert availability.allowed_from is None
        assert [r.code for r in availability.reasons] == ["written_only"]


def test_written_only_households_still_get_written_demands():
    availability = contact_availability(
        at(2, 10),
        history=[],
        written_only_since=datetime.date(2026, 11, 1),
        channel="written_demand",
    )
    assert availability.allowed


def test_at_night_before_written_only_begins_tomorrow_there_is_no_next_call():
    availability = contact_availability(
        at(2, 22), history=[], written_only_since=datetime.date(2026, 11, 3)
    )
    assert not availability.allowed
    assert [r.code for r in availability.reasons] == ["hours"]
    assert availability.allowed_from is None


def test_availability_with_now_given_in_utc_answers_in_local_time():
    now = datetime.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    availability = contact_availability(now, history=[])
    assert availability.allowed_from == at(3, 8, 0)
    assert availability.allowed_from.utcoffset() == datetime.timedelta(hours=8)


def test_availability_uses_the_offices_hours():
    rules = Rules(allowed_from=datetime.time(9, 30))
    availability = contact_availability(at(2, 22), history=[], rules=rules)
    assert availability.allowed_from == at(3, 9, 30)


def test_availability_gives_up_after_14_days_when_calls_are_never_allowed():
    availability = contact_availability(at(2), history=[], rules=Rules(calls_per_day=0))
    assert not availability.allowed
    assert availability.allowed_from is None


def test_the_next_allowed_moment_itself_passes_the_check():
    history = [talked(at(2, 10), callback_at=at(6, 9)), call(at(6, 9)), call(at(6, 10))]
    availability = contact_availability(at(6, 11), history=history)
    assert availability.allowed_from is not None
    later = call(availability.allowed_from)
    assert check_attempt(later, history=history).ok
    assert availability.allowed_from == at(9, 10)


# --- Exemptions on the record (issue 11) ------------------------------------------------


def exemptions(attempt, history=(), **kw):
    return check_attempt(attempt, history=list(history), **kw).exemption_codes


def test_a_call_within_the_hours_at_the_owners_request_needs_no_exemption():
    verdict = check_attempt(call(at(2, 10), at_owners_request=True), history=[])
    assert verdict.ok and verdict.exemptions == ()


@pytest.mark.parametrize(
    ("hour", "minute", "breaches"),
    [
        (6, 59, ["hours"]),
        (7, 0, []),
        (7, 59, []),
        (21, 0, []),
        (21, 59, []),
        (22, 0, ["hours"]),
        (23, 30, ["hours"]),
        (23, 55, ["hours"]),
        (2, 0, ["hours"]),
    ],
)
def test_a_time_the_owner_asked_for_moves_a_call_within_07_00_to_22_00_only(hour, minute, breaches):
    attempt = call(at(2, hour, minute), at_owners_request=True)
    assert codes(attempt) == breaches
    assert exemptions(attempt) == ([] if breaches else ["owners_requested_time"])


def test_an_sms_at_02_00_at_the_owners_request_breaches_the_hours():
    assert codes(sms(at(2, 2), at_owners_request=True)) == ["hours"]


def test_a_3_person_visit_at_03_00_at_the_owners_request_breaches_the_hours():
    verdict = check_attempt(visit(at(2, 3), staff=3, at_owners_request=True), history=[])
    assert verdict.breach_codes == ["hours"]
    assert verdict.exemptions == ()


def test_the_owners_request_is_bounded_even_under_a_stricter_office_window():
    rules = Rules(allowed_from=datetime.time(9, 0), allowed_until=datetime.time(20, 0))
    assert codes(call(at(2, 7, 30), at_owners_request=True), rules=rules) == []
    assert exemptions(call(at(2, 7, 30), at_owners_request=True), rules=rules) == [
        "owners_requested_time"
    ]
    assert codes(call(at(2, 6, 59), at_owners_request=True), rules=rules) == ["hours"]


def test_the_owners_request_never_exceeds_the_daily_counts():
    history = [call(at(2, 9), key=1), call(at(2, 10), key=2)]
    attempt = call(at(2, 21, 30), at_owners_request=True)
    assert codes(attempt, history) == ["calls_per_day"]
    assert exemptions(attempt, history) == ["owners_requested_time"]


def test_two_late_calls_at_the_owners_request_are_both_on_the_record():
    late = call(at(2, 21, 30), at_owners_request=True, key=1)
    assert exemptions(late) == ["owners_requested_time"]
    later = call(at(2, 21, 45), at_owners_request=True)
    assert exemptions(later, [late]) == ["owners_requested_time"]


@pytest.mark.parametrize(
    ("minutes", "breaches"),
    [
        (-61, ["quiet_after_conversation"]),
        (-60, []),
        (-59, []),
        (0, []),
        (59, []),
        (60, []),
        (61, ["quiet_after_conversation"]),
    ],
)
def test_an_agreed_call_back_exempts_within_an_hour_of_the_agreed_time(minutes, breaches):
    conversation = talked(at(2, 10), callback_at=at(4, 15))
    attempt = call(at(4, 15) + datetime.timedelta(minutes=minutes))
    verdict = check_attempt(attempt, history=[conversation])
    assert verdict.breach_codes == breaches
    assert verdict.exemption_codes == ([] if breaches else ["agreed_callback"])


def test_a_call_back_outside_the_quiet_period_needs_no_exemption():
    conversation = talked(at(2, 10), callback_at=at(9, 15))
    assert exemptions(call(at(9, 15)), [conversation]) == []


def test_a_call_back_does_not_lift_the_daily_count():
    history = [talked(at(2, 10), callback_at=at(4, 15), key=1), call(at(4, 9), key=2)]
    history.append(call(at(4, 10), key=3))
    assert codes(call(at(4, 15)), history) == [
        "calls_per_day",
    ]


def test_every_exemption_names_the_rule_it_set_aside():
    from households.contact_policy import EXEMPTION_CODES, make_exemption

    for code in EXEMPTION_CODES:
        exemption = make_exemption(code)
        assert exemption.rule in RULE_CODES
        assert exemption.message


# --- Hours for every channel that reaches the owner (issue 11) -----------------------


def meeting(when, **kw):
    return Attempt(occurred_at=when, channel="office_meeting", **kw)


def test_a_meeting_at_the_office_at_22_00_breaches_the_hours():
    assert codes(meeting(at(2, 22))) == ["hours"]


def test_a_meeting_at_the_office_at_20_59_is_allowed():
    assert codes(meeting(at(2, 20, 59))) == []


def test_an_owner_who_walked_in_at_22_00_is_exempt_and_on_the_record():
    verdict = check_attempt(meeting(at(2, 22), owner_walked_in=True), history=[])
    assert verdict.breach_codes == []
    assert verdict.exemption_codes == ["owner_walked_in"]


def test_an_owner_who_walked_in_within_the_hours_needs_no_exemption():
    assert exemptions(meeting(at(2, 10), owner_walked_in=True)) == []


def test_walked_in_exempts_only_office_meetings():
    assert codes(call(at(2, 22), owner_walked_in=True)) == ["hours"]


@pytest.mark.parametrize(
    "channel", ["payment_notice", "written_demand", "committee_urging", "lawyer_letter"]
)
def test_a_paper_handed_over_in_person_at_night_breaches_the_hours(channel):
    attempt = Attempt(
        occurred_at=at(2, 22, 30), channel=channel, outcome="delivered", delivered_in_person=True
    )
    assert codes(attempt) == ["hours"]
    assert (
        codes(Attempt(occurred_at=at(2, 20, 30), channel=channel, delivered_in_person=True)) == []
    )


@pytest.mark.parametrize("channel", ["mediation", "payment_order", "lawsuit", "arbitration"])
def test_proceedings_are_not_hand_deliveries(channel):
    attempt = Attempt(occurred_at=at(2, 23), channel=channel, delivered_in_person=True)
    assert codes(attempt) == []


def test_a_meeting_at_the_office_is_not_refused_under_written_only():
    assert codes(meeting(at(10)), written_only_since=datetime.date(2026, 11, 5)) == []
