"""The formula guard of every export: text a spreadsheet could run is written as text, and
the look-alikes of = + - @ (full-width, small, super- and subscript, the minus sign) count
the same as the ASCII characters."""

import pytest
from openpyxl import Workbook

from reports.exporters import TEXT, _value, cell_for, is_formula_like

LOOK_ALIKES = [
    '＝HYPERLINK("http://evil.invalid","点我")',  # full-width equals (U+FF1D)
    "＋86 139",  # full-width plus (U+FF0B)
    "－1+2",  # full-width hyphen-minus (U+FF0D)
    "＠SUM(A1:A2)",  # full-width commercial at (U+FF20)
    "﹦1+1",  # small equals sign (U+FE66)
    "﹢1",  # small plus sign (U+FE62)
    "﹣1",  # small hyphen-minus (U+FE63)
    "﹫SUM(A1)",  # small commercial at (U+FE6B)
    "⁼1+1",  # superscript equals (U+207C)
    "₌1+1",  # subscript equals (U+208C)
    "⁺1",  # superscript plus (U+207A)
    "⁻1",  # superscript minus (U+207B, folds to the minus sign)
    "₋1",  # subscript minus (U+208B)
    "−1+2",  # minus sign (U+2212)
    "‐1+2",  # hyphen (U+2010)
    "–1+2",  # en dash (U+2013)
    "—1+2",  # em dash (U+2014)
    " =1+1",  # a space before the equals sign
    "\u3000＝1+1",  # an ideographic space before it
    "\u200b=1+1",  # a zero-width space before it
    "\ufeff=1+1",  # a byte-order mark before it
]
ASCII = ['=HYPERLINK("x")', "+86", "-1", "@SUM(A1)", "\tTAB", "\rCR"]
ORDINARY = [
    "张静",
    "C6-101",
    "1+1",
    "A=B",
    "",
    "６栋-101",
    "Ｃ6-101",
    "（已结清）",
    "¥1,000",
    "名-1",
]


@pytest.mark.parametrize("text", ASCII + LOOK_ALIKES)
def test_each_start_is_formula_like(text):
    assert is_formula_like(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_not(text):
    assert not is_formula_like(text)


def test_numbers_and_nothing_are_not():
    assert not is_formula_like(None) and not is_formula_like(-1)


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_a_look_alike_is_written_as_text_with_its_quote_prefix(text):
    ws = Workbook(write_only=True).create_sheet()
    cell = cell_for(ws, text)
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", text, True)
    # The fast path of the streamed sheets gives it a cell of its own as well.
    fast = _value(ws, text, TEXT)
    assert not isinstance(fast, str) and fast.quotePrefix


@pytest.mark.parametrize("text", ORDINARY[:3])
def test_ordinary_text_takes_the_fast_path(text):
    assert _value(Workbook(write_only=True).create_sheet(), text, TEXT) == text
