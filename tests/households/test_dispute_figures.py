"""What open disputes say about the service (issue 17.3): ages, causes, the amount held up."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from arrears.models import DebtPeriod
from households.dispute_figures import (
    AGE_KEYS,
    age_bounds,
    age_key,
    dispute_figures,
    open_disputes,
)
from households.disputes import dispute_answer_delivered, dispute_record, dispute_work_done
from households.models import Dispute
from tests.conftest import record_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def days_ago(days, **kw):
    return NOW - datetime.timedelta(days=days, **kw)


def months(house, *numbers):
    """The house's periods of 2015 with these month numbers."""
    return list(
        DebtPeriod.objects.filter(
            household=house, month__in=[datetime.date(2015, n, 1) for n in numbers]
        )
    )


def record(world, case, when, **kw):
    fields = {"words": "业主原话", "source": "call", "by": world.collector_a, "now": when}
    fields.update(kw)
    return dispute_record(case=case, **fields)


@pytest.mark.parametrize(
    ("days", "key"),
    [
        (0, "under_7"),
        (6, "under_7"),
        (7, "7_14"),
        (14, "7_14"),
        (15, "15_30"),
        (30, "15_30"),
        (31, "over_30"),
        (400, "over_30"),
    ],
)
def test_ages_are_whole_local_days(days, key):
    assert age_key(days) == key


@pytest.fixture
def disputed(world):
    """case_a: a leak (the whole debt, ¥1,700) 40 days old; case_b: two months (¥200) 10 days
    old and an amount of ¥150 today; the other office's case: a cleaning complaint."""
    leak = record(world, world.case_a, days_ago(40), kind="service", cause="leak_unrepaired")
    two = record(
        world, world.case_b, days_ago(10), kind="months", months=months(world.house_b, 1, 2)
    )
    paid = record(world, world.case_b, days_ago(0, hours=1), kind="amount", amount=Decimal("150"))
    other = record(
        world, world.other_case, days_ago(3), kind="service", cause="cleaning",
        by=world.other_collector,
    )  # fmt: skip
    return leak, two, paid, other


def test_the_figures_per_office_by_age_cause_and_amount(world, disputed):
    figures = dispute_figures(Dispute.objects.all(), offices=[world.office], at=NOW)
    (office,) = figures.offices
    assert office.open == 3  # the other office's dispute is not this office's
    assert {k: office.ages[k].count for k in AGE_KEYS} == {
        "under_7": 1,
        "7_14": 1,
        "15_30": 0,
        "over_30": 1,
    }
    assert office.ages["over_30"].held == Decimal("1700.00")
    assert office.causes["leak_unrepaired"].count == 1
    assert office.causes["months"].held == Decimal("200.00")
    assert office.causes["amount"].held == Decimal("150.00")
    # case_a's whole debt, and case_b's two months and the ¥150 it says it paid.
    assert office.held == Decimal("2050.00")
    # The leak's work order was due 33 days ago and the answer is not delivered.
    assert office.orders_overdue == 1
    assert figures.total.held == office.held
    assert figures.causes_seen == ["leak_unrepaired", "months", "amount"]


def test_the_region_is_the_sum_of_its_offices(world, disputed):
    figures = dispute_figures(
        Dispute.objects.all(), offices=[world.office, world.other_office], at=NOW
    )
    assert [o.open for o in figures.offices] == [3, 1]
    assert figures.total.open == 4
    assert figures.total.causes["cleaning"].count == 1
    assert figures.total.held == Decimal("3750.00")  # ¥2,050 + the other case's ¥1,700


def test_an_office_without_disputes_has_a_row_of_zeros(world):
    figures = dispute_figures(Dispute.objects.all(), offices=[world.office], at=NOW)
    assert figures.offices[0].open == 0 and figures.offices[0].held == 0
    assert figures.rows == [] and figures.causes_seen == []


