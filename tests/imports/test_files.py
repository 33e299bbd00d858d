"""Opening uploads (imports.files): each kind, each limit, and the hostile files of issue 14.

Fixture files in tests/imports/files/ (small, committed, made once):
- libreoffice.xlsx and libreoffice.xls: a workbook written by openpyxl (Chinese headers, month
  dates, a blank row, SUM/product formulas, a second sheet) converted by LibreOffice 7.4
  (`libreoffice --headless --convert-to xlsx` / `--convert-to xls`), so they carry the formulas'
  cached values as a spreadsheet program writes them;
- password.xls: the same workbook saved by LibreOffice through UNO as "MS Excel 97" with the
  password "secret".
WPS cannot run here: no file saved by WPS is among them.

The hostile files are built here. Memory is measured, not assumed: the big ones are opened in
a child process whose peak resident size (ru_maxrss) is reported; the others under tracemalloc.
"""

import codecs
import datetime
import io
import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import Workbook

from imports.files import FileRefused, Limits, Table, column_letter, open_table

FILES = Path(__file__).parent / "files"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows(table: Table) -> list:
    return list(table.rows())


def refused(data, **kwargs) -> str:
    with pytest.raises(FileRefused) as caught:
        table = open_table(io.BytesIO(data) if isinstance(data, bytes) else data, **kwargs)
        rows(table)
    return str(caught.value)


# --- building workbooks by hand ------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def sheet_xml(rows_xml: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'


def strings_xml(*texts: str) -> str:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'


def xlsx(sheet: str | bytes, strings: str | None = None, **parts) -> bytes:
    """A minimal workbook with the given first sheet (and shared strings); `parts` adds or
    replaces members by name."""
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": strings if strings is not None else strings_xml(),
        **parts,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def openpyxl_xlsx(*rows_) -> bytes:
    book = Workbook()
    for row in rows_:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_zip(path: Path, members: list[tuple[str, list[bytes], int, int, int]]) -> None:
    """A zip written by hand from already-deflated members (name, compressed chunks, crc,
    declared size, method), so that a member may unpack to 1.5 GB without 1.5 GB being
    compressed here, or declare a size it does not have."""
    central, offset = [], 0
    with path.open("wb") as out:
        for name, chunks, crc, size, method in members:
            raw = name.encode()
            csize = sum(len(chunk) for chunk in chunks)
            header = struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, csize, size, len(raw), 0
            )
            out.write(header + raw)
            for chunk in chunks:
                out.write(chunk)
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    method,
                    0,
                    0x21,
                    crc,
                    csize,
                    size,
                    len(raw),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + raw
            )
            offset += len(header) + len(raw) + csize
        directory = b"".join(central)
        out.write(directory)
        out.write(
            struct.pack(
                "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0
            )
        )


def deflated(data: bytes) -> tuple[list[bytes], int, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return [packer.compress(data) + packer.flush()], zlib.crc32(data), len(data), 8


def repeated_deflate(head: bytes, block: bytes, times: int, tail: bytes):
    """`head + block * times + tail`, deflated without compressing it all: after a full flush
    the compressor starts afresh, so the block compresses to the same bytes each time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    packed = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * times + len(tail)
    return [first, *([packed] * times), last], crc, size, 8


def small_parts(strings: bool = True) -> list:
    parts = [
        ("[Content_Types].xml", *deflated(CONTENT_TYPES.encode())),
        ("_rels/.rels", *deflated(ROOT_RELS.encode())),
        ("xl/workbook.xml", *deflated(WORKBOOK.encode())),
        ("xl/_rels/workbook.xml.rels", *deflated(WORKBOOK_RELS.encode())),
    ]
    if strings:
        parts.append(("xl/sharedStrings.xml", *deflated(strings_xml("房号").encode())))
    return parts


# --- measuring in a child process ----------------------------------------------------------

# The peak is this process's own high-water mark (VmHWM, in kB), not getrusage's ru_maxrss:
# Linux keeps in ru_maxrss the RSS of the process it was forked from (a pytest worker that
# has run a browser test first is already over 300 MB), so that would measure the parent.
CHILD = """
import json, resource, sys, time

def high_water_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

import django
django.setup()
from django.utils import translation
from imports.files import FileRefused, Limits, open_table
translation.activate("en")
before = high_water_kb()
start = time.process_time()
try:
    with open(sys.argv[1], "rb") as upload:
        table = open_table(upload, limits=Limits(**json.loads(sys.argv[2])))
        count = sum(1 for _ in table.rows())
    outcome = "opened %d rows" % count
except FileRefused as exc:
    outcome = "refused: " + str(exc)
cpu = time.process_time() - start
peak = high_water_kb()
print(json.dumps({"outcome": outcome, "cpu": cpu, "peak_mb": peak / 1024, "growth_mb": (peak - before) / 1024}))
"""


def measured(path: Path, **limits) -> dict:
    """Open the file in a fresh process: what happened, its CPU seconds, and its peak memory."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), json.dumps(limits)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_bounded(result: dict) -> None:
    # The issue: a hostile file gets a clear message in under 5 s, and the process stays
    # under 300 MB (Django and the libraries themselves take about 60 MB of it).
    assert result["cpu"] < 5, result
    assert result["peak_mb"] < 300, result
    assert result["growth_mb"] < 100, result


def traced(data: bytes, **kwargs) -> tuple[str, float, int]:
    """(the refusal, CPU seconds, tracemalloc peak bytes) of opening `data` in this process."""
    tracemalloc.start()
    start = time.process_time()
    try:
        message = refused(data, **kwargs)
    finally:
        cpu = time.process_time() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return message, cpu, peak


# --- column letters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "letters"),
    [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
        (16383, "XFD"),
    ],
)
def test_column_letter_names_columns_as_spreadsheets_do(index, letters):
    assert column_letter(index) == letters


