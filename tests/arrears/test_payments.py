import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from arrears.models import (
    Case,
    Clearance,
    DebtPeriod,
    ImmutableRecordError,
    Payment,
    PaymentAllocation,
)
from arrears.payments import payment_record, payment_reverse
from tests.conftest import make_case, record_payment

NOW = timezone.now


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def pay(world, amount, household=None, **kw):
    return record_payment(household or world.house_a, amount, world.collector_a, **kw)


def paid_months(household):
    return list(
        DebtPeriod.objects.filter(household=household, amount_paid__gt=0)
        .order_by("month")
        .values_list("month", "amount_paid")
    )


def test_a_payment_goes_to_the_oldest_months(world):
    payment = pay(world, "250.00", receipt_no="R-1")
    assert paid_months(world.house_a) == [
        (datetime.date(2014, 1, 1), D("100.00")),
        (datetime.date(2014, 2, 1), D("100.00")),
        (datetime.date(2014, 3, 1), D("50.00")),
    ]
    assert payment.allocated == D("250.00")
    assert sum(payment.allocations.values_list("amount", flat=True)) == D("250.00")
    assert payment.case == world.case_a  # linked to the running campaign's case


def test_part_payment_marks_the_case_partly_paid(world):
    pay(world, "100.00")
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.PARTLY_PAID
    assert not Clearance.objects.exists()


def test_paying_everything_clears_the_case_and_credits_the_team_holding_it(world):
    paid_at = NOW() - datetime.timedelta(minutes=30)
    payment = pay(world, "1700.00", paid_at=paid_at)
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.CLEARED
    assert world.case_a.cleared_at == paid_at
    clearance = Clearance.objects.get()
    assert (clearance.case, clearance.team, clearance.payment) == (
        world.case_a,
        world.team_a,
        payment,
    )


def test_overpayment_is_kept_as_credit_not_forced_into_months(world):
    payment = pay(world, "1750.00", confirm_excess=True)
    assert payment.amount == D("1750.00")
    assert payment.allocated == D("1700.00")
    assert not DebtPeriod.objects.filter(
        household=world.house_a, amount_paid__gt=D("100.00")
    ).exists()


def test_overpayment_without_confirmation_is_refused_and_says_what_to_do(world):
    # In English whatever language an earlier test left active (Chinese is the default).
    with translation.override("en"), pytest.raises(ValidationError) as error:
        pay(world, "1700.01")
    assert codes(error.value) == {"excess_unconfirmed"}
    with translation.override("en"):
        message = error.value.messages[0]
    assert "¥0.01 more than the household owes (¥1,700.00)" in message
    assert "tick" in message
    assert not Payment.objects.exists()
    assert paid_months(world.house_a) == []


def test_paying_exactly_the_balance_needs_no_confirmation(world):
    payment = pay(world, "1700.00")
    assert payment.allocated == payment.amount


def test_a_huge_payment_is_refused_without_confirmation_and_kept_as_credit_with_it(world):
    with pytest.raises(ValidationError):
        pay(world, "9999999999.99")
    payment = pay(world, "9999999999.99", confirm_excess=True)
    assert payment.allocated == D("1700.00")


def test_a_reversal_undoes_the_payment_and_revokes_the_clearance(world):
    original = pay(world, "1700.00", receipt_no="R-9")
    reversal = payment_reverse(payment=original, by=world.manager, reason="录错户号")
    assert reversal.kind == Payment.Kind.REVERSAL
    assert reversal.reverses == original
    assert reversal.signed_amount == D("-1700.00")
    assert paid_months(world.house_a) == []
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.OPEN
    assert world.case_a.cleared_at is None
    clearance = Clearance.objects.get()
    assert clearance.revoked_by == reversal and clearance.revoked_at is not None
    # The original and its allocations are still there: history stays true.
    assert Payment.objects.count() == 2
    assert PaymentAllocation.objects.filter(payment=original).count() == 17


def test_reversing_part_of_the_history_leaves_the_case_partly_paid(world):
    first = pay(world, "100.00")
    pay(world, "200.00")
    payment_reverse(payment=first, by=world.manager, reason="重复录入")
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.PARTLY_PAID
    assert sum(p for _, p in paid_months(world.house_a)) == D("200.00")


