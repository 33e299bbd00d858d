"""Cell values as people type them (imports.values): each shape, each refusal, and round trips."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from imports import values
from imports.values import CellProblem, EmptyCell, NoShape, Period

# Derandomized: the same examples on every run, no example database written.
PROPERTY = settings(max_examples=200, database=None, deadline=None, derandomize=True)
D = datetime.date


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def fullwidth(words: str) -> str:
    """What a Chinese input method in full-width mode types for `words`."""
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in words
    )


# --- text ----------------------------------------------------------------------------------


def test_halfwidth_turns_full_width_digits_letters_punctuation_and_space():
    assert values.halfwidth("２０１３－０５　Ｃ６，１．５（２５）￥～") == "2013-05 C6,1.5(25)¥~"
    assert values.halfwidth("3栋1单元502室。、") == "3栋1单元502室。、"  # Chinese stays


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (13900000000.0, "13900000000"),  # a phone number typed as a number
        ("  C6-101 ", "C6-101"),
        (1.5, "1.5"),
        ("\u200bC6-101\ufeff", "C6-101"),  # invisible characters pasted from a chat
        ("Ｃ６－１０１", "Ｃ６－１０１"),  # as written: no half-width here
    ],
)
def test_text(value, expected):
    assert values.text(value) == expected


def test_blank():
    assert values.blank(None) and values.blank(" \t") and values.blank("\u3000\u200b")
    assert not values.blank(0) and not values.blank("0") and not values.blank(False)


def test_empty_cell_is_a_cell_problem():
    assert issubclass(EmptyCell, CellProblem) and issubclass(CellProblem, ValueError)
    assert issubclass(NoShape, CellProblem)


# --- unit codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code", "note"),
    [
        ("3-502", "3-502", ""),
        ("3栋502", "3栋502", ""),
        ("3栋1单元502室", "3栋1单元502室", ""),
        ("C6-101", "C6-101", ""),
        (" C6-101 ", "C6-101", ""),  # trimming is not worth a note
        (101.0, "101", ""),
        ("Ｃ６－１０１", "C6-101", "full-width characters made half-width"),
        ("c6-101", "C6-101", "letters made upper-case"),
        ("3栋  1单元\t502室", "3栋 1单元 502室", "spaces collapsed"),
        ("C6–101", "C6-101", "dashes written as “-”"),
        (
            "ｃ６　－　１０１",
            "C6 - 101",
            "full-width characters made half-width; letters made upper-case",
        ),
        (None, "", ""),
    ],
)
def test_unit_codes_are_kept_as_written_and_say_what_was_normalised(value, code, note):
    assert values.unit_code(value) == (code, note)


@PROPERTY
@given(st.text(max_size=30))
def test_a_normalised_unit_code_is_kept_as_it_is(written):
    code, _note = values.unit_code(written)
    assert values.unit_code(code) == (code, "")


# --- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("¥1234.5", "1234.50"),
        ("￥1,234", "1234.00"),
        ("1234.5元", "1234.50"),
        ("１２３４", "1234.00"),
        ("１，２３４．５０元", "1234.50"),
        ("1，234", "1234.00"),
        ("RMB 1234", "1234.00"),
        ("rmb1,234.5", "1234.50"),
        ("1234 RMB", "1234.00"),
        ("CNY 99", "99.00"),
        ("人民币1234元整", "1234.00"),
        ("1.2万", "12000.00"),
        ("1.2万元", "12000.00"),
        ("¥ 3.5 万", "35000.00"),
        (" 1 234.5 ", "1234.50"),
        ("+5", "5.00"),
        ("-0", "0.00"),
        ("1,234.565元", "1234.57"),  # rounded half-up to the fen
        ("0.005", "0.01"),
        ("1e12", "1000000000000.00"),  # the ledger says an amount this long is too long
        (1700, "1700.00"),
        (99.5, "99.50"),
        (1234.565, "1234.57"),  # the float as the cell shows it, not 1234.56499…
        (0.1 + 0.2, "0.30"),
        (Decimal("12.345"), "12.35"),
        # the payments import's amounts (tests/imports/test_payment_import.py)
        ("¥1,234.56", "1234.56"),
        ("300元", "300.00"),
    ],
)
def test_amounts_are_read_as_people_type_them(value, expected):
    amount = values.money(value)
    assert amount == Decimal(expected) and str(amount) == expected


def test_a_blank_amount_is_none():
    assert values.money(None) is None and values.money("  ") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("五百", "“五百” is not a number; write the amount in yuan, like 1234.50"),
        ("abc", "“abc” is not a number; write the amount in yuan"),
        ("NaN", "“NaN” is not a number"),
        ("Infinity", "“Infinity” is not a number"),
        ("-inf", "“-inf” is not a number"),
        (float("nan"), "“nan” is not a number"),
        (float("inf"), "“inf” is not a number"),
        (Decimal("NaN"), "“NaN” is not a number"),
        (True, "“True” is not a number"),
        ("1.2.3", "“1.2.3” is not a number"),
        ("1_000", "“1_000” is not a number"),
        ("--5", "“--5” is not a number"),
        ("1700元/月", "“1700元/月” is not a number"),
        ("1,5", "“1,5” is not a number; write the amount without commas, or with a comma every"),
        ("12,34.5", "“12,34.5” is not a number; write the amount without commas"),
        ("1.234,50", "“1.234,50” is not a number; write the amount without commas"),
        ("-5", "-5 is negative; write an amount of 0 or more, like 1234.50"),
        (-5, "-5 is negative"),
        ("−5元", "−5元 is negative"),
        ("-¥5", "-¥5 is negative"),
        ("¥-1,234", "¥-1,234 is negative"),
        ("1e999999999", "1e999999999 is too large for an amount; check the cell"),
        ("1e999999999万", "1e999999999万 is too large for an amount"),
    ],
)
def test_amounts_that_cannot_be_read_say_what_to_write(value, message):
    with pytest.raises(CellProblem) as problem:
        values.money(value)
    assert str(problem.value).startswith(message), str(problem.value)


def test_a_negative_amount_is_read_when_allowed():
    assert values.money("-1,234.5元", negative_ok=True) == Decimal("-1234.50")


def test_an_exact_amount_refuses_more_than_two_decimals():
    # A payment received is never rounded (the payments import's rule).
    assert values.money("100.50", exact=True) == Decimal("100.50")
    assert values.money("100.500", exact=True) == Decimal("100.50")
    with pytest.raises(CellProblem, match="^100.005 has more than two decimal places; round"):
        values.money("100.005", exact=True)


@PROPERTY
@given(
    st.decimals(min_value=0, max_value=10**10, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["{}", "¥{}", "￥{}", "{}元", "RMB {}", "人民币{}元整", "{} 元"]),
    st.booleans(),
    st.booleans(),
)
def test_any_amount_written_in_any_shape_reads_back(amount, shape, grouped, wide):
    number = f"{amount:,.2f}" if grouped else f"{amount:.2f}"
    written = shape.format(number)
    assert values.money(fullwidth(written) if wide else written) == amount


@PROPERTY
@given(st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
def test_wan_is_ten_thousand(amount):
    assert values.money(f"{amount}万") == (amount * 10_000).quantize(Decimal("0.01"))


@PROPERTY
@given(
    st.decimals(
        min_value=-(10**12),
        max_value=Decimal("-0.01"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_any_negative_amount_is_refused(amount):
    with pytest.raises(CellProblem, match="is negative"):
        values.money(str(amount))


# --- counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (25, 25),
        ("25", 25),
        ("25个月", 25),
        ("25 个月", 25),
        ("25月", 25),
        ("２５", 25),
        (25.0, 25),
        ("25.0", 25),
        ("(25)", 25),
        ("（２５）", 25),
        ("共25个月", 25),
        (0, 0),
        (None, None),
        ("", None),
    ],
)
def test_counts(value, expected):
    assert values.count(value) == expected


@pytest.mark.parametrize(
    "value", ["two", "二十五", -1, "-3", 2.5, float("inf"), float("nan"), True]
)
def test_counts_that_cannot_be_read_say_what_to_write(value):
    with pytest.raises(CellProblem, match="is not a whole number; write it in digits, like 25"):
        values.count(value)


# --- months --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013-05", D(2013, 5, 1)),
        ("2013-5", D(2013, 5, 1)),
        ("2013/5", D(2013, 5, 1)),
        ("2013/05", D(2013, 5, 1)),
        ("2013.05", D(2013, 5, 1)),
        ("2013.5", D(2013, 5, 1)),
        ("2013.10", D(2013, 10, 1)),  # as text the zero is kept: October
        ("2019.1", D(2019, 1, 1)),  # …and as text 2019.1 is January, as lawyers' lists write
        ("2013年5月", D(2013, 5, 1)),
        ("2013年05月份", D(2013, 5, 1)),
        ("2013 年 5 月", D(2013, 5, 1)),
        ("201305", D(2013, 5, 1)),
        ("05/2013", D(2013, 5, 1)),
        ("２０１３－０５", D(2013, 5, 1)),
        ("２０１３年５月", D(2013, 5, 1)),
        ("2013-05-17", D(2013, 5, 1)),  # a day names its month
        ("2013年5月17日", D(2013, 5, 1)),
        ("20130517", D(2013, 5, 1)),
        ("2013-05-17 00:00:00", D(2013, 5, 1)),  # a date cell saved to CSV
        ("2013/5/17 0:00", D(2013, 5, 1)),
        (datetime.datetime(2013, 5, 17), D(2013, 5, 1)),
        (D(2013, 5, 17), D(2013, 5, 1)),
        (201305, D(2013, 5, 1)),  # a number cell: YYYYMM, not a serial
        (201305.0, D(2013, 5, 1)),  # the same from an .xls, where every number is a float
        (20130517, D(2013, 5, 1)),
        (41411, D(2013, 5, 17).replace(day=1)),  # the Excel serial of 2013-05-17
        (41411.0, D(2013, 5, 1)),
        (2013.05, D(2013, 5, 1)),  # a number cell that can mean one month only
        (2013.5, D(2013, 5, 1)),
        (2013.12, D(2013, 12, 1)),
        ("", None),
        (None, None),
    ],
)
def test_months(value, expected):
    assert values.month(value) == expected


@pytest.mark.parametrize(
    ("value", "message", "kind"),
    [
        ("2015-13", "“2015-13” is not a month like 2013-05", CellProblem),
        ("201513", "“201513” is not a month like 2013-05", CellProblem),
        ("今年", "“今年” is not a month like 2013-05", NoShape),
        ("13年5月", "“13年5月” is not a month", NoShape),
        (42, "“42” is not a month", NoShape),  # not a serial in 1990–2100
        (2013, "“2013” is not a month", NoShape),
        (True, "“True” is not a month", NoShape),
        (float("inf"), "“inf” is not a month", NoShape),
        (
            2013.1,
            "2013.1 may be 2013-01 or 2013-10; write the month as text like 2013-10",
            CellProblem,
        ),
        (2015.1, "2015.1 may be 2015-01 or 2015-10; write the month as text", CellProblem),
        (2013.123, "write the month as text like 2013-05", CellProblem),
        (2013.13, "write the month as text like 2013-05", CellProblem),
        (
            "0213-05",
            "in “0213-05” the year 213 is not between 1990 and 2100; check it",
            CellProblem,
        ),
        ("2103-05", "in “2103-05” the year 2103 is not between 1990", CellProblem),
        (datetime.datetime(1899, 12, 31), "in “1899-12-31 00:00:00” the year 1899", CellProblem),
    ],
)
def test_months_that_cannot_be_read_say_what_to_write(value, message, kind):
    with pytest.raises(kind) as problem:
        values.month(value)
    assert str(problem.value).startswith(message), str(problem.value)


def test_serials_and_yyyymm_numbers_never_meet():
    # Serials of 1990-01-01 … 2100-12-31 are 32874 … 73415; YYYYMM numbers start at 199001.
    assert values.FIRST_SERIAL == 32874 and values.LAST_SERIAL == 73415
    assert values.month(32874) == D(1990, 1, 1) and values.month(73415) == D(2100, 12, 1)
    for outside in (32873, 73416, 199000):
        with pytest.raises(CellProblem, match="is not a month"):
            values.month(outside)
    assert values.month(199001) == D(1990, 1, 1) and values.month(210012) == D(2100, 12, 1)


MONTH_SHAPES = (
    "{y}-{m:02d}",
    "{y}-{m}",
    "{y}/{m}",
    "{y}.{m:02d}",
    "{y}年{m}月",
    "{y}年{m:02d}月",
    "{y}{m:02d}",
    "{y}-{m:02d}-{d:02d}",
    "{y}/{m}/{d}",
    "{y}年{m}月{d}日",
    "{y}{m:02d}{d:02d}",
)
DAYS = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))


@PROPERTY
@given(DAYS, st.sampled_from(MONTH_SHAPES), st.booleans())
def test_any_month_written_in_any_shape_reads_back(day, shape, wide):
    written = shape.format(y=day.year, m=day.month, d=day.day)
    first = day.replace(day=1)
    assert values.month(fullwidth(written) if wide else written) == first


@PROPERTY
@given(DAYS)
def test_any_month_in_a_cell_reads_back(day):
    first = day.replace(day=1)
    serial = (day - values.EXCEL_EPOCH).days
    cells = [day, datetime.datetime.combine(day, datetime.time(9)), serial, float(serial)]
    cells += [day.year * 100 + day.month, float(day.year * 100 + day.month)]
    assert [values.month(cell) for cell in cells] == [first] * len(cells)


# --- days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-08-15", D(2015, 8, 15)),
        ("2015/8/15", D(2015, 8, 15)),
        ("2015.8.15", D(2015, 8, 15)),
        ("2015年8月15日", D(2015, 8, 15)),
        ("2015年8月15号", D(2015, 8, 15)),
        ("20150815", D(2015, 8, 15)),
        ("２０１５－０８－１５", D(2015, 8, 15)),
        ("2015-08-15 14:30", D(2015, 8, 15)),
        ("2015-08-15T14:30:00", D(2015, 8, 15)),
        ("2015/8/15 9:05:00", D(2015, 8, 15)),
        (D(2015, 8, 15), D(2015, 8, 15)),
        (datetime.datetime(2015, 8, 15, 14, 30), D(2015, 8, 15)),
        (42231, D(2015, 8, 15)),  # the Excel serial
        (42231.0, D(2015, 8, 15)),
        (42231.75, D(2015, 8, 15)),  # a serial with a time of day
        (20150815, D(2015, 8, 15)),
        (None, None),
        (" ", None),
    ],
)
def test_days(value, expected):
    assert values.day(value) == expected


@pytest.mark.parametrize(
    ("value", "message", "kind"),
    [
        ("2015-02-30", "“2015-02-30” is not a date; write it like 2015-08-15", CellProblem),
        ("昨天", "“昨天” is not a date; write it like 2015-08-15", NoShape),
        ("已打报告", "“已打报告” is not a date", NoShape),
        ("2015-08", "“2015-08” is not a date", NoShape),
        (5, "“5” is not a date", NoShape),
        (2015.5, "“2015.5” is not a date", NoShape),
        (float("nan"), "“nan” is not a date", NoShape),
        ("0001-01-01", "in “0001-01-01” the year 1 is not between 1990 and 2100", CellProblem),
        (20151399, "“20151399” is not a date", CellProblem),
    ],
)
def test_days_that_cannot_be_read_say_what_to_write(value, message, kind):
    with pytest.raises(kind) as problem:
        values.day(value)
    assert str(problem.value).startswith(message), str(problem.value)


def test_words_are_told_apart_from_an_impossible_date():
    # A planned date may be words (已打报告), kept as a note; 2015-02-30 is an error to fix.
    with pytest.raises(NoShape):
        values.day("已打报告")
    with pytest.raises(CellProblem) as impossible:
        values.day("2015-02-30")
    assert not isinstance(impossible.value, NoShape)


@PROPERTY
@given(DAYS, st.sampled_from([s for s in MONTH_SHAPES if "{d" in s]), st.booleans())
def test_any_day_written_in_any_shape_reads_back(day, shape, wide):
    written = shape.format(y=day.year, m=day.month, d=day.day)
    assert values.day(fullwidth(written) if wide else written) == day


@PROPERTY
@given(DAYS, st.floats(min_value=0, max_value=0.999))
def test_any_serial_reads_back_as_its_day(day, time_of_day):
    serial = (day - values.EXCEL_EPOCH).days
    assert values.day(serial) == values.day(serial + time_of_day) == day


# --- periods -------------------------------------------------------------------------------

P = Period(D(2013, 5, 1), D(2015, 5, 1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # as the campaign plan writes them (shared/seed)
        ("2013年5月-2015年5月(25)", Period(P.first, P.last, 25)),
        ("2013年1月-2015年5月(28)", Period(D(2013, 1, 1), P.last, 28)),  # stated, not checked
        ("2013年11月-2015年5月(19)", Period(D(2013, 11, 1), P.last, 19)),
        # as the issue lists them
        ("2013年5月-2015年5月", P),
        ("2013年5月至2015年5月", P),
        ("2013年5月到2015年5月", P),
        ("2013.5-2015.5", P),
        ("2013/05~2015/05", P),
        ("2013/05～2015/05", P),
        ("2013/05〜2015/05", P),
        ("201305-201505", P),
        ("2019.1-2020.12", Period(D(2019, 1, 1), D(2020, 12, 1))),
        ("2013-05—2015-05", P),
        ("2013-05 – 2015-05", P),
        ("2013-05――2015-05", P),
        ("2013-05-2015-05", P),  # “-” inside the months and between them
        ("2013-5-2015-5", P),
        ("2013-05 to 2015-05", P),
        ("２０１３年５月－２０１５年５月（２５）", Period(P.first, P.last, 25)),
        # stated counts
        ("2013年5月-2015年5月（25）", Period(P.first, P.last, 25)),
        ("2013年5月-2015年5月(25个月)", Period(P.first, P.last, 25)),
        ("2013年5月-2015年5月（共25个月）", Period(P.first, P.last, 25)),
        ("2013年5月-2015年5月 25个月", Period(P.first, P.last, 25)),
        ("2013年5月-2015年5月25个月", Period(P.first, P.last, 25)),
        ("2013年5月-2015年5月共25个月", Period(P.first, P.last, 25)),
        ("2013.5-2015.5，共25个月", Period(P.first, P.last, 25)),
        ("2013.5-2015.5, 25个月", Period(P.first, P.last, 25)),
        # other ways offices write them
        ("自2013年5月起至2015年5月止", P),
        ("2013年5月起至2015年5月", P),
        ("2015年1-5月", Period(D(2015, 1, 1), D(2015, 5, 1))),
        ("2015年1月-5月", Period(D(2015, 1, 1), D(2015, 5, 1))),
        ("2015年1月至5月", Period(D(2015, 1, 1), D(2015, 5, 1))),
        ("2013-05-01至2015-05-31", P),
        ("05/2013-05/2015", P),
        ("2014年全年", Period(D(2014, 1, 1), D(2014, 12, 1))),
        ("2014全年(12)", Period(D(2014, 1, 1), D(2014, 12, 1), 12)),
        # one month alone is a period of one month
        ("2013年5月", Period(P.first, P.first)),
        ("2013年5月(1)", Period(P.first, P.first, 1)),
        (datetime.datetime(2013, 5, 17), Period(P.first, P.first)),
        (201305, Period(P.first, P.first)),
        (None, None),
        ("  ", None),
    ],
)
def test_periods_in_one_cell(value, expected):
    assert values.period(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2015-05—2013-05",
            "the period “2015-05—2013-05” ends (2013-05) before it starts (2015-05); write the "
            "first month first, like 2013-05—2015-05",
        ),
        (
            "2013年5月至今",
            "“2013年5月至今” has no last month; write the last month owed, like 2013-05—2015-05",
        ),
        ("2013.5-现在", "“2013.5-现在” has no last month"),
        (
            "欠费两年",
            "“欠费两年” is not a period; write the first and last months like 2013-05—2015-05 "
            "or 2013年5月-2015年5月, with the number of months in brackets if you like: (25)",
        ),
        ("2013年5月到2015年", "“2013年5月到2015年” is not a period"),
        ("2013-13—2015-05", "“2013-13” is not a month like 2013-05"),
        ("2013-05—2103-05", "in “2103-05” the year 2103 is not between 1990 and 2100"),
        (2013.1, "2013.1 may be 2013-01 or 2013-10"),
    ],
)
def test_periods_that_cannot_be_read_say_what_to_write(value, message):
    with pytest.raises(CellProblem) as problem:
        values.period(value)
    assert str(problem.value).startswith(message), str(problem.value)


def test_a_period_describes_itself_for_the_preview():
    assert P.months == 25
    assert Period(P.first, P.last, 25).describe() == "2013-05 — 2015-05, 25 months"
    assert Period(P.first, P.first).describe() == "2013-05 — 2013-05, 1 month"
    assert (
        Period(D(2013, 1, 1), P.last, 28).describe() == "2013-01 — 2015-05, 29 months (28 stated)"
    )


def test_a_period_describes_itself_in_chinese():
    with translation.override("zh-hans"):
        assert Period(P.first, P.last).describe().startswith("2013-05 — 2015-05")


SEPARATORS = ("-", "—", "–", "~", "～", "至", "到", " - ", " — ")
PERIOD_SHAPES = ("{y}年{m}月", "{y}.{m}", "{y}/{m:02d}", "{y}{m:02d}", "{y}-{m:02d}", "{y}-{m}")
STATED = (
    "",
    "({n})",
    "（{n}）",
    "({n}个月)",
    "（共{n}个月）",
    " {n}个月",
    "共{n}个月",
    "，共{n}个月",
)
MONTHS = st.builds(D, st.integers(1990, 2100), st.integers(1, 12), st.just(1))


@PROPERTY
@given(
    st.lists(MONTHS, min_size=2, max_size=2).map(sorted),
    st.sampled_from(PERIOD_SHAPES),
    st.sampled_from(PERIOD_SHAPES),
    st.sampled_from(SEPARATORS),
    st.sampled_from(STATED),
    st.integers(0, 2000),
    st.booleans(),
)
def test_any_period_written_in_any_shape_reads_back(months, left, right, sep, stated, n, wide):
    first, last = months
    written = (
        left.format(y=first.year, m=first.month)
        + sep
        + right.format(y=last.year, m=last.month)
        + stated.format(n=n)
    )
    expected = Period(first, last, n if stated else None)
    assert values.period(fullwidth(written) if wide else written) == expected
    assert expected.months == len(
        [(y, m) for y in range(1990, 2101) for m in range(1, 13) if first <= D(y, m, 1) <= last]
    )