def test_column_letter_refuses_a_negative_index():
    with pytest.raises(ValueError):
        column_letter(-1)


# --- .xlsx ---------------------------------------------------------------------------------


def test_an_openpyxl_workbook_is_streamed_with_blank_rows_and_numbers_kept():
    data = openpyxl_xlsx(
        ["房号", "月份", "金额"],
        ["3-502", datetime.datetime(2013, 5, 1), 120.5],
        [],
        ["C6-101", None, 88],
    )
    table = open_table(io.BytesIO(data), name="台账.xlsx")
    assert table.kind == "xlsx"
    assert (table.row_count, table.column_count) == (4, 3)
    expected = [
        (1, ("房号", "月份", "金额")),
        (2, ("3-502", datetime.datetime(2013, 5, 1), 120.5)),
        (3, (None, None, None)),
        (4, ("C6-101", None, 88)),
    ]
    assert rows(table) == expected
    assert rows(table) == expected  # each call starts again from the top


def test_the_content_decides_not_the_name():
    data = openpyxl_xlsx(["房号"], ["3-502"])
    assert open_table(io.BytesIO(data), name="ledger.csv").kind == "xlsx"
    assert open_table(io.BytesIO("房号\n3-502\n".encode()), name="ledger.xls").kind == "csv"


def test_a_libreoffice_workbook_gives_dates_and_the_cached_values_of_formulas():
    table = open_table((FILES / "libreoffice.xlsx").open("rb"))
    got = rows(table)
    assert got[0] == (1, ("房号", "业主", "起始月份", "截止月份", "每月金额", "合计"))
    assert got[1] == (
        2,
        (
            "3-502",
            "张三",
            datetime.datetime(2013, 5, 1),
            datetime.datetime(2015, 5, 1),
            120.5,
            3012.5,
        ),
    )
    assert got[2][1][:2] == ("3栋1单元502室", "李四")
    assert got[2][1][5] == 2112  # =E3*24, as LibreOffice computed and stored it
    assert got[3] == (4, (None,) * 6)
    assert got[4][1][5] == 208.5  # =SUM(E2:E3)
    # (row as the sheet shows it, 0-based column) of each formula: F2, F3, F5
    assert table.formula_cells == {(2, 5), (3, 5), (5, 5)}


def test_formulas_without_a_cached_value_read_as_empty_and_are_flagged():
    # openpyxl writes formulas without computing them: nothing is evaluated here either.
    table = open_table(io.BytesIO(openpyxl_xlsx(["金额", "合计"], [3, "=A2*2"])))
    assert rows(table)[1] == (2, (3, None))
    assert table.formula_cells == {(2, 1)}


def test_formula_cells_recorded_are_capped():
    cells = "".join(
        f'<row r="{n}"><c r="A{n}"><f>1+1</f><v>2</v></c></row>' for n in range(1, 1500)
    )
    table = open_table(io.BytesIO(xlsx(sheet_xml(cells))))
    assert len(table.formula_cells) == 1000
    assert table.row_count == 1499


