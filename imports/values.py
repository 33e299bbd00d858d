"""Cell values as people type them into a spreadsheet, read into what the desk keeps.

Every import reads its cells through these functions: amounts, months, days, counts, unit
codes and whole arrears periods. Each takes what a cell holds — whatever a reader gives:
str, int, float, Decimal, date, datetime, bool or None — and returns the value, None for a
blank cell, or raises `CellProblem` with words that say what is wrong and what to write instead
(the words follow “column X: ”, and are translated).

What people type, and what each shape means here:

- Full-width characters (“２０１３－０５”, “１，２３４”, “Ｃ６－１０１”) are read as their
  half-width twins everywhere except in `text`, which keeps a value as written.
- Amounts: 1,234.50  ¥1234.5  ￥1,234  1234.5元  RMB 1234  人民币1234元整  1.2万 (= 12000.00);
  commas must group thousands (1,5 is refused: it may be 1.5 or 15); more than two decimals
  are rounded half-up to the fen; negative, NaN and Infinity are refused.
- Months and days: a date cell; text in the usual shapes (2013-05, 2013/5, 2013.05, 2013年5月,
  201305, 2015-08-15, 2015年8月15日, 20150815, a date with a time after it); and numbers:
    * an Excel date serial — a number of days since 1899-12-30 — is a whole number from 32874
      (1990-01-01) to 73415 (2100-12-31): a date cell whose format was lost (a CSV, a copy);
    * a six-digit 199001–210012 is a month written without separators (201305 → 2013-05) and an
      eight-digit 19900101–21001231 a day (20150815): no serial reaches 100000, so the two
      ranges never meet;
    * a number with a decimal part typed as a month (2013.05) is read when it can mean one
      month only: 2013.1 is refused, since 2013.10 typed into a number cell reads 2013.1
      (January or October cannot be told apart).
  Years outside 1990–2100 are refused: they are typing errors (0213, 2103) that would make
  thousands of months, and no property-fee arrears go back further.
- Unit codes are kept as written (3-502, 3栋502, 3栋1单元502室, C6-101), only trimmed,
  half-width, with inner spaces collapsed, dashes made “-” and Latin letters upper-case;
  `unit_code` says what it changed so the preview can show it.
- A whole arrears period in one cell: 2013年5月-2015年5月(25), 2013.5-2015.5, 201305-201505,
  2013/05~2015/05, 2015年1-5月, 2014年全年, with an optional stated count of months that is
  returned, not checked (the ledger import decides what a disagreement means).
- `NoShape`, a `CellProblem`, says a cell is in no shape the reader knows (words where a date
  was expected), as opposed to a known shape holding an impossible value (2015-02-30).
"""

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from arrears.money import CENT

FIRST_YEAR, LAST_YEAR = 1990, 2100
EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 is 1900-01-01 (after Excel's 1900 leap bug)
FIRST_SERIAL = (datetime.date(FIRST_YEAR, 1, 1) - EXCEL_EPOCH).days  # 32874
LAST_SERIAL = (datetime.date(LAST_YEAR, 12, 31) - EXCEL_EPOCH).days  # 73415
# Characters that trim with spaces: a zero-width space or a BOM pasted from a web page or a
# chat is invisible in the cell but would make two equal codes differ.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# Dashes a word processor or an input method puts where a “-” was meant.
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"


class CellProblem(ValueError):
    """What is wrong with one cell, in words that follow “column X: ”."""


class EmptyCell(CellProblem):
    """A cell that must be filled is empty; the words follow “column X is empty; ”."""


class NoShape(CellProblem):
    """The cell is not written in any shape the reader knows (words where a date was
    expected, say), as opposed to a shape it knows holding an impossible value (2015-02-30).
    A reader that keeps such words as a note (a planned date of 已打报告) catches this one."""


# --- text ----------------------------------------------------------------------------------

_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20,  # ideographic space
    0xFFE0: 0xA2,  # ￠
    0xFFE1: 0xA3,  # ￡
    0xFFE5: 0xA5,  # ￥
}


