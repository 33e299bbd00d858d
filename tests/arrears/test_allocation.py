from datetime import date
from decimal import Decimal as D

import pytest

from arrears.allocation import OpenPeriod, allocate


def periods(*outstanding, start_month=1):
    return [
        OpenPeriod(i + 1, date(2014, start_month + i, 1), D(o)) for i, o in enumerate(outstanding)
    ]


def test_it_pays_the_oldest_month_first_even_when_given_out_of_order():
    shuffled = list(reversed(periods("100.00", "100.00", "100.00")))
    result = allocate(D("150.00"), shuffled)
    assert result.lines == ((1, D("100.00")), (2, D("50.00")))
    assert result.remainder == D("0.00")
    assert result.allocated == D("150.00")


def test_it_skips_months_already_paid():
    result = allocate(D("80.00"), periods("0.00", "30.00", "100.00"))
    assert result.lines == ((2, D("30.00")), (3, D("50.00")))


def test_money_beyond_what_is_owed_is_kept_as_credit():
    result = allocate(D("250.00"), periods("100.00", "100.00"))
    assert result.allocated == D("200.00")
    assert result.remainder == D("50.00")


def test_nothing_owed_means_everything_is_credit():
    result = allocate(D("10.00"), [])
    assert result.lines == ()
    assert result.remainder == D("10.00")


@pytest.mark.parametrize("amount", [D("0"), D("-5.00")])
def test_it_refuses_amounts_that_are_not_positive(amount):
    with pytest.raises(ValueError, match="positive"):
        allocate(amount, periods("10.00"))


def test_it_refuses_fractions_of_a_fen():
    with pytest.raises(ValueError, match="two decimal places"):
        allocate(D("10.005"), periods("10.00"))


def test_it_refuses_floats():
    with pytest.raises(TypeError):
        allocate(10.0, periods("10.00"))