def test_shared_and_inline_strings_and_rows_without_numbers_are_read():
    sheet = sheet_xml(
        '<row><c t="s"><v>0</v></c><c t="inlineStr"><is><t>张三</t></is></c></row>'
        '<row r="3"><c r="B3"><v>1.5</v></c></row>'
    )
    table = open_table(io.BytesIO(xlsx(sheet, strings_xml("3-502"))))
    assert rows(table) == [(1, ("3-502", "张三")), (2, (None, None)), (3, (None, 1.5))]


def test_an_empty_sheet_has_no_rows():
    table = open_table(io.BytesIO(xlsx(sheet_xml(""))))
    assert (table.row_count, rows(table)) == (0, [])


# --- .xls ----------------------------------------------------------------------------------


def test_an_xls_from_libreoffice_gives_text_numbers_dates_and_cached_values():
    table = open_table((FILES / "libreoffice.xls").open("rb"), name="台账.xls")
    assert table.kind == "xls"
    got = rows(table)
    assert got[0] == (1, ("房号", "业主", "起始月份", "截止月份", "每月金额", "合计"))
    assert got[1] == (
        2,
        (
            "3-502",
            "张三",
            datetime.datetime(2013, 5, 1),
            datetime.datetime(2015, 5, 1),
            120.5,
            3012.5,
        ),
    )
    assert got[2][1][4:] == (88.0, 2112.0)
    assert got[3] == (4, (None,) * 6)
    assert got[4][1][0] == "C6-101"
    assert rows(table) == got


def test_an_xls_over_a_limit_is_refused():
    path = (FILES / "libreoffice.xls").read_bytes()
    assert "more than 4 rows" in refused(path, limits=Limits(max_rows=4))
    assert "more than 5 columns" in refused(path, limits=Limits(max_columns=5))
    assert "more than 20 filled cells" in refused(path, limits=Limits(max_cells=20))
    assert "more than 5 characters" in refused(path, limits=Limits(max_cell_chars=5))


def test_a_password_protected_xls_is_refused_with_what_to_do():
    message = refused((FILES / "password.xls").read_bytes())
    assert "password-protected" in message and "remove the password" in message


def ole_container(streams: dict[str, bytes]) -> bytes:
    """A compound file (as Office writes) holding the given streams of 4096 bytes or more,
    which live in regular sectors: enough for an Office-encrypted .xlsx's container."""
    sector = 512
    names = list(streams)
    chains, next_sector = [], 2  # sector 0: the FAT; sector 1: the directory
    for name in names:
        count = -(-len(streams[name]) // sector)
        chains.append((next_sector, count))
        next_sector += count
    fat = [0xFFFFFFFD, 0xFFFFFFFE]
    for start, count in chains:
        fat += [start + i + 1 for i in range(count - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))

    def entry(name, kind, left, right, child, start, size):
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), kind, 1, left, right, child)
            + b"\0" * 16
            + struct.pack("<I", 0)
            + b"\0" * 16
            + struct.pack("<III", start, size, 0)
        )

    none = 0xFFFFFFFF
    directory = entry("Root Entry", 5, none, none, 1, 0xFFFFFFFE, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else none
        directory += entry(name, 2, none, right, none, chains[i][0], len(streams[name]))
    directory = directory.ljust(sector, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<I", 0)
        + b"\xff" * 4 * 108
    )
    body = b"".join(
        streams[name].ljust(count * sector, b"\0")
        for name, (_s, count) in zip(names, chains, strict=True)
    )
    return header + struct.pack("<128I", *fat) + directory + body


def test_an_office_encrypted_xlsx_is_refused_with_what_to_do():
    container = ole_container(
        {"EncryptionInfo": b"\4\0\4\0" * 1024, "EncryptedPackage": os.urandom(8192)}
    )
    message = refused(container, name="台账.xlsx")
    assert "password-protected" in message and "remove the password" in message


def test_an_office_file_that_is_not_a_workbook_is_refused():
    message = refused(ole_container({"WordDocument": b"\0" * 4096}), name="x.xls")
    assert "not an Excel workbook" in message


# --- CSV -----------------------------------------------------------------------------------

CSV_TEXT = '房号,业主,金额\r\n3-502,张三,"1,234.50"\r\n\r\n3栋1单元502室,李四,88\r\n'
CSV_ROWS = [
    (1, ("房号", "业主", "金额")),
    (2, ("3-502", "张三", "1,234.50")),
    (3, ("", "", "")),
    (4, ("3栋1单元502室", "李四", "88")),
]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
        (CSV_TEXT.encode("gb18030"), "gb18030"),
        (CSV_TEXT.encode("gbk"), "gb18030"),  # what Excel on Chinese Windows saves
    ],
)
def test_csv_in_each_encoding_reads_the_chinese_text(data, encoding):
    table = open_table(io.BytesIO(data), name="台账.csv")
    assert (table.kind, table.encoding) == ("csv", encoding)
    assert rows(table) == CSV_ROWS
    assert rows(table) == CSV_ROWS


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_with_semicolons_or_tabs(delimiter):
    text = CSV_TEXT.replace(",", delimiter).replace('"1;234.50"', '"1,234.50"')
    text = text.replace('"1\t234.50"', '"1,234.50"')
    assert rows(open_table(io.BytesIO(text.encode()))) == CSV_ROWS


