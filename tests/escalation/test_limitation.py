"""Unit tests for the limitation clock (DESIGN.md §5.4; Civil Code arts. 188, 195). No database."""

import datetime

import pytest

from escalation.limitation import (
    ACKNOWLEDGEMENT,
    DEMAND_DELIVERED,
    EXPIRED,
    INTERRUPTING,
    LEGAL_FILING,
    NEAR,
    OK,
    PART_PAYMENT,
    PAYMENT_PLAN,
    PROMISE,
    Event,
    add_years,
    clock,
    limits,
    state_on,
)

D = datetime.date
DUE = D(2023, 11, 1)
LIMIT = D(2026, 11, 1)


# --- no events ---------------------------------------------------------------------------------


def test_no_events_limit_is_three_years_after_due_date():
    c = clock(DUE, [])
    assert c.due == DUE
    assert c.limit == LIMIT
    assert c.interrupted_by is None


def test_state_ok_91_days_before_limit():
    assert clock(DUE, []).state(LIMIT - datetime.timedelta(days=91)) == OK


def test_state_near_exactly_90_days_before_limit():
    assert clock(DUE, []).state(LIMIT - datetime.timedelta(days=90)) == NEAR


def test_state_near_on_limit_day_itself_not_expired():
    assert clock(DUE, []).state(LIMIT) == NEAR


def test_state_expired_day_after_limit():
    assert clock(DUE, []).state(D(2026, 11, 2)) == EXPIRED


def test_state_ok_on_due_date():
    assert clock(DUE, []).state(DUE) == OK


# --- interrupting kinds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [DEMAND_DELIVERED, ACKNOWLEDGEMENT, PROMISE, PART_PAYMENT, PAYMENT_PLAN, LEGAL_FILING],
)
def test_each_interrupting_kind_restarts_full_three_years_from_its_date(kind):
    event = Event(D(2025, 3, 15), kind)
    c = clock(DUE, [event])
    assert c.limit == D(2028, 3, 15)
    assert c.interrupted_by == event


def test_kind_constants_have_the_documented_names():
    assert {
        DEMAND_DELIVERED,
        ACKNOWLEDGEMENT,
        PROMISE,
        PART_PAYMENT,
        PAYMENT_PLAN,
        LEGAL_FILING,
    } == {
        "demand_delivered",
        "acknowledgement",
        "promise",
        "part_payment",
        "payment_plan",
        "legal_filing",
    }


def test_demand_sent_is_not_an_event_and_raises_value_error():
    with pytest.raises(ValueError, match="demand_sent"):
        Event(D(2025, 3, 15), "demand_sent")


def test_unknown_kind_raises_value_error():
    with pytest.raises(ValueError):
        Event(D(2025, 3, 15), "phone_call")


def test_undelivered_demand_recorded_as_nothing_leaves_limit_unchanged():
    assert clock(DUE, []).limit == LIMIT


# --- event relative to the due date ------------------------------------------------------------


def test_event_before_due_date_does_nothing():
    c = clock(DUE, [Event(D(2023, 10, 31), ACKNOWLEDGEMENT)])
    assert c.limit == LIMIT
    assert c.interrupted_by is None


def test_event_on_due_date_restarts_from_that_day():
    event = Event(DUE, PROMISE)
    c = clock(DUE, [event])
    assert c.limit == LIMIT
    assert c.interrupted_by == event


# --- event relative to the limit ---------------------------------------------------------------


def test_interruption_on_limit_day_still_interrupts():
    event = Event(LIMIT, DEMAND_DELIVERED)
    c = clock(DUE, [event])
    assert c.limit == D(2029, 11, 1)
    assert c.interrupted_by == event


def test_interruption_day_after_limit_does_not_revive_debt():
    c = clock(DUE, [Event(D(2026, 11, 2), PART_PAYMENT)])
    assert c.limit == LIMIT
    assert c.interrupted_by is None
    assert c.state(D(2026, 11, 2)) == EXPIRED


def test_interruption_after_extended_limit_keeps_previous_event():
    first = Event(D(2025, 1, 10), ACKNOWLEDGEMENT)
    late = Event(D(2028, 1, 11), PART_PAYMENT)  # one day after the extended limit
    c = clock(DUE, [first, late])
    assert c.limit == D(2028, 1, 10)
    assert c.interrupted_by == first


# --- several events ----------------------------------------------------------------------------


def test_last_event_within_running_period_counts():
    first = Event(D(2024, 5, 1), DEMAND_DELIVERED)
    second = Event(D(2025, 8, 20), PROMISE)
    c = clock(DUE, [first, second])
    assert c.limit == D(2028, 8, 20)
    assert c.interrupted_by == second


def test_events_out_of_order_give_same_result():
    first = Event(D(2024, 5, 1), DEMAND_DELIVERED)
    second = Event(D(2025, 8, 20), PROMISE)
    assert clock(DUE, [second, first]) == clock(DUE, [first, second])
    assert clock(DUE, [second, first]).interrupted_by == second


def test_out_of_order_event_beyond_original_limit_counts_when_chain_reaches_it():
    early = Event(D(2026, 5, 1), ACKNOWLEDGEMENT)  # limit -> 2029-05-01
    later = Event(D(2028, 6, 1), LEGAL_FILING)  # past 2026-11-01, within 2029-05-01
    c = clock(DUE, [later, early])
    assert c.limit == D(2031, 6, 1)
    assert c.interrupted_by == later


