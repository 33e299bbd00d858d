"""Sensitive columns (imports.sensitive): ID and bank card numbers, by header and by shape.

Every number here is synthetic: made by these tests, with checksums computed here (a region
code and a bank's public prefix, a made-up birth date and serial): none is a real person's.
"""

import datetime

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from imports import sensitive
from imports.sensitive import (
    BANK_CARD,
    ID_CARD,
    describe_kind,
    is_bank_card,
    is_id_card,
    sensitive_kind,
)

PROPERTY = settings(max_examples=300, database=None, deadline=None, derandomize=True)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def make_id(area: str = "110101", born: datetime.date = datetime.date(1990, 3, 7), serial=123):
    """A synthetic 18-character ID card number with its GB 11643 check character."""
    return checked(f"{area}{born:%Y%m%d}{serial:03d}")


def checked(first17: str) -> str:
    """17 digits and their check character, computed here independently of the module."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    return first17 + check


def make_card(body: str) -> str:
    """`body` with the Luhn check digit appended."""
    for check in "0123456789":
        if sensitive.luhn_ok(body + check):
            return body + check
    raise AssertionError


def with_check(check: str) -> str:
    """A synthetic ID whose check character is `check` (the serial is searched for it)."""
    return next(i for i in (make_id(serial=s) for s in range(1000)) if i[-1] == check)


ID = make_id()  # 11010119900307123 and its check character
ID_X = with_check("X")
CARD16 = make_card("622202123456789")  # a UnionPay prefix, 16 digits
CARD19 = make_card("622848001234567890")  # 19 digits


def test_the_synthetic_numbers_are_what_they_claim():
    assert len(ID) == 18 and ID[:17].isdigit() and ID_X.endswith("X")
    assert sensitive.id_check_character(ID[:17]) == ID[-1]
    assert len(CARD16) == 16 and len(CARD19) == 19
    # A known published example of the check (GB 11643's annex): 11010519491231002X.
    assert sensitive.id_check_character("11010519491231002") == "X"


# --- ID card numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        ID,
        ID_X,
        ID_X.lower(),  # x as well as X
        f" {ID} ",
        f"{ID[:6]} {ID[6:14]} {ID[14:]}",  # spaced for reading
        f"'{ID}",  # the apostrophe that keeps Excel from making it a number
        f'="{ID}"',  # the CSV trick for the same
        "".join(chr(ord(c) + 0xFEE0) for c in ID),  # full-width
        make_id("440305", datetime.date(1958, 12, 31), 7),
        make_id("810000", datetime.date(2001, 1, 1), 1),  # Hong Kong residents' permit
        "110101900307123",  # the old 15-digit number (born 1990-03-07)
        int(ID) if ID[-1] != "X" else int(make_id(serial=124)),  # written by a program, exact
        float(ID[:15] + "000"),  # typed into a number cell: Excel kept 15 digits
        1.10101199003071e17,
    ],
)
def test_id_card_numbers_are_recognised(value):
    assert is_id_card(value)


@pytest.mark.parametrize(
    "value",
    [
        ID[:-1] + ("0" if ID[-1] != "0" else "1"),  # a wrong check character
        checked("11010119900230123"),  # no such day
        make_id("001234"),  # no such region
        make_id(born=datetime.date(1890, 1, 1)),  # not plausibly alive
        make_id(born=datetime.date.today() + datetime.timedelta(days=400)),  # not yet born
        ID[:17],
        ID + "1",
        "110101901307123",  # 15 digits, month 13
        "008613800138000",  # +86 138 0013 8000 written as 0086…
        "13800138000",
        "+86 138 0013 8000",
        "C6-101",
        "1234.50",
        1234.5,
        "",
        None,
        True,
        float("nan"),
        float("inf"),
        "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱",
        "²" * 18,
    ],
)
def test_what_is_not_an_id_card_number(value):
    assert not is_id_card(value)


IDS = st.builds(
    make_id,
    st.sampled_from(["110101", "310104", "440305", "510107", "650102", "820000", "330106"]),
    st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2020, 12, 31)),
    st.integers(0, 999),
)


@PROPERTY
@given(IDS, st.integers(0, 17), st.integers(1, 9))
def test_any_valid_id_is_recognised_and_one_changed_digit_is_not(number, position, shift):
    assert is_id_card(number) and is_id_card(number.lower())
    changed = str((int(number[position]) + shift) % 10) if number[position] != "X" else "0"
    assert not is_id_card(number[:position] + changed + number[position + 1 :])


# --- bank card numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        CARD16,
        CARD19,
        " ".join(CARD16[i : i + 4] for i in range(0, 16, 4)),
        "-".join(CARD16[i : i + 4] for i in range(0, 16, 4)),
        " ".join(CARD19[i : i + 4] for i in range(0, 19, 4)),  # 4-4-4-4-3
        f"'{CARD19}",
        make_card("411111111111111"),  # a Visa-like prefix
        make_card("522222222222222"),
        make_card("222100000000000"),  # Mastercard's 2-series
        make_card("95599800000000000"),  # an old domestic 19-digit prefix: 18 + check
        int(CARD19),  # written by a program, exact
        float(CARD16[:15] + "0"),  # typed into a number cell: Excel kept 15 digits
    ],
)
def test_bank_card_numbers_are_recognised(value):
    assert is_bank_card(value)


@pytest.mark.parametrize(
    "value",
    [
        CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10),  # Luhn fails
        CARD16[:15],  # 15 digits
        make_card("62220212345678901234"),  # 21 digits
        make_card("201506030000123"),  # a receipt number starting with its year: Luhn by chance
        make_card("100000000000000"),  # no issuer starts so
        f"{CARD16[:8]}  {CARD16[8:]}",  # two spaces are not a grouping
        f"{CARD16[:8]}/{CARD16[8:]}",
        "13800138000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "86 138 0013 8000",
        "0086 13800138000",
        "3-502",
        "1,234.50",
        1234.5,
        201506030000123,
        True,
        None,
        "",
    ],
)
def test_what_is_not_a_bank_card_number(value):
    assert not is_bank_card(value)


CARDS = st.builds(
    lambda prefix, rest: make_card(prefix + rest),
    st.sampled_from(["622202", "622848", "621700", "436742", "518710", "356833", "955880"]),
    st.integers(9, 12).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
)


@PROPERTY
@given(CARDS, st.data())
def test_any_valid_card_is_recognised_and_one_changed_digit_is_not(number, data):
    assert is_bank_card(number)
    position = data.draw(st.integers(0, len(number) - 1))
    shift = data.draw(st.integers(1, 9))
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not sensitive.luhn_ok(changed) and not is_bank_card(changed)


# --- phones, unit codes and amounts are never taken for them -------------------------------

PHONES = st.builds(
    lambda second, rest, shape: shape.format(f"1{second}{rest}"),
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
    st.sampled_from(
        ["{}", "+86{}", "+86 {}", "86{}", "0086{}", "0086 {}", "+86-{}", "{} ", "（+86）{}"]
    ),
)
SPACED_PHONES = st.text("0123456789", min_size=8, max_size=8).map(
    lambda d: f"13{d[0]} {d[1:5]} {d[5:]}0"
)


@PROPERTY
@given(st.one_of(PHONES, SPACED_PHONES, SPACED_PHONES.map(lambda p: p.replace(" ", "-"))))
def test_a_phone_is_never_an_id_or_a_card(phone):
    assert not is_id_card(phone) and not is_bank_card(phone)
    digits = "".join(c for c in phone if c.isdigit())
    assert not is_id_card(int(digits)) and not is_bank_card(int(digits))


@PROPERTY
@given(st.lists(st.one_of(PHONES, SPACED_PHONES), min_size=2, max_size=10))
def test_a_phone_column_is_never_sensitive(phones):
    for header in ("联系电话", "手机", "电话号码", "phone", "", "联系方式"):
        assert sensitive_kind(header, phones) is None


@PROPERTY
@given(
    st.lists(
        st.one_of(
            st.decimals(min_value=0, max_value=10**10, places=2).map(str),
            st.floats(min_value=0, max_value=1e10),
            st.integers(0, 10**12),
            st.from_regex(r"\A[A-Z][0-9]{1,2}-[0-9]{1,2}-[0-9]{3}\Z"),  # E2-2-201
            st.from_regex(r"\A[0-9]{1,2}栋[0-9]单元[0-9]{3,4}室\Z"),
        ),
        min_size=2,
        max_size=10,
    )
)
def test_amounts_and_unit_codes_are_never_sensitive(cells):
    assert sensitive_kind("", cells) is None


# --- columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("身份证号", ID_CARD),
        ("身份证", ID_CARD),
        ("身份证号码", ID_CARD),
        ("业主身份证号", ID_CARD),
        ("身份证号码（18位）", ID_CARD),
        ("证件号", ID_CARD),
        ("证件号码", ID_CARD),
        ("证件", ID_CARD),
        ("护照号码", ID_CARD),
        ("ID Card", ID_CARD),
        ("id_no", ID_CARD),
        ("IDNo.", ID_CARD),
        ("ID Number", ID_CARD),
        ("Passport No", ID_CARD),
        ("银行卡", BANK_CARD),
        ("银行卡号", BANK_CARD),
        ("卡号", BANK_CARD),
        ("银行账号", BANK_CARD),
        ("银行帐号", BANK_CARD),
        ("账号", BANK_CARD),
        ("帐号", BANK_CARD),
        ("开户行账号", BANK_CARD),
        ("代扣银行卡号", BANK_CARD),
        ("bankcard", BANK_CARD),
        ("Bank Card No.", BANK_CARD),
        ("Bank Account", BANK_CARD),
        ("Card Number", BANK_CARD),
        ("ｂａｎｋ ｃａｒｄ", BANK_CARD),
        # what an import needs is never taken
        ("房号", None),
        ("户号", None),
        ("业主", None),
        ("业主姓名", None),
        ("联系电话", None),
        ("手机号码", None),
        ("欠费金额", None),
        ("欠费周期", None),
        ("收据号", None),
        ("缴费账户", None),
        ("备注", None),
        ("ID", None),  # a row number as often as anything
        ("", None),
        (None, None),
    ],
)
def test_headers_by_their_meaning(header, kind):
    assert sensitive.header_kind(header) == kind
    assert sensitive_kind(header, []) == kind


def test_a_column_is_told_by_its_values_whatever_its_header():
    ids = [ID, make_id(serial=7), make_id("440305", serial=8)]
    cards = [CARD16, CARD19, make_card("621700000000000")]
    assert sensitive_kind("备注", ids) == ID_CARD
    assert sensitive_kind("联系电话", ids + [None, "", "  "]) == ID_CARD  # blanks do not count
    assert sensitive_kind("客户信息", cards) == BANK_CARD
    assert sensitive_kind("", [ID, make_id(serial=5), "C6-101", "x"]) == ID_CARD  # half
    assert sensitive_kind("", [float(ID[:15] + "000"), float(make_id(serial=9)[:15] + "000")])
    # At least two, and at least half.
    assert sensitive_kind("", [ID]) is None
    assert sensitive_kind("", [ID, None, None]) is None
    assert sensitive_kind("", [ID, "a", "b", "c", "d"]) is None
    assert sensitive_kind("", [ID, ID, "a", "b"]) == ID_CARD


def test_a_column_of_both_kinds_is_left_out_as_the_more_common():
    assert sensitive_kind("", [ID, ID_X, CARD16]) == ID_CARD
    assert sensitive_kind("", [ID, CARD16, CARD19]) == BANK_CARD


def test_each_kind_is_described_for_the_preview():
    assert describe_kind(ID_CARD) == "ID card numbers"
    assert describe_kind(BANK_CARD) == "bank card numbers"
    assert str(sensitive.NOT_IMPORTED) == (
        "not imported: sensitive personal information, not needed for collection"
    )
    with pytest.raises(KeyError):
        describe_kind("phone")