def test_csv_rows_are_padded_to_the_width_and_a_quoted_line_break_is_one_row():
    text = '房号,备注\n3-502,"两行\n备注",,,\n4-101\n'
    table = open_table(io.BytesIO(text.encode()))
    assert table.column_count == 2
    assert rows(table) == [(1, ("房号", "备注")), (2, ("3-502", "两行\n备注")), (3, ("4-101", ""))]


def test_csv_that_is_neither_utf8_nor_gb18030_is_refused():
    message = refused(b"\x80\x81\xff\xfe\xff" * 10, name="x.csv")
    assert "“x.csv” is not an Excel workbook" in message


def test_utf16_text_is_refused_with_what_to_save_instead():
    assert "CSV UTF-8" in refused(codecs.BOM_UTF16_LE + "房号\t金额".encode("utf-16-le"))


def test_csv_over_each_limit_is_refused():
    lines = "\n".join(",".join(f"{r}{c}" for c in range(5)) for r in range(10)).encode()
    assert "more than 9 rows" in refused(lines, limits=Limits(max_rows=9))
    assert "more than 4 columns" in refused(lines, limits=Limits(max_columns=4))
    assert "more than 40 filled cells" in refused(lines, limits=Limits(max_cells=40))
    assert "Cell A2 holds more than 2 characters" in refused(
        b"a\nabc\n", limits=Limits(max_cell_chars=2)
    )


def test_csv_trailing_empty_cells_do_not_count_as_columns():
    table = open_table(io.BytesIO(b"a,b" + b"," * 500 + b"\n1,2\n"))
    assert table.column_count == 2


def test_csv_a_line_of_millions_of_delimiters_is_refused_in_bounded_memory():
    message, cpu, peak = traced(b"a" + b"," * 9_000_000)
    assert "more than 60 columns" in message
    assert cpu < 5 and peak < 50 * MB, (cpu, peak)


def test_csv_a_cell_beyond_the_csv_modules_field_limit_is_refused():
    message = refused(b'a\n"' + b"x" * 200_000 + b"\n")
    assert "Row 2 of the CSV file cannot be read" in message


# --- bad files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "The file is empty"),
        (os.urandom(4096) + b"\0", "not an Excel workbook (.xlsx, .xls) or a CSV file"),
        (b"PK\x03\x04" + os.urandom(2000), "damaged"),
        (openpyxl_xlsx(["a"], [1])[:-200], "damaged"),  # truncated: no central directory
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
            "web page",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000), "old Excel workbook (.xls)"),
        (b"a,b\n1,\x002\n", "not an Excel workbook"),
    ],
    ids=[
        "empty",
        "random",
        "zip-random",
        "truncated",
        "html",
        "spreadsheetml",
        "ole-random",
        "nul",
    ],
)
def test_a_malformed_file_is_refused_with_a_message(data, says):
    assert says in refused(data, name="")


