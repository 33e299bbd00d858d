"""The lawful ladder, when the legal stage may open, and which route to suggest
(DESIGN.md §5.4). Plain functions of facts: no database."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from escalation.ladder import (
    ALREADY_OPEN,
    ARBITRATION,
    COMMITTEE_OR_LAWYER,
    DEADLINE_NOT_PASSED,
    DEMAND,
    LAWSUIT,
    LEGAL,
    MEDIATION,
    NO_DEMAND,
    NOTHING_OWED,
    NOTICE,
    PAYMENT_ORDER,
    REMINDER,
    RUNGS,
    DeliveredDemand,
    Facts,
    ladder,
    ladder_position,
    legal_stage_refusal,
    route_refusal,
    suggest_route,
)

D = datetime.date
TODAY = D(2026, 3, 16)
ONE_DAY = datetime.timedelta(days=1)


def facts(*channels, **kw):
    return Facts(channels=frozenset(channels), **kw)


# --- ladder_position: each rung ----------------------------------------------------------------


def test_no_contact_at_all_is_on_no_rung():
    assert ladder_position(Facts()) is None


@pytest.mark.parametrize("channel", ["phone_call", "sms", "wechat", "home_visit", "office_meeting"])
def test_calls_messages_visits_and_meetings_are_reminders(channel):
    assert ladder_position(facts(channel)) == REMINDER


def test_a_notice_sent_is_the_written_notice_rung():
    assert ladder_position(facts(notice_sent=True)) == NOTICE


def test_a_payment_notice_logged_as_an_attempt_is_the_written_notice_rung():
    assert ladder_position(facts("payment_notice")) == NOTICE


def test_a_delivered_demand_is_the_demand_rung():
    assert ladder_position(facts(demand_delivered=True)) == DEMAND


@pytest.mark.parametrize("channel", ["committee_urging", "lawyer_letter"])
def test_the_owners_committee_or_a_lawyers_letter(channel):
    assert ladder_position(facts(channel)) == COMMITTEE_OR_LAWYER


def test_mediation_is_its_own_rung():
    assert ladder_position(facts("mediation")) == MEDIATION


@pytest.mark.parametrize("channel", ["payment_order", "lawsuit", "arbitration"])
def test_a_filing_logged_as_an_attempt_is_not_the_legal_rung(channel):
    # The contact form records a claim, not a filing: the legal rung comes from the legal
    # stage alone. Alone it is no rung at all; beside a reminder it stays a reminder.
    assert ladder_position(facts(channel)) is None
    assert ladder_position(facts(channel, "phone_call")) == REMINDER
    assert ladder_position(facts(channel, demand_delivered=True)) == DEMAND
    assert not {r.code: r.reached for r in ladder(facts(channel, "mediation"))}[LEGAL]


def test_an_open_legal_action_is_the_legal_rung_without_any_attempt():
    assert ladder_position(facts(legal_stage=True)) == LEGAL


# --- ladder_position: combinations, the highest rung wins ---------------------------------------


def test_calls_after_a_delivered_demand_do_not_lower_the_rung():
    assert ladder_position(facts("phone_call", "sms", demand_delivered=True)) == DEMAND


def test_a_notice_with_calls_is_the_notice_rung():
    assert ladder_position(facts("phone_call", notice_sent=True)) == NOTICE


def test_mediation_outranks_a_lawyers_letter_and_a_demand():
    f = facts("lawyer_letter", "mediation", "phone_call", notice_sent=True, demand_delivered=True)
    assert ladder_position(f) == MEDIATION


def test_a_legal_action_outranks_everything():
    f = facts(
        "mediation", "committee_urging", "home_visit", demand_delivered=True, legal_stage=True
    )
    assert ladder_position(f) == LEGAL


def test_a_sent_demand_that_was_not_delivered_is_only_the_notice_rung():
    assert ladder_position(facts(notice_sent=True, demand_delivered=False)) == NOTICE


def test_a_written_demand_logged_as_an_attempt_is_the_notice_rung():
    # Logged on the contact form, or sent and then returned: written contact was made, but
    # no deadline is proven, so it is not the demand rung.
    assert ladder_position(facts("written_demand")) == NOTICE
    assert ladder_position(facts("written_demand", "phone_call")) == NOTICE


# --- ladder: the rungs with reached and current ---------------------------------------------


def test_the_ladder_lists_every_rung_in_order():
    assert [r.code for r in ladder(Facts())] == [code for code, _label in RUNGS]
    assert [r.code for r in ladder(Facts())] == [
        REMINDER,
        NOTICE,
        DEMAND,
        COMMITTEE_OR_LAWYER,
        MEDIATION,
        LEGAL,
    ]


def test_before_any_contact_no_rung_is_reached_or_current():
    rungs = ladder(Facts())
    assert not any(r.reached for r in rungs)
    assert not any(r.current for r in rungs)


def test_at_the_demand_every_rung_below_is_reached_and_only_the_demand_is_current():
    rungs = {r.code: r for r in ladder(facts("phone_call", demand_delivered=True))}
    assert [c for c, r in rungs.items() if r.reached] == [REMINDER, NOTICE, DEMAND]
    assert [c for c, r in rungs.items() if r.current] == [DEMAND]


def test_at_the_legal_stage_every_rung_is_reached():
    rungs = ladder(facts(legal_stage=True))
    assert all(r.reached for r in rungs)
    assert [r.code for r in rungs if r.current] == [LEGAL]


def test_a_skipped_rung_still_counts_as_reached_below_the_current_one():
    # A lawyer's letter straight after calls: the notice and the demand rungs are behind it.
    rungs = {r.code: r.reached for r in ladder(facts("phone_call", "lawyer_letter"))}
    assert rungs == {
        REMINDER: True,
        NOTICE: True,
        DEMAND: True,
        COMMITTEE_OR_LAWYER: True,
        MEDIATION: False,
        LEGAL: False,
    }


# --- legal_stage_refusal ---------------------------------------------------------------------


def demand(delivered_days_ago: int, deadline_in_days: int) -> DeliveredDemand:
    return DeliveredDemand(
        delivered_on=TODAY - datetime.timedelta(days=delivered_days_ago),
        deadline=TODAY + datetime.timedelta(days=deadline_in_days),
    )


def test_without_a_delivered_demand_the_legal_stage_is_refused():
    refusal = legal_stage_refusal([], today=TODAY, balance=Decimal("100.00"))
    assert refusal.code == NO_DEMAND
    assert "15" in refusal.message  # says how long a demand must give


def test_on_the_deadline_itself_it_is_still_refused_the_owner_may_pay_that_day():
    refusal = legal_stage_refusal([demand(15, 0)], today=TODAY, balance=Decimal("100.00"))
    assert refusal.code == DEADLINE_NOT_PASSED


def test_the_refusal_names_the_delivery_the_deadline_and_the_day_it_opens():
    refusal = legal_stage_refusal([demand(10, 5)], today=TODAY)
    assert "2026-03-06" in refusal.message  # delivered
    assert "2026-03-21" in refusal.message  # the deadline
    assert "2026-03-22" in refusal.message  # the legal stage opens the day after


def test_the_day_after_the_deadline_the_legal_stage_may_open():
    assert legal_stage_refusal([demand(16, -1)], today=TODAY, balance=Decimal("100.00")) is None


def test_with_several_demands_the_earliest_deadline_decides():
    later, passed = demand(3, 12), demand(30, -1)
    assert legal_stage_refusal([later, passed], today=TODAY) is None


def test_with_several_demands_none_passed_the_earliest_deadline_is_named():
    first, second = demand(5, 10), demand(2, 13)
    refusal = legal_stage_refusal([second, first], today=TODAY)
    assert refusal.code == DEADLINE_NOT_PASSED
    assert "2026-03-27" in refusal.message  # the day after the first demand's deadline
    assert "2026-03-30" not in refusal.message


def test_an_open_legal_stage_is_not_opened_twice():
    refusal = legal_stage_refusal([demand(30, -1)], today=TODAY, already_open=True)
    assert refusal.code == ALREADY_OPEN


def test_already_open_is_said_before_anything_else():
    refusal = legal_stage_refusal([], today=TODAY, already_open=True, balance=Decimal("0"))
    assert refusal.code == ALREADY_OPEN


@pytest.mark.parametrize("balance", ["0.00", "-50.00"])
def test_nothing_owed_refuses_even_with_a_passed_deadline(balance):
    refusal = legal_stage_refusal([demand(30, -1)], today=TODAY, balance=Decimal(balance))
    assert refusal.code == NOTHING_OWED


def test_without_a_balance_given_only_the_demand_is_checked():
    assert legal_stage_refusal([demand(30, -1)], today=TODAY) is None


# --- suggest_route and route_refusal -----------------------------------------------------------


@pytest.mark.parametrize(
    ("disputed", "serviceable", "clause", "route"),
    [
        (False, True, False, PAYMENT_ORDER),
        (True, True, False, LAWSUIT),
        (False, False, False, LAWSUIT),
        (True, False, False, LAWSUIT),
        (False, True, True, ARBITRATION),
        (True, True, True, ARBITRATION),
        (False, False, True, ARBITRATION),
        (True, False, True, ARBITRATION),
    ],
)
def test_suggested_route_for_every_combination(disputed, serviceable, clause, route):
    suggestion = suggest_route(
        disputed=disputed, serviceable=serviceable, arbitration_clause=clause
    )
    assert suggestion.route == route
    assert suggestion.reasons and all(isinstance(r, str) and r for r in suggestion.reasons)


def test_a_suggested_suit_offers_mediation():
    suggestion = suggest_route(disputed=True, serviceable=False, arbitration_clause=False)
    assert "调解" in suggestion.reasons[-1]
    # No clause, disputed, not serviceable: one reason each, then the conclusion.
    assert len(suggestion.reasons) == 4


def test_a_disputed_but_serviceable_owner_gets_one_reason_against_a_payment_order():
    suggestion = suggest_route(disputed=True, serviceable=True, arbitration_clause=False)
    assert suggestion.route == LAWSUIT and len(suggestion.reasons) == 3


@pytest.mark.parametrize(("disputed", "serviceable"), [(False, True), (True, False)])
def test_a_case_not_yet_classified_gets_a_suit_and_says_why(disputed, serviceable):
    with translation.override("en"):
        suggestion = suggest_route(
            disputed=disputed, serviceable=serviceable, arbitration_clause=False, classified=False
        )
    assert suggestion.route == LAWSUIT
    assert any("not yet classified" in r for r in suggestion.reasons)
    assert "调解" in suggestion.reasons[-1]


def test_a_clause_still_means_arbitration_for_a_case_not_yet_classified():
    suggestion = suggest_route(
        disputed=False, serviceable=True, arbitration_clause=True, classified=False
    )
    assert suggestion.route == ARBITRATION


def test_arbitration_is_refused_without_a_clause():
    assert route_refusal(ARBITRATION, arbitration_clause=False)


def test_arbitration_is_allowed_with_a_clause():
    assert route_refusal(ARBITRATION, arbitration_clause=True) is None


@pytest.mark.parametrize("route", [PAYMENT_ORDER, LAWSUIT])
def test_a_payment_order_or_a_suit_is_never_refused_for_want_of_a_clause(route):
    assert route_refusal(route, arbitration_clause=False) is None


def test_with_a_clause_a_suit_is_refused_but_a_payment_order_is_not():
    assert route_refusal(LAWSUIT, arbitration_clause=True)
    assert route_refusal(PAYMENT_ORDER, arbitration_clause=True) is None
