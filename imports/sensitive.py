"""Columns an import must leave out: ID card and bank card numbers (PIPL art. 6 and 28).

Collecting arrears needs a unit, an owner's name, a phone and the months owed; it does not
need an owner's identity document or bank card. Under the Personal Information Protection
Law collection is limited to what the purpose needs (art. 6), and these numbers are sensitive
personal information (art. 28): an import recognises such a column, never reads it into its
rows, and tells the user it was left out.

A column is recognised by its header's meaning (身份证号, 证件号码, 银行卡号, 卡号, 账号 …) or,
whatever its header says, by the shape of its values: at least half of the non-blank sample
values, and at least two, are ID card numbers or bank card numbers.

- An ID card number: 18 characters, 17 digits and a check character (a digit or X) that
  satisfies GB 11643's ISO 7064 MOD 11-2 check, with a known region code and a plausible
  birth date; or the old 15-digit number (region, YYMMDD birth date, 3 digits). A number cell
  holding an 18-digit ID has lost its last three digits to Excel's 15-digit precision
  (110101199003072000): it is still recognised by its region and birth date.
- A bank card number: 16–19 digits, grouped by spaces or dashes if at all, passing the Luhn
  check, starting as issuers' numbers do (3, 4, 5, 6 or 9; 2221–2720). The prefix keeps
  receipt and order numbers, which often start with a year (2015…), from being taken for
  cards one time in ten by Luhn's chance.
- Phones (11 digits starting with 1, with +86, spaces or dashes), unit codes and amounts are
  never either: too short, or not digits.
"""

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.values import blank, halfwidth, text

ID_CARD, BANK_CARD = "id_card", "bank_card"

# Headers, compared after `_header_words` (half-width, lower case, no spaces, brackets or
# punctuation). A header equal to one of SENSITIVE_HEADERS, or containing one of the
# CONTAINED words, names such a column: 业主身份证号 and 身份证号码(18位) as much as 身份证.
SENSITIVE_HEADERS: dict[str, str] = {
    **dict.fromkeys(
        (
            "身份证",
            "身份证号",
            "身份证号码",
            "证件号",
            "证件号码",
            "证件",
            "身份号码",
            "公民身份号码",
            "护照号",
            "护照号码",
            "idcard",
            "idno",
            "idnumber",
            "idcardno",
            "idcardnumber",
            "identitycard",
            "identitynumber",
            "passport",
            "passportno",
        ),
        ID_CARD,
    ),
    **dict.fromkeys(
        (
            "银行卡",
            "银行卡号",
            "卡号",
            "银行账号",
            "银行帐号",
            "账号",
            "帐号",
            "开户行账号",
            "开户账号",
            "银行账户",
            "收款账号",
            "付款账号",
            "bankcard",
            "bankcardno",
            "bankaccount",
            "bankaccountno",
            "cardno",
            "cardnumber",
            "accountno",
            "accountnumber",
        ),
        BANK_CARD,
    ),
}
CONTAINED: dict[str, str] = {
    "身份证": ID_CARD,
    "证件号": ID_CARD,
    "身份号码": ID_CARD,
    "护照": ID_CARD,
    "idcard": ID_CARD,
    "passport": ID_CARD,
    "银行卡": BANK_CARD,
    "卡号": BANK_CARD,
    "银行账": BANK_CARD,
    "银行帐": BANK_CARD,
    "开户行": BANK_CARD,
    "开户账": BANK_CARD,
    "bankcard": BANK_CARD,
    "bankaccount": BANK_CARD,
    "cardno": BANK_CARD,
}
NOT_IMPORTED = gettext_lazy(
    "not imported: sensitive personal information, not needed for collection"
)

# GB 11643 / GB 2260: the first two digits name the province (11 Beijing … 65 Xinjiang),
# 71 Taiwan, 81 Hong Kong, 82 Macau, 83 residence permits of Taiwan residents, and an
# 18-digit number starting with 9 is the foreigners' permanent residence card of 2023.
REGIONS = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
    | set(range(91, 100))
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # the check character for each remainder of the weighted sum mod 11
CARD_RE = re.compile(r"^[0-9]+(?:[ -][0-9]+)*$")
ID_RE = re.compile(r"^[0-9]{17}[0-9Xx]$")
OLD_ID_RE = re.compile(r"^[0-9]{15}$")
# What people wrap a long number in to stop Excel turning it into 1.10101E+17:
# '110101…, `110101…, ="110101…", or a tab before it in a CSV.
WRAPPED_RE = re.compile(r'^(?:[\'`]|="?)?(.*?)"?$')