def test_a_month_named_by_two_disputes_is_held_once_in_the_total(world):
    record(world, world.case_b, days_ago(2), kind="months", months=months(world.house_b, 1, 2))
    record(world, world.case_b, days_ago(1), kind="months", months=months(world.house_b, 2, 3))
    figures = dispute_figures(Dispute.objects.all(), offices=[world.office], at=NOW)
    assert figures.offices[0].causes["months"].held == Decimal("400.00")  # each its own
    assert figures.offices[0].held == Decimal("300.00")  # January, February, March once


def test_what_was_paid_of_a_month_is_not_held_up(world):
    oldest = list(DebtPeriod.objects.filter(household=world.house_b).order_by("month")[:2])
    record(world, world.case_b, days_ago(2), kind="months", months=oldest)
    record_payment(world.house_b, "40.00", world.collector_b)  # to the oldest month
    (row,) = open_disputes(Dispute.objects.all(), at=NOW)
    assert row.held == Decimal("160.00")


def test_an_amount_dispute_never_holds_more_than_the_case_owes(world):
    record(world, world.case_b, days_ago(1), kind="amount", amount=Decimal("5000"))
    (row,) = open_disputes(Dispute.objects.all(), at=NOW)
    assert row.held == Decimal("1700.00") and row.whole_debt


def test_open_until_the_written_answer_is_delivered(world):
    recorded = days_ago(5)
    dispute = record(world, world.case_b, recorded, kind="months", months=months(world.house_b, 1))
    answered = days_ago(1)
    dispute_answer_delivered(dispute=dispute, by=world.manager, at=answered)
    qs = Dispute.objects.all()
    assert open_disputes(qs, at=recorded - datetime.timedelta(seconds=1)) == []
    assert len(open_disputes(qs, at=recorded)) == 1
    assert len(open_disputes(qs, at=answered - datetime.timedelta(seconds=1))) == 1
    assert open_disputes(qs, at=answered) == []


def test_a_work_order_is_overdue_from_the_day_after_its_due_date(world):
    record(world, world.case_a, days_ago(7), kind="service", cause="security")
    (row,) = open_disputes(Dispute.objects.all(), at=NOW)
    assert row.work_order.due_date == NOW.date() and not row.overdue  # due today
    (row,) = open_disputes(Dispute.objects.all(), at=NOW + datetime.timedelta(days=1))
    assert row.overdue and row.overdue_days == 1


def test_a_work_order_the_department_reported_done_is_not_overdue(world):
    dispute = record(world, world.case_a, days_ago(9), kind="service", cause="security")
    dispute_work_done(dispute=dispute, by=world.manager, at=days_ago(1), note="门禁已修好")
    (row,) = open_disputes(Dispute.objects.all(), at=NOW)
    assert not row.overdue and row.overdue_days == 0
    # Before the department reported it, it was overdue (the report is not back-dated).
    (row,) = open_disputes(Dispute.objects.all(), at=days_ago(1, minutes=1))
    assert row.overdue and row.overdue_days == 1
    figures = dispute_figures(Dispute.objects.all(), offices=[world.office], at=NOW)
    assert figures.total.orders_overdue == 0


@pytest.mark.parametrize("key", AGE_KEYS)
def test_the_lists_age_filter_picks_the_buckets_disputes(world, key):
    for days in (0, 6, 7, 14, 15, 30, 31, 45):
        # 00:30 and 23:30 local on each day: the day counts, not the hours
        for hour in (0.5, 23.5):
            day = (NOW - datetime.timedelta(days=days)).date()
            when = datetime.datetime.combine(day, datetime.time(0), tzinfo=SHANGHAI)
            when += datetime.timedelta(hours=hour)
            if when <= NOW:
                record(world, world.case_b, when, kind="amount", amount=Decimal("1"))
    every = open_disputes(Dispute.objects.all(), at=NOW)
    expected = {r.dispute.pk for r in every if r.age == key}
    assert expected
    picked = Dispute.objects.filter(age_bounds(key, NOW)).values_list("pk", flat=True)
    assert set(picked) == expected
