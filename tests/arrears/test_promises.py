import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from arrears.models import Case
from arrears.payments import payment_reverse
from arrears.promises import BROKEN, KEPT, PENDING, promise_state, with_promise_state
from tests.conftest import make_promise, record_payment

TODAY = datetime.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("paid", "due", "state"),
    [
        ("500.00", TODAY, KEPT),
        ("600.00", TODAY - datetime.timedelta(days=3), KEPT),
        ("499.99", TODAY, PENDING),  # the promised day is not over
        ("0.00", TODAY - datetime.timedelta(days=1), BROKEN),
        ("499.99", TODAY - datetime.timedelta(days=1), BROKEN),
    ],
)
def test_promise_state(paid, due, state):
    assert promise_state(amount=D("500.00"), due_date=due, paid_since=D(paid), today=TODAY) == state


def promise(world, amount, due_in_days, recorded_days_ago=1):
    now = timezone.now()
    return make_promise(
        case=world.case_a,
        amount=D(amount),
        due_date=timezone.localdate() + datetime.timedelta(days=due_in_days),
        recorded_by=world.collector_a,
        recorded_at=now - datetime.timedelta(days=recorded_days_ago),
    )


def state_of(world):
    return with_promise_state(
        Case.objects.filter(pk=world.case_a.pk), today=timezone.localdate()
    ).get()


def test_a_promise_is_kept_by_payments_made_after_it(world):
    promise(world, "300.00", due_in_days=3)
    record_payment(world.house_a, "300.00", world.collector_a)
    case = state_of(world)
    assert (case.promise_state, case.promise_paid) == (KEPT, D("300.00"))


def test_payments_before_the_promise_do_not_keep_it(world):
    record_payment(
        world.house_a,
        "300.00",
        world.collector_a,
        paid_at=timezone.now() - datetime.timedelta(days=5),
    )
    promise(world, "300.00", due_in_days=-1)
    assert state_of(world).promise_state == BROKEN


def test_a_reversed_payment_breaks_a_kept_promise_again(world):
    promise(world, "300.00", due_in_days=-1, recorded_days_ago=3)
    paid = record_payment(
        world.house_a,
        "300.00",
        world.collector_a,
        paid_at=timezone.now() - datetime.timedelta(days=2),
    )
    assert state_of(world).promise_state == KEPT
    payment_reverse(payment=paid, by=world.manager, reason="录错")
    # The reversal is dated now, after the promised day: it still undoes the keeping.
    assert state_of(world).promise_state == BROKEN


def test_only_the_latest_promise_counts_for_the_case(world):
    promise(world, "100.00", due_in_days=-5, recorded_days_ago=10)
    promise(world, "200.00", due_in_days=5)
    case = state_of(world)
    assert (case.promise_amount, case.promise_state) == (D("200.00"), PENDING)


def test_a_case_without_promises_has_no_state(world):
    assert state_of(world).promise_state == ""