def halfwidth(value: str) -> str:
    """Full-width digits, letters, punctuation and spaces as their half-width twins
    (“２０１３－０５” → “2013-05”); everything else (Chinese characters, 。、) unchanged."""
    return value.translate(_HALFWIDTH)


def _trim(value: str) -> str:
    return value.strip().strip(INVISIBLE).strip()


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not _trim(value))


def text(value) -> str:
    """The cell as written, trimmed; a whole number typed into a number cell without its “.0”
    (a phone number, a unit number)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _trim(str(value))


def _plain(value) -> str:
    """Text as the readers compare it: trimmed, half-width."""
    return _trim(halfwidth(text(value)))


def unit_code(value) -> tuple[str, str]:
    """(the code to store, what was changed to get it — "" when it is kept as written).

    Codes are kept as the office writes them (3-502, 3栋502, 3栋1单元502室, C6-101); only
    what makes two writings of one code differ is changed: full-width characters, runs of
    spaces, dashes other than “-”, lower-case Latin letters."""
    written = text(value)
    code, changes = halfwidth(written), []
    if code != written:
        changes.append(_("full-width characters made half-width"))
    collapsed = re.sub(r"\s+", " ", code)
    if collapsed != code:
        changes.append(_("spaces collapsed"))
    dashed = collapsed.translate({ord(d): "-" for d in DASHES})
    if dashed != collapsed:
        changes.append(_("dashes written as “-”"))
    upper = re.sub(r"[a-z]+", lambda m: m.group().upper(), dashed)
    if upper != dashed:
        changes.append(_("letters made upper-case"))
    return upper, "; ".join(changes)


# --- amounts -------------------------------------------------------------------------------

CURRENCY_RE = re.compile(r"^(?:人民币|rmb|cny|¥)?(.*?)(?:元整|圆整|元|圆|rmb|cny)?$", re.IGNORECASE)
NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$", re.IGNORECASE)
GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
MINUS = "\u2212\ufe63"  # the minus sign (−) and the small hyphen-minus (﹣), typed for “-”


def money(value, *, negative_ok: bool = False, exact: bool = False) -> Decimal | None:
    """An amount in yuan, to the fen. `exact`: more than two decimals are refused rather than
    rounded (a payment received is never rounded)."""
    if blank(value):
        return None
    amount = _amount(value)
    if amount == 0:
        amount = abs(amount)  # “-0” is 0.00, not −0.00
    if amount < 0 and not negative_ok:
        raise CellProblem(
            _("%(value)s is negative; write an amount of 0 or more, like 1234.50")
            % {"value": _number_text(value)}
        )
    if exact and amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise CellProblem(
            _("%(value)s has more than two decimal places; round it to the fen")
            % {"value": _number_text(value)}
        )
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _number_text(value) -> str:
    if isinstance(value, float):
        return repr(value)
    return text(value)


def _not_a_number(value) -> CellProblem:
    return NoShape(
        _("“%(value)s” is not a number; write the amount in yuan, like 1234.50")
        % {"value": text(value)}
    )


def _amount(value) -> Decimal:
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        # The shortest text that reads back as this float, as the cell shows it: 1234.565
        # stays 1234.565 (Decimal(1234.565) would be 1234.56499…, rounding down).
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        amount = _amount_text(value)
    else:
        raise _not_a_number(value)
    if not amount.is_finite():
        raise _not_a_number(value)
    if amount.adjusted() > 20:  # no amount has 21 digits; Decimal could not round it to the fen
        raise CellProblem(
            _("%(value)s is too large for an amount; check the cell") % {"value": text(value)}
        )
    return amount


def _amount_text(value: str) -> Decimal:
    words = halfwidth(value).translate({ord(c): "-" for c in MINUS})
    words = re.sub(r"\s+", "", _trim(words))
    sign = ""
    if words[:1] in "+-" and words[1:2] not in "0123456789.":  # -¥5, -RMB 5
        sign, words = words[:1], words[1:]
    words = CURRENCY_RE.match(words).group(1)
    scale = 1
    if words.endswith("万"):
        scale, words = 10_000, words[:-1]
    words = sign + words
    if "," in words:
        if not GROUPED_RE.match(words):
            raise NoShape(
                _(
                    "“%(value)s” is not a number; write the amount without commas, or with a "
                    "comma every three digits, like 1,234.50"
                )
                % {"value": _trim(value)}
            )
        words = words.replace(",", "")
    if not NUMBER_RE.match(words):
        raise _not_a_number(value)
    try:
        amount = Decimal(words)
    except InvalidOperation as exc:
        raise _not_a_number(value) from exc
    # Scaled only when it fits, so that 1e999999万 is “too large”, not Decimal's Overflow.
    return amount * scale if amount.adjusted() <= 20 else amount


# --- counts --------------------------------------------------------------------------------

COUNT_RE = re.compile(r"^[(\[]?\s*共?\s*(\d+)(?:\.0+)?\s*(?:个月|个|月|期)?\s*[)\]]?$")


def count(value) -> int | None:
    """A whole number of 0 or more, such as a count of months (25, “25个月”, “共25个月”, “(25)”)."""
    if blank(value):
        return None
    whole = _whole(value)
    if whole is not None and whole >= 0:
        return whole
    if isinstance(value, str):
        match = COUNT_RE.match(_plain(value))
        if match:
            return int(match.group(1))
    raise NoShape(
        _("“%(value)s” is not a whole number; write it in digits, like 25")
        % {"value": _number_text(value)}
    )


# --- months and days -----------------------------------------------------------------------

_SEP = r"\s*[-/.]\s*"
_TIME = r"(?:\s*(?:T|\s)\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?"
DAY_RES = (
    # 2015-08-15, 2015/8/15, 2015.8.15, 2015年8月15日, each with an optional time after it
    re.compile(
        rf"^(\d{{4}})\s*(?:{_SEP}|年\s*)(\d{{1,2}})\s*(?:{_SEP}|月\s*)(\d{{1,2}})\s*[日号]?{_TIME}$"
    ),
    re.compile(rf"^(\d{{4}})(\d{{2}})(\d{{2}}){_TIME}$"),  # 20150815
)
MONTH_RES = (
    re.compile(rf"^(\d{{4}})\s*(?:{_SEP}|年\s*)(\d{{1,2}})\s*月?(?:份)?$"),  # 2013-05 2013年5月
    re.compile(r"^(\d{4})(\d{2})$"),  # 201305
)
MONTH_FIRST_RE = re.compile(r"^(\d{1,2})\s*[-/]\s*(\d{4})$")  # 05/2013, as some exports write it


@lru_cache(maxsize=4096)  # a ledger repeats a few dozen months over thousands of rows
def _month_text(words: str) -> tuple[int, int] | None:
    """(year, month) in a text cell, or None when it is no month's shape. A day is read as
    its month."""
    for pattern in MONTH_RES + DAY_RES:
        match = pattern.match(words)
        if match:
            return int(match.group(1)), int(match.group(2))
    match = MONTH_FIRST_RE.match(words)
    if match:
        return int(match.group(2)), int(match.group(1))
    return None


@lru_cache(maxsize=4096)
def _day_text(words: str) -> tuple[int, int, int] | None:
    for pattern in DAY_RES:
        match = pattern.match(words)
        if match:
            return int(match.group(1)), int(match.group(2)), int(match.group(3))
    return None


def _check_year(year: int, written: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CellProblem(
            _("in “%(value)s” the year %(year)d is not between %(first)d and %(last)d; check it")
            % {"value": written, "year": year, "first": FIRST_YEAR, "last": LAST_YEAR}
        )


def _whole(value) -> int | None:
    """A number cell's whole value, or None when it has a decimal part or is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return int(value) if value == int(value) else None
    except (OverflowError, ValueError):  # infinity, NaN
        return None