def zipped(**members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_is_refused():
    assert "zip archive but not an Excel workbook" in refused(zipped(notes__a_txt="hello"))
    assert "OpenDocument" in refused(
        zipped(mimetype="application/vnd.oasis.opendocument.spreadsheet")
    )
    assert ".xlsb" in refused(
        zipped(xl__workbook_bin="x").replace(b"workbook_bin", b"workbook.bin")
    )


@pytest.mark.parametrize(
    "sheet",
    [
        sheet_xml("<row><c><v>1</v></row>"),  # mismatched tag
        "<worksheet",  # cut short
        sheet_xml('<row><c r="1A"><v>1</v></c></row>'),  # not a cell reference
        sheet_xml('<row><c t="s"><v>7</v></c></row>'),  # a shared string that is not there
        sheet_xml('<row r="x"><c><v>1</v></c></row>'),
    ],
    ids=["mismatched", "truncated", "bad-ref", "bad-string-index", "bad-row"],
)
def test_malformed_xml_inside_a_sound_zip_is_refused(sheet):
    assert "damaged" in refused(xlsx(sheet))


def test_malformed_other_parts_are_refused():
    broken_styles = xlsx(
        sheet_xml("<row><c><v>1</v></c></row>"), **{"xl/styles.xml": "<styleSheet"}
    )
    assert "damaged" in refused(broken_styles)
    assert "damaged" in refused(xlsx(sheet_xml(""), strings="<sst><si>"))


def test_a_workbook_without_a_sheet_is_refused():
    data = zipped(**{"_rels__.rels": ROOT_RELS, "xl__workbook.xml": WORKBOOK})
    assert "no worksheet" in refused(data)


def test_a_dtd_is_refused_whatever_part_holds_it():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    )
    assert "document type declaration" in refused(xlsx(laughs + f'<worksheet xmlns="{MAIN}"/>'))
    assert "document type declaration" in refused(
        xlsx(sheet_xml(""), **{"xl/styles.xml": laughs + "<styleSheet/>"})
    )


def test_a_zip_member_that_lies_about_its_size_is_refused(tmp_path):
    # The sheet declares 2,000 bytes and unpacks to 50 MB: zipfile stops at the declared size
    # and the CRC no longer matches.
    head, tail = sheet_xml("").split("<sheetData></sheetData>")
    chunks, crc, size, method = repeated_deflate(
        (head + "<sheetData>").encode(), b"<row/>" * 10_000, 800, ("</sheetData>" + tail).encode()
    )
    path = tmp_path / "lying.xlsx"
    write_zip(path, [*small_parts(), ("xl/worksheets/sheet1.xml", chunks, crc, 2_000, method)])
    message, cpu, peak = traced(path.read_bytes())
    assert "damaged" in message
    assert cpu < 5 and peak < 50 * MB


# --- limits of an .xlsx --------------------------------------------------------------------


def numbers_sheet(rows_: int, columns: int, dimension: str = "") -> str:
    row = "".join(f"<c><v>{c}</v></c>" for c in range(columns))
    return sheet_xml("".join(f'<row r="{r}">{row}</row>' for r in range(1, rows_ + 1)), dimension)


def test_each_xlsx_limit_is_checked():
    data = xlsx(numbers_sheet(10, 5))
    assert open_table(io.BytesIO(data)).row_count == 10
    assert "more than 9 rows" in refused(data, limits=Limits(max_rows=9))
    assert "more than 4 columns" in refused(data, limits=Limits(max_columns=4))
    assert "more than 49 filled cells" in refused(data, limits=Limits(max_cells=49))
    assert "The file is larger than" in refused(data, limits=Limits(max_bytes=len(data) - 1))


def test_the_dimension_is_checked_before_any_row():
    # The rows themselves are few; the sheet says it spans 300,000 rows or 100 columns.
    assert "more than 200000 rows" in refused(xlsx(numbers_sheet(2, 2, "A1:B300000")))
    assert "more than 60 columns" in refused(xlsx(numbers_sheet(2, 2, "A1:CV2")))


def test_a_cell_far_down_or_far_right_counts_as_rows_and_columns():
    far_down = sheet_xml('<row r="250000"><c r="A250000"><v>1</v></c></row>')
    assert "more than 200000 rows" in refused(xlsx(far_down))
    far_right = sheet_xml('<row r="1"><c r="XFD1"><v>1</v></c></row>')
    assert "more than 60 columns" in refused(xlsx(far_right))


def test_empty_styled_cells_beyond_the_data_do_not_count():
    sheet = sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c><c r="Z1" s="3"/></row><row r="900000" s="2"/>'
    )
    table = open_table(io.BytesIO(xlsx(sheet)))
    assert (table.row_count, table.column_count) == (1, 1)
    assert rows(table) == [(1, (1,))]