def test_chain_of_events_each_two_and_a_half_years_apart_keeps_debt_alive():
    due = D(2020, 1, 1)
    first = Event(D(2022, 7, 1), DEMAND_DELIVERED)  # 2.5 years after due -> limit 2025-07-01
    second = Event(D(2025, 1, 1), PAYMENT_PLAN)  # 2.5 years after that -> limit 2028-01-01
    c = clock(due, [first, second])
    assert c.limit == D(2028, 1, 1)
    assert c.interrupted_by == second
    assert c.state(D(2027, 1, 1)) == OK


def test_without_the_chain_the_same_debt_would_be_expired():
    c = clock(D(2020, 1, 1), [Event(D(2025, 1, 1), PAYMENT_PLAN)])
    assert c.limit == D(2023, 1, 1)
    assert c.interrupted_by is None
    assert c.state(D(2027, 1, 1)) == EXPIRED


def test_events_accepts_any_iterable_such_as_a_generator():
    events = (Event(d, PROMISE) for d in [D(2025, 1, 1), D(2024, 1, 1)])
    assert clock(DUE, events).limit == D(2028, 1, 1)


# --- leap days ---------------------------------------------------------------------------------


def test_due_on_leap_day_limit_is_28_february():
    assert clock(D(2024, 2, 29), []).limit == D(2027, 2, 28)


def test_event_on_leap_day_limit_is_28_february():
    due = D(2026, 2, 1)
    event = Event(D(2028, 2, 29), ACKNOWLEDGEMENT)
    c = clock(due, [event])
    assert c.limit == D(2031, 2, 28)
    assert c.interrupted_by == event


def test_add_years_leap_day_to_leap_year_keeps_29_february():
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)


def test_add_years_leap_day_to_common_year_becomes_28_february():
    assert add_years(D(2024, 2, 29), 3) == D(2027, 2, 28)


def test_add_years_ordinary_day_keeps_calendar_day():
    assert add_years(D(2023, 11, 1), 3) == D(2026, 11, 1)


# --- days_left ---------------------------------------------------------------------------------


def test_days_left_counts_days_to_limit():
    assert clock(DUE, []).days_left(D(2026, 10, 1)) == 31


def test_days_left_zero_on_limit_day():
    assert clock(DUE, []).days_left(LIMIT) == 0


def test_days_left_negative_after_limit():
    assert clock(DUE, []).days_left(D(2026, 11, 4)) == -3


def test_days_left_follows_interrupted_limit():
    c = clock(DUE, [Event(D(2025, 3, 15), PART_PAYMENT)])
    assert c.days_left(D(2028, 3, 5)) == 10


# --- limits: every month of a household in one pass, the same dates as clock -------------------

EDGE_DUES = [
    D(2020, 1, 1), D(2020, 2, 1), D(2020, 2, 29), D(2020, 3, 1), D(2021, 2, 28),
    D(2021, 3, 1), D(2022, 12, 1), D(2023, 1, 1), D(2023, 11, 1), D(2024, 2, 29),
]  # fmt: skip
EDGE_EVENTS = [
    [],
    [Event(D(2019, 12, 31), DEMAND_DELIVERED)],  # before every due date: nothing
    [Event(D(2020, 1, 1), PROMISE)],  # on the first due date
    [Event(D(2023, 1, 1), PART_PAYMENT)],  # the first month's last day
    [Event(D(2023, 1, 2), PART_PAYMENT)],  # a day late for it, in time for later months
    [Event(D(2023, 1, 1), PART_PAYMENT), Event(D(2026, 1, 1), ACKNOWLEDGEMENT)],  # a chain
    [Event(D(2023, 1, 1), PART_PAYMENT), Event(D(2026, 1, 2), ACKNOWLEDGEMENT)],  # one day out
    [Event(D(2023, 3, 1), PAYMENT_PLAN), Event(D(2023, 3, 1), PROMISE)],  # the same day twice
    [Event(D(2024, 2, 29), LEGAL_FILING), Event(D(2027, 2, 28), DEMAND_DELIVERED)],
    [Event(D(2024, 2, 29), LEGAL_FILING), Event(D(2027, 3, 1), DEMAND_DELIVERED)],
    [Event(D(2026, 1, 1), PROMISE), Event(D(2021, 6, 1), PROMISE), Event(D(2024, 5, 1), PROMISE)],
]


@pytest.mark.parametrize("events", EDGE_EVENTS)
def test_limits_give_every_month_the_date_its_own_clock_gives(events):
    assert limits(EDGE_DUES, events) == [clock(due, events).limit for due in EDGE_DUES]


def test_limits_agree_with_clock_on_random_households():
    import random

    rng = random.Random(15)
    kinds = sorted(INTERRUPTING)
    start = D(2010, 1, 1)
    for _ in range(300):
        dues = sorted({D(2010 + rng.randrange(12), rng.randrange(1, 13), 1) for _ in range(12)})
        events = [
            Event(start + datetime.timedelta(days=rng.randrange(365 * 18)), rng.choice(kinds))
            for _ in range(rng.randrange(6))
        ]
        assert limits(dues, events) == [clock(due, events).limit for due in dues]


@pytest.mark.parametrize(
    ("today", "state"),
    [(LIMIT + datetime.timedelta(days=1), EXPIRED), (LIMIT, NEAR),
     (LIMIT - datetime.timedelta(days=90), NEAR), (LIMIT - datetime.timedelta(days=91), OK)],
)  # fmt: skip
def test_state_on_a_bare_date_is_the_clocks_state(today, state):
    assert state_on(LIMIT, today) == clock(DUE, []).state(today) == state