def _serial(number: int) -> datetime.date | None:
    if FIRST_SERIAL <= number <= LAST_SERIAL:
        return EXCEL_EPOCH + datetime.timedelta(days=number)
    return None


def month(value) -> datetime.date | None:
    """The first day of the month a cell names (see the module's notes for the shapes)."""
    if blank(value):
        return None
    if isinstance(value, datetime.date):  # a datetime is a date too
        _check_year(value.year, str(value))
        return datetime.date(value.year, value.month, 1)
    if isinstance(value, str):
        return _month_of(value)
    whole = _whole(value)
    if whole is not None:
        if (found := _serial(whole)) is not None:
            return found.replace(day=1)
        digits = str(whole)
        if len(digits) in (6, 8):  # 201305, 20130517
            return _month_of(digits)
    elif isinstance(value, float) and 1000 <= value < 10000:
        return _decimal_month(value)
    raise NoShape(_not_a_month(_number_text(value)))


def _not_a_month(written: str) -> str:
    return _("“%(value)s” is not a month like 2013-05") % {"value": written}


def _month_of(value: str) -> datetime.date:
    words = _plain(value)
    found = _month_text(words)
    if found is None:
        raise NoShape(_not_a_month(_trim(value)))
    year, number = found
    if not 1 <= number <= 12:
        raise CellProblem(_not_a_month(_trim(value)))
    _check_year(year, _trim(value))
    return datetime.date(year, number, 1)