def test_cell_text_length_is_checked_in_inline_shared_and_cached_text():
    long = "长" * 30
    inline = sheet_xml(f'<row><c r="B4" t="inlineStr"><is><t>{long}</t></is></c></row>')
    assert "Cell B1 holds more than 20 characters" in refused(
        xlsx(inline), limits=Limits(max_cell_chars=20)
    )
    shared = sheet_xml('<row r="3"><c r="C3" t="s"><v>1</v></c></row>')
    assert "Cell C3 holds more than 20" in refused(
        xlsx(shared, strings_xml("短", long)), limits=Limits(max_cell_chars=20)
    )
    cached = sheet_xml(f'<row><c t="str"><f>REPT("长",30)</f><v>{long}</v></c></row>')
    assert "more than 20 characters" in refused(xlsx(cached), limits=Limits(max_cell_chars=20))
    # A long shared string that no cell of the first sheet uses is not the import's business.
    unused = sheet_xml('<row><c t="s"><v>0</v></c></row>')
    assert open_table(
        io.BytesIO(xlsx(unused, strings_xml("短", long))), limits=Limits(max_cell_chars=20)
    )


def test_the_unpacked_and_shared_string_sizes_are_checked_from_the_zip():
    data = xlsx(numbers_sheet(200, 10), strings_xml(*["房号" * 50] * 300))
    assert "unpacks to more than 0 MB" in refused(data, limits=Limits(max_unpacked_bytes=50_000))
    assert "text unpacks to more than 0 MB" in refused(
        data, limits=Limits(max_shared_strings_bytes=50_000)
    )


def test_a_later_sheet_without_a_dimension_is_bounded_too():
    rels = WORKBOOK_RELS.replace(
        "</Relationships>",
        f'<Relationship Id="rId3" Type="{RELS}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>',
    )
    book = WORKBOOK.replace("</sheets>", '<sheet name="二" sheetId="2" r:id="rId3"/></sheets>')
    big_row = "<row>" + "<c><v>1</v></c>" * 100 + "</row>"
    data = xlsx(
        numbers_sheet(2, 2),
        **{
            "xl/_rels/workbook.xml.rels": rels,
            "xl/workbook.xml": book,
            "xl/worksheets/sheet2.xml": sheet_xml(big_row),
        },
    )
    assert "A sheet after the first one is too large" in refused(data)


# --- the hostile files of issue 14, measured -----------------------------------------------


def test_a_small_xlsx_with_one_row_of_three_million_cells_is_refused_fast(tmp_path):
    head, tail = sheet_xml("").split("<sheetData></sheetData>")
    chunks, crc, size, method = repeated_deflate(
        (head + "<sheetData><row>").encode(),
        b"<c><v>1</v></c>" * 1000,
        3000,
        ("</row></sheetData>" + tail).encode(),
    )
    path = tmp_path / "one-row.xlsx"
    write_zip(path, [*small_parts(), ("xl/worksheets/sheet1.xml", chunks, crc, size, method)])
    assert path.stat().st_size < 400_000  # the file was 155 KB
    result = measured(path)
    assert "more than 60 columns" in result["outcome"]
    assert_bounded(result)


def test_a_row_of_three_million_empty_cells_is_refused_fast(tmp_path):
    head, tail = sheet_xml("").split("<sheetData></sheetData>")
    chunks, crc, size, method = repeated_deflate(
        (head + "<sheetData><row>").encode(),
        b"<c/>" * 1000,
        3000,
        ("</row></sheetData>" + tail).encode(),
    )
    path = tmp_path / "empty-row.xlsx"
    write_zip(path, [*small_parts(), ("xl/worksheets/sheet1.xml", chunks, crc, size, method)])
    message, cpu, peak = traced(path.read_bytes())
    assert "damaged" in message
    assert cpu < 5 and peak < 50 * MB, (cpu, peak)


def test_a_3mb_file_holding_one_and_a_half_gigabytes_of_strings_is_refused(tmp_path):
    head = f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode()
    item = b"<si><t>" + b"x" * 1000 + b"</t></si>"
    chunks, crc, size, method = repeated_deflate(head, item * 1000, 1450, b"</sst>")
    path = tmp_path / "strings.xlsx"
    sheet = numbers_sheet(1, 1).encode()
    write_zip(
        path,
        [
            *small_parts(strings=False),
            ("xl/worksheets/sheet1.xml", *deflated(sheet)),
            ("xl/sharedStrings.xml", chunks, crc, size, method),
        ],
    )
    assert size > 1_450_000_000 and path.stat().st_size < 10 * MB
    result = measured(path)
    assert "text unpacks to more than 40 MB" in result["outcome"]
    assert_bounded(result)