def id_check_character(first17: str) -> str:
    """The 18th character of an ID card number whose first 17 digits are given."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        n = int(digit)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _written(value) -> str:
    """The cell as a string of what was typed, unwrapped and half-width."""
    words = halfwidth(text(value))
    return WRAPPED_RE.match(words).group(1).strip()


def _born(year: int, month: int, day: int) -> bool:
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= born <= datetime.date.today()


def is_id_card(value) -> bool:
    """An 18-character ID card number with a valid check character, a known region and a
    plausible birth date, or an old 15-digit one (region and birth date checked)."""
    if blank(value) or isinstance(value, bool):
        return False
    number = _whole_number(value) if isinstance(value, int | float) else None
    if number is not None and len(str(number)) == 18 and _id_head(str(number)):
        return True  # an ID typed into a number cell: its check digit is lost to precision
    words = _written(value).replace(" ", "")
    if ID_RE.match(words):
        return _id_head(words) and id_check_character(words[:17]) == words[17].upper()
    if OLD_ID_RE.match(words):
        return int(words[:2]) in REGIONS and _born(
            1900 + int(words[6:8]), int(words[8:10]), int(words[10:12])
        )
    return False


def _id_head(digits: str) -> bool:
    """Region and birth date of an 18-digit number (foreigners' cards of 2023 carry the
    birth date in the same place)."""
    return int(digits[:2]) in REGIONS and _born(
        int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    )


def _whole_number(value: int | float) -> int | None:
    """A number cell's value as the digits it shows: a float through its shortest text, so
    that 1.10101199003072e17 is 110101199003072000, not the nearest binary neighbour."""
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return int(number) if number == number.to_integral_value() and number > 0 else None
    except (InvalidOperation, OverflowError, ValueError):  # NaN, infinity
        return None


def _issuer_prefix(digits: str) -> bool:
    return digits[0] in "34569" or 2221 <= int(digits[:4]) <= 2720


def is_bank_card(value) -> bool:
    """16–19 digits (spaces or dashes between groups allowed) passing Luhn, with an issuer's
    prefix."""
    if blank(value) or isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        number = _whole_number(value)
        if number is None:
            return False
        digits = str(number)
        # Typed into a number cell, Excel kept 15 digits: the check digit is lost.
        lost = len(digits) >= 16 and len(digits.rstrip("0")) <= 15
        if lost and len(digits) <= 19 and _issuer_prefix(digits):
            return True
    else:
        words = _written(value)
        if not CARD_RE.match(words):
            return False
        digits = re.sub(r"[ -]", "", words)
    return 16 <= len(digits) <= 19 and _issuer_prefix(digits) and luhn_ok(digits)


def _header_words(header) -> str:
    words = halfwidth(text(header)).lower()
    words = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", words)  # 身份证号(18位)
    return re.sub(r"[\s_\-.:/#*]", "", words)


def header_kind(header) -> str | None:
    """What a header says its column holds: ID_CARD, BANK_CARD or None."""
    words = _header_words(header)
    if not words:
        return None
    found = SENSITIVE_HEADERS.get(words)
    if found:
        return found
    for word, kind in CONTAINED.items():
        if word in words:
            return kind
    return None


def sensitive_kind(header: str, values: Sequence) -> str | None:
    """ID_CARD, BANK_CARD or None for a column: by its header's meaning, else by the shape of
    its sample values (at least half of the non-blank ones, and at least two)."""
    kind = header_kind(header)
    if kind:
        return kind
    filled = [v for v in values if not blank(v)]
    ids = sum(1 for v in filled if is_id_card(v))
    cards = sum(1 for v in filled if is_bank_card(v))
    for kind, found in sorted(((ID_CARD, ids), (BANK_CARD, cards)), key=lambda k: -k[1]):
        if found >= 2 and found * 2 >= len(filled):
            return kind
    return None


def describe_kind(kind: str) -> str:
    """What such a column holds, for the preview: “ID card numbers”."""
    names = {ID_CARD: _("ID card numbers"), BANK_CARD: _("bank card numbers")}
    return names[kind]