def _decimal_month(value: float) -> datetime.date:
    """2013.05 typed into a number cell: a month when the decimals can mean one month only."""
    year, _dot, decimals = repr(value).partition(".")
    if decimals == "1":  # 2013.1 or 2013.10
        raise CellProblem(
            _(
                "%(value)s may be %(year)s-01 or %(year)s-10; write the month as text "
                "like %(year)s-10"
            )
            % {"value": repr(value), "year": year}
        )
    if len(decimals) <= 2 and 1 <= int(decimals) <= 12:
        return _month_of(f"{year}-{decimals}")
    raise CellProblem(_("write the month as text like 2013-05"))


def day(value) -> datetime.date | None:
    """A date: a date cell, an Excel serial (a time of day in it is dropped), 2015-08-15,
    2015/8/15, 2015.8.15, 2015年8月15日, 20150815, or any of these with a time after it."""
    if blank(value):
        return None
    if isinstance(value, datetime.date):
        _check_year(value.year, str(value))
        return value.date() if isinstance(value, datetime.datetime) else value
    if isinstance(value, str):
        return _day_of(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        whole = _whole(value)
        if whole is None and value == value and abs(value) < LAST_SERIAL + 1:
            whole = int(value)  # a serial with a time of day: 42000.75 is 42000 at 18:00
        if whole is not None:
            if (found := _serial(whole)) is not None:
                return found
            if len(str(whole)) == 8:  # 20150815
                return _day_of(str(whole))
    raise NoShape(_not_a_day(_number_text(value)))


def _not_a_day(written: str) -> str:
    return _("“%(value)s” is not a date; write it like 2015-08-15") % {"value": written}


def _day_of(value: str) -> datetime.date:
    found = _day_text(_plain(value))
    if found is None:
        raise NoShape(_not_a_day(_trim(value)))
    _check_year(found[0], _trim(value))
    try:
        return datetime.date(*found)
    except ValueError as exc:  # 2015-02-30
        raise CellProblem(_not_a_day(_trim(value))) from exc


# --- a whole period in one cell -----------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An arrears period written in one cell: its first and last months, and the count of
    months written with it, if any (`stated`, as written: it may disagree with the range)."""

    first: datetime.date
    last: datetime.date
    stated: int | None = None

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def describe(self) -> str:
        """How the cell was read, for the preview: “2013-05 — 2015-05, 25 months”."""
        values = {"first": f"{self.first:%Y-%m}", "last": f"{self.last:%Y-%m}", "n": self.months}
        if self.stated is None or self.stated == self.months:
            return (
                ngettext(
                    "%(first)s — %(last)s, %(n)d month",
                    "%(first)s — %(last)s, %(n)d months",
                    self.months,
                )
                % values
            )
        return ngettext(
            "%(first)s — %(last)s, %(n)d month (%(stated)d stated)",
            "%(first)s — %(last)s, %(n)d months (%(stated)d stated)",
            self.months,
        ) % (values | {"stated": self.stated})


# What stands between the two months: dashes of every width, tildes, 至 and 到 (“to”).
RANGE_SEP_RE = re.compile(r"\s*(?:-{1,2}|~|〜|至|到|\bto\b)\s*", re.IGNORECASE)
# The count written after the range: (25) （25个月） (共25个月) 共25个月 , 25个月
STATED_RES = (
    re.compile(r"[(\[]\s*共?\s*(\d+)\s*(?:个月|个|月|期)?\s*[)\]]$"),
    re.compile(r"[\s,;、]*共\s*(\d+)\s*(?:个月|个|月|期)$"),
    re.compile(r"(?:[\s,;、]+|(?<=月))(\d+)\s*个月$"),
)
# 2015年1-5月, 2015年1月-5月, 2015年1月至5月: both months in one year.
ONE_YEAR_RE = re.compile(
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月?\s*(?:-{1,2}|~|〜|至|到)\s*(\d{1,2})\s*月$"
)
WHOLE_YEAR_RE = re.compile(r"^(\d{4})\s*年?\s*(?:全年|整年)$")  # 2014年全年: its twelve months
UNTIL_NOW = ("至今", "到今", "今", "现在", "至现在", "now")
PERIOD_EXAMPLE = "2013-05—2015-05"


def period(value) -> Period | None:
    """A whole arrears period in one cell (see the module's notes); one month alone is a
    period of that month."""
    if blank(value):
        return None
    if not isinstance(value, str):
        single = month(value)
        return Period(single, single)
    written = _trim(value)
    words = _plain(value).translate({ord(c): "-" for c in DASHES})  # （，～ are half-width now
    stated = None
    for pattern in STATED_RES:
        match = pattern.search(words)
        if match:
            stated, words = int(match.group(1)), words[: match.start()].rstrip(" ,;、")
            break
    # 自2013年5月起至2015年5月止: the words around the months say nothing more.
    words = re.sub(r"^[自从]\s*|\s*止$|\s*起(?=\s*(?:-|~|〜|至|到))", "", words)
    first, last = _range(words, written)
    if last < first:
        raise CellProblem(
            _(
                "the period “%(value)s” ends (%(last)s) before it starts (%(first)s); write the "
                "first month first, like %(example)s"
            )
            % {
                "value": written,
                "first": f"{first:%Y-%m}",
                "last": f"{last:%Y-%m}",
                "example": PERIOD_EXAMPLE,
            }
        )
    return Period(first, last, stated)


def _range(words: str, written: str) -> tuple[datetime.date, datetime.date]:
    """The two months of a range. A “-” may separate the months and also sit inside each of
    them (2013-05-2015-05): every place a separator stands is tried, and the range is read
    when exactly one reading gives two months."""
    match = WHOLE_YEAR_RE.match(words)
    if match:
        return _month_of(f"{match.group(1)}-01"), _month_of(f"{match.group(1)}-12")
    match = ONE_YEAR_RE.match(words)
    if match:
        year, first, last = (int(g) for g in match.groups())
        return _month_of(f"{year}-{first}"), _month_of(f"{year}-{last}")
    readings, problems = set(), []
    for sep in RANGE_SEP_RE.finditer(words):
        left, right = words[: sep.start()], words[sep.end() :]
        if right.strip().lower() in UNTIL_NOW:
            raise CellProblem(
                _("“%(value)s” has no last month; write the last month owed, like %(example)s")
                % {"value": written, "example": PERIOD_EXAMPLE}
            )
        try:
            readings.add((_month_of(left), _month_of(right)))
        except NoShape:
            continue
        except CellProblem as exc:  # a month's shape with an impossible month: 2013-13
            problems.append(exc)
    if len(readings) == 1:
        return readings.pop()
    if not readings and problems:
        raise problems[0]
    if not readings and _month_text(words) is not None:
        single = _month_of(words)  # one month alone
        return single, single
    raise NoShape(
        _(
            "“%(value)s” is not a period; write the first and last months like %(example)s "
            "or 2013年5月-2015年5月, with the number of months in brackets if you like: (25)"
        )
        % {"value": written, "example": PERIOD_EXAMPLE}
    )
