"""Two payments for the same household at the same moment, on separate connections.

Each thread in Django has its own database connection, so these tests really run two (or
eight) transactions at once against the server.
"""

import datetime
import threading
import time
from decimal import Decimal as D

import pytest
from django.db import connection, connections
from django.utils import timezone

from arrears import payments
from arrears.models import DebtPeriod, Payment, PaymentAllocation

pytestmark = pytest.mark.django_db(transaction=True)


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://… (.ci/run does)")


def run_in_thread(name, fn, errors):
    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append((name, exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


def record(world, amount, receipt):
    payments.payment_record(
        household=world.house_a,
        amount=D(amount),
        paid_at=timezone.now(),
        method="cash",
        receipt_no=receipt,
        by=world.collector_a,
    )


def assert_ledger_consistent(household):
    for period in DebtPeriod.objects.filter(household=household):
        allocated = sum(period.allocations.values_list("amount", flat=True), D("0"))
        assert period.amount_paid == allocated
        assert period.amount_paid <= period.amount_due
    for payment in Payment.objects.filter(household=household):
        assert payment.allocated == sum(
            payment.allocations.values_list("amount", flat=True), D("0")
        )


@pytest.mark.postgres
def test_second_payment_waits_for_the_first_and_takes_the_next_months(world, monkeypatch):
    needs_postgres()
    first_inside, release_first = threading.Event(), threading.Event()
    real_allocate = payments.allocate

    def allocate_pausing_first(amount, periods):
        # Thread "first" stops here holding its locks, until the test sees "second" waiting.
        if threading.current_thread().name == "first":
            first_inside.set()
            assert release_first.wait(20), "test never released the first payment"
        return real_allocate(amount, periods)

    monkeypatch.setattr(payments, "allocate", allocate_pausing_first)
    errors = []
    first = run_in_thread("first", lambda: record(world, "250.00", "R-1"), errors)
    assert first_inside.wait(20)
    second = run_in_thread("second", lambda: record(world, "250.00", "R-2"), errors)

    # The second transaction must be blocked on a row lock held by the first.
    waiting = False
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline and not waiting:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0] == 1
            time.sleep(0.05)
    release_first.set()
    first.join(30)
    second.join(30)
    assert not errors, errors
    assert waiting, "the second payment never waited for the first one's lock"

    by_receipt = {
        p.receipt_no: list(
            p.allocations.order_by("period__month").values_list("period__month", "amount")
        )
        for p in Payment.objects.all()
    }
    month = lambda m: datetime.date(2014, m, 1)  # noqa: E731
    assert by_receipt["R-1"] == [
        (month(1), D("100.00")),
        (month(2), D("100.00")),
        (month(3), D("50.00")),
    ]
    assert by_receipt["R-2"] == [
        (month(3), D("50.00")),
        (month(4), D("100.00")),
        (month(5), D("100.00")),
    ]
    assert_ledger_consistent(world.house_a)


def test_eight_simultaneous_payments_never_claim_the_same_month_twice(world):
    """Runs on any database; on SQLite the write lock serialises, on PostgreSQL the row lock."""
    start = threading.Barrier(8)
    errors = []

    def pay(i):
        start.wait(10)
        record(world, "100.00", f"R-{i}")

    threads = [run_in_thread(f"payer-{i}", lambda i=i: pay(i), errors) for i in range(8)]
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    paid = list(
        DebtPeriod.objects.filter(household=world.house_a, amount_paid__gt=0)
        .order_by("month")
        .values_list("month", "amount_paid")
    )
    assert paid == [(datetime.date(2014, m, 1), D("100.00")) for m in range(1, 9)]
    assert PaymentAllocation.objects.count() == 8
    assert_ledger_consistent(world.house_a)


@pytest.mark.postgres
def test_six_payments_with_one_receipt_at_once_one_succeeds_five_are_told(world, monkeypatch):
    """Six desks record one receipt, typed six ways, for six households at the same instant.

    Each thread holds only its own household's lock, so all six pass the exists() check
    (the barrier in allocate() makes sure of it) and reach the insert together: the unique
    receipt key lets one through and the other five get the duplicate message, not a 500.
    """
    needs_postgres()
    from django.core.exceptions import ValidationError

    from tests.conftest import make_household

    typed = ["R-777", "r-777", "Ｒ－７７７", "R\u2010777", "R\u200b-777", "r\u2013777"]
    houses = [
        make_household(
            world.office,
            f"C9-10{i}",
            first=datetime.date(2014, 1, 1),
            last=datetime.date(2014, 12, 1),
        )
        for i in range(len(typed))
    ]
    together = threading.Barrier(len(typed))
    real_allocate = payments.allocate

    def allocate_together(amount, periods):
        together.wait(20)  # every thread has passed the exists() check
        return real_allocate(amount, periods)

    monkeypatch.setattr(payments, "allocate", allocate_together)
    errors = []

    def pay(house, receipt):
        payments.payment_record(
            household=house,
            amount=D("100.00"),
            paid_at=timezone.now(),
            method="cash",
            receipt_no=receipt,
            by=world.collector_a,
        )

    threads = [
        run_in_thread(f"desk-{i}", lambda h=h, r=r: pay(h, r), errors)
        for i, (h, r) in enumerate(zip(houses, typed, strict=True))
    ]
    for thread in threads:
        thread.join(60)
    assert Payment.objects.filter(receipt_key="r-777").count() == 1
    assert len(errors) == 5, errors
    for _name, exc in errors:
        assert isinstance(exc, ValidationError), exc
        assert [e.code for e in exc.error_dict["receipt_no"]] == ["duplicate_receipt"]
    for house in houses:
        assert_ledger_consistent(house)
