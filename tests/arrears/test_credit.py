"""A household's credit: the excess of a confirmed overpayment, kept, set against later
months and refundable by the office manager, never counted as arrears collected."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from arrears.credit import credit_apply, credit_balance, credit_refund, household_balance
from arrears.models import CreditRefund, DebtPeriod, Payment, PaymentAllocation
from arrears.payments import payment_reverse
from summaries.producing import day_figures
from summaries.windows import local_day
from tests.conftest import add_months, record_payment


def overpay(world, amount="2000.00", **kw):
    """House A owes ¥1,700.00 (17 months × ¥100)."""
    return record_payment(world.house_a, amount, world.collector_a, confirm_excess=True, **kw)


def new_months(household, *months, due="100.00"):
    return add_months(household, months, due)


JUNE, JULY, AUGUST, SEPTEMBER = (datetime.date(2015, m, 1) for m in (6, 7, 8, 9))


def test_the_excess_of_a_confirmed_overpayment_is_the_households_credit(world):
    overpay(world)
    assert credit_balance(world.house_a) == D("300.00")
    assert household_balance(world.house_a) == D("0.00")
    assert credit_balance(world.house_b) == D("0.00")


def test_credit_pays_months_added_later_oldest_first(world):
    payment = overpay(world, "1950.00")  # ¥250 of credit
    june, july, august = new_months(world.house_a, JUNE, JULY, AUGUST)
    assert credit_apply(household=world.house_a, by=world.manager) == D("250.00")
    for period, paid in ((june, "100.00"), (july, "100.00"), (august, "50.00")):
        period.refresh_from_db()
        assert period.amount_paid == D(paid)
        assert period.allocations.get().payment == payment
    assert credit_balance(world.house_a) == D("0.00")
    assert household_balance(world.house_a) == D("50.00")
    # Nothing left to set: a second run changes nothing.
    assert credit_apply(household=world.house_a, by=world.manager) == D("0.00")


def test_credit_set_against_later_months_is_not_collected(world):
    overpay(world)
    collected = day_figures(*local_day(timezone.localdate()), [world.office.pk])
    new_months(world.house_a, JUNE, JULY)
    credit_apply(household=world.house_a, by=world.manager)
    again = day_figures(*local_day(timezone.localdate()), [world.office.pk])
    assert again == collected
    assert again[(world.office.pk, world.team_a.pk)].collected == D("1700.00")


def test_credit_comes_from_the_oldest_payment_first_and_skips_what_it_already_paid(world):
    first = overpay(world, "1750.00")  # ¥50
    second = record_payment(
        world.house_a, "30.00", world.collector_a, confirm_excess=True
    )  # all of it credit
    (june,) = new_months(world.house_a, JUNE)
    assert credit_apply(household=world.house_a, by=world.manager) == D("80.00")
    assert dict(june.allocations.values_list("payment", "amount")) == {
        first.pk: D("50.00"),
        second.pk: D("30.00"),
    }


def test_reversing_the_payment_reopens_the_months_its_credit_paid(world):
    payment = overpay(world)
    (june,) = new_months(world.house_a, JUNE)
    credit_apply(household=world.house_a, by=world.manager)
    payment_reverse(payment=payment, by=world.manager, reason="录错户")
    june.refresh_from_db()
    assert june.amount_paid == D("0.00")
    assert credit_balance(world.house_a) == D("0.00")
    assert household_balance(world.house_a) == D("1800.00")
    # Allocations still sum to each month's paid amount.
    for period in DebtPeriod.objects.filter(household=world.house_a):
        assert period.amount_paid == sum(
            period.allocations.values_list("amount", flat=True), D("0.00")
        )


def test_the_manager_refunds_credit_with_a_reason(world):
    overpay(world)
    refund = credit_refund(
        household=world.house_a,
        amount=D("120.00"),
        reason="业主要求退回，银行转账",
        by=world.manager,
    )
    assert refund.office == world.office
    assert credit_balance(world.house_a) == D("180.00")
    (june, july) = new_months(world.house_a, JUNE, JULY)
    assert credit_apply(household=world.house_a, by=world.manager) == D("180.00")
    with pytest.raises(ValidationError) as error:
        credit_refund(household=world.house_a, amount=D("0.01"), reason="再退", by=world.manager)
    assert error.value.error_dict["amount"][0].code == "beyond_credit"


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        (D("300.01"), "退款", "amount"),  # one fen beyond the credit
        (D("0"), "退款", "amount"),
        (D("-1"), "退款", "amount"),
        (D("1.001"), "退款", "amount"),
        (D("10"), "   ", "reason"),
    ],
)
def test_a_refund_beyond_the_credit_or_without_a_reason_is_refused(world, amount, reason, field):
    overpay(world)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        credit_refund(household=world.house_a, amount=amount, reason=reason, by=world.manager)
    assert field in error.value.error_dict
    assert error.value.messages[0].endswith(".")
    assert not CreditRefund.objects.exists()


def test_a_refund_of_exactly_the_credit_leaves_none(world):
    overpay(world)
    credit_refund(household=world.house_a, amount=D("300.00"), reason="全部退回", by=world.manager)
    assert credit_balance(world.house_a) == D("0.00")


def test_a_payment_whose_excess_was_refunded_cannot_be_reversed(world):
    payment = overpay(world)
    credit_refund(household=world.house_a, amount=D("300.00"), reason="全部退回", by=world.manager)
    with pytest.raises(ValidationError) as error:
        payment_reverse(payment=payment, by=world.manager, reason="录错户")
    assert error.value.code == "excess_refunded"
    assert not Payment.objects.filter(kind=Payment.Kind.REVERSAL).exists()


# --- the pages ------------------------------------------------------------------------------


def _form(**changes):
    data = {
        "amount": "9999999999.99",
        "paid_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "method": "cash",
        "receipt_no": "R-BIG",
    }
    data.update(changes)
    return data


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_the_form_shows_the_balance(client, world, english):
    client.force_login(world.collector_a)
    page = client.get(reverse("payment-new", args=[world.case_a.pk])).content.decode()
    assert "The household owes ¥1,700.00 in all." in page


def test_a_raw_post_over_the_balance_is_refused_and_asks_for_the_confirmation(
    client, world, english
):
    client.force_login(world.collector_a)
    response = client.post(reverse("payment-new", args=[world.case_a.pk]), _form())
    assert response.status_code == 200
    page = response.content.decode()
    assert "is ¥9,999,998,299.99 more than the household owes (¥1,700.00)" in page
    assert "The excess of ¥9,999,998,299.99 is kept as the household&#x27;s credit" in page
    assert not Payment.objects.exists()


def test_with_the_confirmation_the_excess_is_credit_shown_on_the_case(client, world, english):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("payment-new", args=[world.case_a.pk]), _form(confirm_excess="on")
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.allocated) == (D("9999999999.99"), D("1700.00"))
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert "¥9,999,998,299.99" in page
    assert "Refund credit" not in page  # a collector may not refund


def test_the_manager_refunds_through_the_page(client, world, english):
    overpay(world)
    client.force_login(world.manager)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert reverse("credit-refund", args=[world.case_a.pk]) in page
    url = reverse("credit-refund", args=[world.case_a.pk])
    response = client.post(url, {"amount": "300.01", "reason": "退回"})
    assert "refund at most that much" in response.content.decode()
    response = client.post(url, {"amount": "300.00", "reason": "银行转账退回"})
    assert response.status_code == 302
    assert CreditRefund.objects.get().reason == "银行转账退回"
    assert PaymentAllocation.objects.count() == 17