def test_a_payment_can_be_reversed_only_once(world):
    original = pay(world, "100.00")
    payment_reverse(payment=original, by=world.manager, reason="错误")
    with pytest.raises(ValidationError) as error:
        payment_reverse(payment=original, by=world.manager, reason="再次")
    assert codes(error.value) == {"already_reversed"}


def test_a_reversal_needs_a_reason(world):
    original = pay(world, "100.00")
    with pytest.raises(ValidationError) as error:
        payment_reverse(payment=original, by=world.manager, reason="  ")
    assert codes(error.value) == {"required"}


def test_receipt_numbers_are_unique_within_an_office_only(world):
    pay(world, "100.00", receipt_no="R-1")
    with pytest.raises(ValidationError) as error:
        pay(world, "100.00", receipt_no="R-1", household=world.house_b)
    assert codes(error.value) == {"duplicate_receipt"}
    other = payment_record(
        household=world.other_house,
        amount=D("100.00"),
        paid_at=NOW(),
        method="cash",
        receipt_no="R-1",
        by=world.other_collector,
    )
    assert other.pk


@pytest.mark.parametrize(
    "typed", ["r-1", "Ｒ－１", "R\u20101", "R\u200b-1", " R\u20131 ", "R\u22121"]
)
def test_a_receipt_typed_another_way_is_the_same_receipt(world, typed):
    first = pay(world, "100.00", receipt_no="R-1")
    with pytest.raises(ValidationError) as error:
        pay(world, "100.00", receipt_no=typed, household=world.house_b)
    assert codes(error.value) == {"duplicate_receipt"}
    assert typed.strip() in error.value.messages[0]
    assert Payment.objects.get().pk == first.pk


def test_the_receipt_is_stored_as_typed_and_compared_by_its_key(world):
    payment = pay(world, "100.00", receipt_no=" Ｒ－１ ")
    payment.refresh_from_db()
    assert payment.receipt_no == "Ｒ－１"
    assert payment.receipt_key == "r-1"


def test_a_receipt_recorded_meanwhile_gets_the_duplicate_message_not_an_error(world, monkeypatch):
    """The race: both requests pass the exists() check, the database refuses the second."""
    pay(world, "100.00", receipt_no="R-1")
    real_filter = Payment.objects.filter

    class NoneExists:
        def __init__(self, qs):
            self.qs = qs

        def exists(self):
            return False

    def filter_missing_the_other(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        return NoneExists(qs) if "receipt_key" in kwargs else qs

    monkeypatch.setattr(Payment.objects, "filter", filter_missing_the_other)
    with pytest.raises(ValidationError) as error:
        pay(world, "100.00", receipt_no="r\u20131", household=world.house_b)
    assert codes(error.value) == {"duplicate_receipt"}
    monkeypatch.undo()
    # The savepoint rolled back only the payment: the connection is usable, nothing half-done.
    assert Payment.objects.count() == 1
    assert paid_months(world.house_b) == []
    assert pay(world, "100.00", receipt_no="R-2", household=world.house_b).pk


def test_the_database_refuses_a_duplicate_receipt_even_past_the_service(world):
    pay(world, "100.00", receipt_no="R-1")
    original = Payment.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            office=world.office,
            household=world.house_b,
            amount=D("1"),
            paid_at=NOW(),
            method="cash",
            receipt_no="R-1",
            recorded_by=original.recorded_by,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            office=world.office,
            household=world.house_b,
            amount=D("1"),
            paid_at=NOW(),
            method="cash",
            receipt_no="ｒ－１",
            recorded_by=original.recorded_by,
        )


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (D("0"), "amount_not_positive"),
        (D("-1.00"), "amount_not_positive"),
        (D("1.001"), "amount_precision"),
    ],
)
def test_bad_amounts_are_refused_with_what_to_do(world, amount, code):
    with pytest.raises(ValidationError) as error:
        payment_record(
            household=world.house_a,
            amount=amount,
            paid_at=NOW(),
            method="cash",
            by=world.collector_a,
        )
    assert codes(error.value) == {code}
    assert "amount" in error.value.message_dict
    assert not Payment.objects.exists()


