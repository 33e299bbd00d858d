from datetime import date
from decimal import Decimal as D

from django.utils import translation

from arrears.ledger import (
    add_months,
    ledger_ranges,
    month_ranges,
    monthly_fee,
    months_between,
)


def test_months_between_counts_the_plans_ranges():
    assert len(months_between(date(2013, 5, 1), date(2015, 5, 1))) == 25
    assert len(months_between(date(2014, 1, 1), date(2015, 5, 1))) == 17
    assert len(months_between(date(2013, 1, 1), date(2015, 5, 1))) == 29
    assert months_between(date(2015, 5, 1), date(2015, 5, 1)) == [date(2015, 5, 1)]
    assert months_between(date(2015, 6, 1), date(2015, 5, 1)) == []


def test_add_months_crosses_years_both_ways():
    assert add_months(date(2015, 11, 1), 3) == date(2016, 2, 1)
    assert add_months(date(2015, 1, 1), -1) == date(2014, 12, 1)
    assert add_months(date(2015, 6, 1), 137) == date(2026, 11, 1)


def test_months_between_normalises_to_first_days():
    assert months_between(date(2015, 1, 31), date(2015, 3, 2)) == [
        date(2015, 1, 1),
        date(2015, 2, 1),
        date(2015, 3, 1),
    ]


def test_monthly_fee_rounds_half_up_to_the_fen():
    assert monthly_fee(D("132.56"), D("1.80")) == D("238.61")  # 238.608
    assert monthly_fee(D("100.25"), D("1.10")) == D("110.28")  # 110.275


def test_consecutive_months_collapse_into_one_range():
    ranges = month_ranges(months_between(date(2013, 5, 1), date(2015, 5, 1)))
    assert [(r.start, r.end, r.count) for r in ranges] == [(date(2013, 5, 1), date(2015, 5, 1), 25)]


def test_a_gap_starts_a_new_range():
    months = [date(2014, 1, 1), date(2014, 2, 1), date(2014, 4, 1)]
    assert [r.count for r in month_ranges(months)] == [2, 1]


def test_ranges_carry_their_totals():
    rows = [(date(2014, 1, 1), D("100"), D("100")), (date(2014, 2, 1), D("100"), D("40"))]
    (r,) = ledger_ranges(rows)
    assert (r.due, r.paid, r.balance) == (D("200"), D("140"), D("60"))


def test_range_text_in_chinese_and_english():
    (r,) = month_ranges(months_between(date(2013, 5, 1), date(2015, 5, 1)))
    with translation.override("zh-hans"):
        assert str(r) == "2013-05 — 2015-05 (25 个月)"
    with translation.override("en"):
        assert str(r) == "2013-05 — 2015-05 (25 months)"
        (single,) = month_ranges([date(2015, 5, 1)])
        assert str(single) == "2015-05 (1 month)"