def test_millions_of_short_shared_strings_are_refused_by_their_count(tmp_path):
    # 40 MB of one-letter strings (2.4 million) is under the size limit, but openpyxl would
    # hold each as an object: 330 MB and 31 s of CPU when measured. The table does not say how
    # many it holds (no uniqueCount): the scan counts them.
    head = f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode()
    chunks, crc, size, method = repeated_deflate(head, b"<si><t>x</t></si>" * 1000, 2400, b"</sst>")
    path = tmp_path / "many-strings.xlsx"
    sheet = sheet_xml('<row><c t="s"><v>1</v></c></row>').encode()
    write_zip(
        path,
        [
            *small_parts(strings=False),
            ("xl/worksheets/sheet1.xml", *deflated(sheet)),
            ("xl/sharedStrings.xml", chunks, crc, size, method),
        ],
    )
    assert size < 40 * MB
    result = measured(path)
    assert "more than 1000000 different texts" in result["outcome"]
    assert_bounded(result)


def test_a_declared_count_of_shared_strings_is_refused_at_once():
    strings = strings_xml("a").replace('uniqueCount="1"', 'uniqueCount="5000000"')
    message, cpu, peak = traced(xlsx(numbers_sheet(1, 1), strings))
    assert "more than 1000000 different texts" in message


def test_shared_strings_within_their_limits_are_read():
    sheet = sheet_xml('<row><c t="s"><v>2</v></c></row>')
    table = open_table(
        io.BytesIO(xlsx(sheet, strings_xml("a", "b", "c"))), limits=Limits(max_shared_strings=3)
    )
    assert rows(table) == [(1, ("c",))]
    assert "more than 2 different texts" in refused(
        xlsx(sheet, strings_xml("a", "b", "c")), limits=Limits(max_shared_strings=2)
    )


def test_malformed_xml_in_a_valid_xlsx_is_refused_in_bounded_memory():
    message, cpu, peak = traced(xlsx(numbers_sheet(3, 3).replace("</row>", "</rwo>", 1)))
    assert "damaged" in message
    assert cpu < 5 and peak < 50 * MB


def test_one_enormous_text_node_is_refused_after_the_cell_limit(tmp_path):
    head, tail = sheet_xml("").split("<sheetData></sheetData>")
    chunks, crc, size, method = repeated_deflate(
        (head + '<sheetData><row><c t="inlineStr"><is><t>').encode(),
        b"x" * 1_000_000,
        250,
        ("</t></is></c></row></sheetData>" + tail).encode(),
    )
    path = tmp_path / "long-text.xlsx"
    write_zip(path, [*small_parts(), ("xl/worksheets/sheet1.xml", chunks, crc, size, method)])
    message, cpu, peak = traced(path.read_bytes())
    assert "Cell A1 holds more than 2000 characters" in message
    assert cpu < 5 and peak < 50 * MB, (cpu, peak)


def test_a_big_sheet_within_the_limits_opens_and_streams_in_flat_memory(tmp_path):
    # 50,000 rows × 15 numbers, written without a <dimension> (openpyxl then parses the whole
    # sheet once more to size it). At the limits, 200,000 × 15, this was measured at 20 s of
    # CPU and 12 MB over the baseline (bench/read_files.py measures speed).
    head, tail = sheet_xml("").split("<sheetData></sheetData>")
    row = "<row>" + "".join(f"<c><v>{c}</v></c>" for c in range(15)) + "</row>"
    chunks, crc, size, method = repeated_deflate(
        (head + "<sheetData>").encode(), row.encode() * 1000, 50, ("</sheetData>" + tail).encode()
    )
    path = tmp_path / "big.xlsx"
    write_zip(path, [*small_parts(), ("xl/worksheets/sheet1.xml", chunks, crc, size, method)])
    result = measured(path)
    assert result["outcome"] == "opened 50000 rows"
    assert result["peak_mb"] < 300 and result["growth_mb"] < 50, result


def test_the_child_measures_its_own_peak_not_its_parents():
    """A parent already past the limit (as a pytest worker is after a browser test) does not
    count against the file's child process: Linux's ru_maxrss would report the parent's."""
    ballast = bytearray(320 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    code = CHILD.split("import django")[0] + "print(high_water_kb() / 1024)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    del ballast
    assert float(done.stdout) < 100, done.stdout + done.stderr