def test_a_payment_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as error:
        pay(world, "100.00", paid_at=NOW() + datetime.timedelta(days=1))
    assert codes(error.value) == {"future"}


def test_payments_and_allocations_cannot_be_edited_or_deleted(world):
    payment = pay(world, "100.00")
    payment.amount = D("1.00")
    with pytest.raises(ImmutableRecordError):
        payment.save()
    with pytest.raises(ImmutableRecordError):
        payment.delete()
    with pytest.raises(ImmutableRecordError):
        payment.allocations.first().delete()


def test_the_database_refuses_allocations_beyond_the_payment(world):
    payment = pay(world, "100.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(allocated=D("100.01"))


def test_the_database_refuses_paying_a_month_beyond_its_due(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        DebtPeriod.objects.filter(household=world.house_a).update(amount_paid=D("100.01"))


def test_every_ledger_change_is_kept_in_history(world):
    pay(world, "150.00")
    period = DebtPeriod.objects.get(household=world.house_a, month=datetime.date(2014, 2, 1))
    paid_values = list(
        period.history.order_by("history_date").values_list("amount_paid", flat=True)
    )
    assert paid_values == [D("0.00"), D("50.00")]


def test_money_arriving_after_the_responsible_person_left_the_team_credits_nobody(world):
    from teams.models import TeamMember

    world.case_a.responsible = world.collector_a
    world.case_a.save(update_fields=["responsible"])
    assert pay(world, "100.00", case=world.case_a).credited_to_id == world.collector_a.pk
    TeamMember.objects.filter(team=world.team_a, user=world.collector_a).delete()
    later = record_payment(world.house_a, "100.00", world.leader_a, case=world.case_a)
    assert later.credited_to_id is None
    assert later.team_id == world.team_a.pk  # the team keeps the credit


# --- the months a payment pays, written in two statements (issue 14, item 9) ---------------


def _query_count(world, household, amount):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        record_payment(household, amount, world.collector_a)
    return len(queries)


def test_paying_one_month_or_twenty_three_costs_the_same_queries(world):
    from tests.conftest import make_household

    one = make_household(
        world.office, "Q-1", first=datetime.date(2013, 1, 1), last=datetime.date(2014, 12, 1)
    )
    many = make_household(
        world.office, "Q-2", first=datetime.date(2013, 1, 1), last=datetime.date(2014, 12, 1)
    )
    for household in (one, many):
        case = make_case(campaign=world.campaign, household=household, category="refusal")
        assert case.pk
    # Neither clears its case (a clearance is one more row): 1 month paid, and 23.
    assert _query_count(world, one, "100.00") == _query_count(world, many, "2300.00")


def test_each_month_paid_gets_the_history_row_a_save_wrote_with_who_recorded_it(world):
    payment = pay(world, "150.00")
    lines = list(payment.allocations.order_by("period__month"))
    assert len(lines) == 2
    for line in lines:
        period = DebtPeriod.objects.get(pk=line.period_id)
        record = period.history.order_by("-history_id").first()
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "~",
            world.collector_a,
            None,
        )
        assert (record.amount_due, record.amount_paid, record.month) == (
            period.amount_due,
            period.amount_paid,
            period.month,
        )
    reversal = payment_reverse(payment=payment, by=world.manager, reason="wrong household")
    assert reversal.pk
    first = DebtPeriod.objects.get(pk=lines[0].period_id)
    assert first.history.order_by("-history_id").first().history_user == world.manager
    assert first.history.order_by("-history_id").first().amount_paid == D("0.00")


def test_the_duplicate_receipt_check_looks_the_key_up_in_its_index(world):
    """Without the constraint's condition the check read every payment of the office for
    each payment recorded: an import of 10,000 payments grew with their square."""
    from django.db import connection

    from arrears.payments import RECEIPT_KEYED

    plan = Payment.objects.filter(RECEIPT_KEYED, office=world.office, receipt_key="R1").explain()
    index = "payment_receipt_key_unique_in_office"
    assert index in plan or connection.vendor != "sqlite"
