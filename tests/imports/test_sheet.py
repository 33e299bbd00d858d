"""The sheet reader both imports share (imports.sheet), on a small field table of its own."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook

from imports import sheet
from imports.sheet import (
    OLE_MAGIC,
    CellError,
    CellProblem,
    EmptyCell,
    Field,
    SheetFileError,
    SheetFormat,
)


class DemoFileError(SheetFileError):
    pass


def required_note(value) -> str:
    if sheet.blank(value):
        raise EmptyCell("write what was agreed")
    return sheet.text(value)


FIELDS = (
    Field("unit", "房号", "房号 户号 unit unitcode", required=True, width=10),
    Field("month", "月份", "月份 欠费月份 month", required=True, parse=sheet.month, width=8),
    Field("amount", "金额", "金额 欠费金额 amount", parse=sheet.money, width=8),
    Field("note", "备注", ("备注", "note"), parse=required_note, width=20),
)
DEMO = SheetFormat(
    fields=FIELDS,
    error=DemoFileError,
    anchors=("unit",),
    max_bytes=200_000,
    max_rows=100,
    max_columns=10,
    too_big="The file is too big.",
    too_many_rows="More than %(n)d rows.",
    no_header="No header row found.",
    missing_columns="No column for: %(names)s.",
    skip=lambda values: sheet.text(values["unit"]).startswith("例："),
)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def xlsx(*rows) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


HEADER = ["房号", "月份", "金额", "备注"]


def test_the_header_is_found_below_title_rows():
    parsed = DEMO.read(
        xlsx(["华庭服务处 欠费明细"], [], ["制表：张三"], HEADER, ["C6-101", "2015-01", 180, "x"])
    )
    assert parsed.header_row == 4
    assert [(r.number, r.values["unit"]) for r in parsed.rows] == [(5, "C6-101")]
    assert parsed.shape == "template"  # every header is one of the table's template columns


def test_a_title_row_naming_fewer_than_three_fields_is_not_the_header():
    parsed = DEMO.read(xlsx(["房号", "说明"], HEADER, ["C6-101", "2015-01", 180, "x"]))
    assert parsed.header_row == 2


def test_headers_are_matched_by_their_aliases():
    headers = [" Unit Code ", "欠费月份", "金额（元）", "Note:", "收费员"]
    parsed = DEMO.read(xlsx(headers, ["C6-101", "2015-01", "¥1,234.5", "ok", "李四"]))
    assert parsed.columns == {
        "unit": "Unit Code",
        "month": "欠费月份",
        "amount": "金额（元）",
        "note": "Note:",
    }
    assert parsed.ignored == ["收费员"]
    assert parsed.shape == "flat"
    row = parsed.rows[0]
    assert row.extra == {"收费员": "李四"}  # a column no field names is kept as text
    assert row.read("amount") == Decimal("1234.50")
    assert row.read("month") == datetime.date(2015, 1, 1)


def test_the_first_column_naming_a_field_wins():
    parsed = DEMO.read(xlsx(["房号", "月份", "欠费金额", "金额"], ["C6-101", "2015-01", 1, 2]))
    assert parsed.columns["amount"] == "欠费金额"
    assert parsed.rows[0].values["amount"] == 1
    assert parsed.ignored == ["金额"]


def test_a_missing_required_column_is_named():
    with pytest.raises(DemoFileError, match="^No column for: 月份.$"):
        DEMO.read(xlsx(["房号", "金额", "备注"], ["C6-101", 180, "x"]))


def test_blank_rows_and_the_example_row_are_skipped():
    parsed = DEMO.read(
        xlsx(
            HEADER,
            ["例：C6-101", "2013-05", 1, "x"],
            ["C6-101", "2015-01", 180, "x"],
            [None, "  ", None, None],
            [],
            ["C6-102", "2015-02", 180, "x"],
        )
    )
    assert [(r.number, r.text("unit")) for r in parsed.rows] == [(3, "C6-101"), (6, "C6-102")]


def test_a_header_without_data_is_refused():
    with pytest.raises(DemoFileError, match="no rows of data"):
        DEMO.read(xlsx(HEADER, [None, None]))


def test_no_header_row_is_refused_with_the_imports_message():
    with pytest.raises(DemoFileError, match="^No header row found.$"):
        DEMO.read(xlsx(["甲", "乙", "丙"], ["1", "2", "3"]))


def test_a_cell_that_cannot_be_read_says_its_row_and_column():
    parsed = DEMO.read(xlsx(["title"], HEADER, ["C6-101", "2015-13", "-5", None]))
    row = parsed.rows[0]
    with pytest.raises(CellError) as month:
        row.read("month")
    assert (month.value.row, month.value.column) == (3, "月份")
    assert str(month.value) == "Row 3, column B (月份): “2015-13” is not a month like 2013-05."
    with pytest.raises(CellError) as amount:
        row.read("amount")
    assert amount.value.message.startswith("column 金额: -5 is negative")
    with pytest.raises(CellError) as note:
        row.read("note")
    assert note.value.empty
    assert note.value.message == "column 备注 is empty; write what was agreed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (13900000000.0, "13900000000"),  # a phone number typed as a number
        ("  C6-101 ", "C6-101"),
        (1.5, "1.5"),
    ],
)
def test_text(value, expected):
    assert sheet.text(value) == expected


def test_blank_and_norm():
    assert sheet.blank(None) and sheet.blank(" \t") and not sheet.blank(0)
    assert sheet.norm(" 建筑 面积（㎡）") == "建筑面积"
    assert sheet.norm("Responsible_Person:") == "responsibleperson"


@pytest.mark.parametrize(
    ("parse", "value", "expected"),
    [
        (sheet.month, "2013年5月", datetime.date(2013, 5, 1)),
        (sheet.month, "201305", datetime.date(2013, 5, 1)),
        (sheet.month, datetime.datetime(2013, 5, 17), datetime.date(2013, 5, 1)),
        (sheet.month, "", None),
        (sheet.count, "25个月", 25),
        (sheet.count, 25.0, 25),
        (sheet.money, "1,234.565元", Decimal("1234.57")),
        (sheet.money, None, None),
    ],
)
def test_the_shared_cell_parsers(parse, value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize(
    ("parse", "value"),
    [(sheet.month, 2013.1), (sheet.count, "two"), (sheet.money, "NaN"), (sheet.money, "abc")],
)
def test_the_shared_cell_parsers_refuse(parse, value):
    with pytest.raises(CellProblem):
        parse(value)


# --- hostile files ---------------------------------------------------------------------------


def test_a_file_that_is_not_a_zip_is_read_as_csv():
    parsed = DEMO.read(io.BytesIO("房号,月份,金额\nC6-101,2015-01,180\n".encode()))
    assert (parsed.kind, [r.values["unit"] for r in parsed.rows]) == ("csv", ["C6-101"])


def test_a_password_protected_or_xls_file_is_refused():
    with pytest.raises(DemoFileError, match="cannot be read"):
        DEMO.read(io.BytesIO(OLE_MAGIC + b"\x00" * 600))


def test_a_file_over_the_limit_is_refused_before_it_is_opened():
    with pytest.raises(DemoFileError, match="^The file is larger than"):
        DEMO.read(io.BytesIO(b"PK" + b"\x00" * DEMO.max_bytes))


def test_a_sheet_reaching_far_down_is_refused_without_reading_it_all():
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["C6-101", "2015-01", 180, "x"])
    book.active.cell(row=1_048_576, column=1, value="far away")  # the last row Excel has
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    with pytest.raises(DemoFileError, match="^The sheet has more than 100 rows"):
        DEMO.read(out)


def _with_dimension(ref: str) -> io.BytesIO:
    """A small workbook whose sheet claims to span `ref`."""
    source = zipfile.ZipFile(xlsx(HEADER, ["C6-101", "2015-01", 180, "x"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert ref.encode() in data
            target.writestr(item, data)
    out.seek(0)
    return out


def test_a_huge_declared_dimension_is_refused_before_loading():
    # A sheet that claims every row and column Excel has is refused from its <dimension>
    # (imports.files), with the reader's words, before anything is loaded.
    with pytest.raises(DemoFileError, match="more than"):
        DEMO.read(_with_dimension("A1:XFD1048576"))


def test_a_damaged_part_inside_the_zip_is_refused():
    source = zipfile.ZipFile(xlsx(HEADER, ["C6-101", "2015-01", 180, "x"]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the XML breaks off
            target.writestr(item, data)
    out.seek(0)
    with pytest.raises(DemoFileError, match="damaged"):
        DEMO.read(out)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_file_of_exactly_the_most_rows_of_data_is_read_below_a_title_and_header(kind):
    data = [[f"C6-{n}", "2015-01", 180, "x"] for n in range(100)]  # DEMO.max_rows
    rows = [["华庭服务处 缴费明细"], HEADER, *data]
    if kind == "xlsx":
        file = xlsx(*rows)
    else:
        file = io.BytesIO("\n".join(",".join(map(str, r)) for r in rows).encode("gb18030"))
    assert len(DEMO.read(file, name=f"f.{kind}").rows) == 100
    with pytest.raises(DemoFileError, match="^More than 100 rows"):  # the import's own words
        DEMO.read(xlsx(*rows, ["C6-999", "2015-01", 180, "x"]))
