"""Opening an upload as a table of rows, whatever the office saved it as, within limits.

An office uploads what it has: an .xlsx from Excel, WPS or LibreOffice, an .xls from older Excel
or WPS, a CSV in UTF-8 or in GB18030/GBK (what Excel writes on Chinese Windows). `open_table`
looks at the content, not the name, and answers a `Table` whose `rows()` streams
`(row number as the spreadsheet shows it, values)`.

Every limit is checked BEFORE the file is loaded, because the libraries that load them build
whole structures first: openpyxl's read-only mode builds a complete row before it yields it (a
155 KB .xlsx holding one 3,000,000-cell row took a worker to 2 GB), and it reads the whole
shared-string table into a list (a 3.3 MB file may unpack to 1.5 GB of strings). So an .xlsx is
checked in this order, each step refusing as soon as a limit is passed:

1. the zip: the members' declared unpacked sizes (zipfile never hands out more than a member
   declares, and a member whose data disagrees with its declaration fails its CRC check: a zip
   that lies is refused, not trusted);
2. the first sheet, found through the workbook's relationships, and its `<dimension>`;
3. a streaming pass over the shared strings and then the sheet XML with expat: rows, cells per
   row, cells, each cell's text, formula cells recorded. expat's handlers see the text in pieces,
   so even one enormous text node is refused after `max_cell_chars` characters, with nothing
   built (an ElementTree iterparse would join the whole text node before we could look at it).

Any malformed file is refused with `FileRefused`, whose message says what to do; no other
exception leaves this module, because third-party parsers meeting a damaged file raise almost
anything (KeyError, struct.error, AssertionError ...).
"""

import codecs
import csv
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

import xlrd
from django.utils.translation import gettext as _
from openpyxl import load_workbook

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
CHUNK = 64 * 1024
# What a spreadsheet program can hold at all: anything beyond is not a real sheet.
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_ROWS = 1_048_576
MAX_FORMULA_CELLS = 1_000  # enough to warn about; a sheet of formulas is reported as such
MAX_ZIP_MEMBERS = 10_000
CSV_SAMPLE_CHARS = 8_192  # csv.Sniffer's regular expressions are slow on long samples
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, LF, FF and CR are text
MARKUP_START = re.compile(r"^\s*<(?:!doctype|html|\?xml|table|head|body|meta|!--)", re.IGNORECASE)
CELL_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
DIGITS = "0123456789"
RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PURL_RELS_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024  # the file as uploaded
    max_rows: int = 200_000
    max_columns: int = 60
    max_cells: int = 3_000_000  # rows × columns actually present
    max_cell_chars: int = 2_000  # any one cell's text
    max_unpacked_bytes: int = 300 * 1024 * 1024  # an .xlsx's sheet + shared strings, unzipped
    max_shared_strings_bytes: int = 40 * 1024 * 1024
    # openpyxl keeps every shared string as a Python object (about 75 bytes each however short):
    # 40 MB of one-letter strings made 2.4 million of them, 330 MB and 31 s of CPU.
    max_shared_strings: int = 1_000_000
    # Rows allowed above the data on top of max_rows (titles and the header): a file of
    # max_rows rows of data is accepted.
    head_rows: int = 0

    @property
    def row_limit(self) -> int:
        return self.max_rows + self.head_rows


class FileRefused(Exception):
    """The file cannot be read; str(exc) says why and what to do (translated)."""


@dataclass
class Table:
    kind: str  # "xlsx" | "xls" | "csv"
    encoding: str = ""  # csv only: "utf-8", "utf-8-sig", "gb18030"
    # (row, column index 0-based) of formula cells (xlsx), at most MAX_FORMULA_CELLS
    formula_cells: frozenset[tuple[int, int]] = frozenset()
    # How many rows and columns rows() yields (known from the checks made when opening).
    row_count: int = 0
    column_count: int = 0
    _read: Callable[[], Iterator[tuple[int, tuple]]] = field(
        default=lambda: iter(()), repr=False, compare=False
    )

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """(row number as the spreadsheet shows it, 1-based; the cell values), streamed. Blank
        rows are yielded too, so numbering never drifts; each call starts again from the top."""
        return self._read()


def column_letter(index: int) -> str:
    """The spreadsheet's name for a 0-based column index: 0 → "A", 25 → "Z", 26 → "AA"."""
    if index < 0:
        raise ValueError(index)
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    """1-based column number of "A", "AA" …"""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def open_table(file, *, name: str = "", limits: Limits = Limits()) -> Table:
    """Sniff the content (not the name): OLE → .xls, zip → .xlsx, else text → CSV; check every
    limit before loading; refuse anything malformed with FileRefused."""
    data = _read_upload(file, limits)
    if not data:
        raise FileRefused(_("The file is empty. Choose the file that holds the sheet."))
    if data.startswith(OLE_MAGIC):
        return _open_xls(data, limits)
    if data.startswith(ZIP_MAGICS):
        return _open_xlsx(data, limits)
    return _open_csv(data, name, limits)


def _read_upload(file, limits: Limits) -> bytes:
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    else:
        try:
            if hasattr(file, "seek"):
                file.seek(0)
            data = file.read(limits.max_bytes + 1)
        except (OSError, ValueError) as exc:
            raise FileRefused(_("The file could not be read. Upload it again.")) from exc
    if len(data) > limits.max_bytes:
        raise FileRefused(
            _(
                "The file is larger than %(size)d MB. Split it into several files, or delete "
                "other sheets, pictures and empty rows, and upload again."
            )
            % {"size": limits.max_bytes // (1024 * 1024)}
        )
    return data


# --- refusals shared by the kinds ----------------------------------------------------------


def _password() -> FileRefused:
    return FileRefused(
        _(
            "The file is password-protected. Open it, remove the password (File → Info → "
            "Protect Workbook, or Save As with no password), save it as .xlsx or .xls and "
            "upload it again."
        )
    )


def _damaged(kind: str) -> FileRefused:
    if kind == "xls":
        return FileRefused(
            _(
                "The file looks like an old Excel workbook (.xls) but it cannot be read: it is "
                "damaged or not a spreadsheet. Open it in Excel or WPS, save it as .xlsx and "
                "upload it again."
            )
        )
    return FileRefused(
        _(
            "The file looks like an Excel workbook (.xlsx) but it cannot be read: it is damaged "
            "or not a spreadsheet. Open it in Excel, WPS or LibreOffice, save it again as .xlsx "
            "and upload it again."
        )
    )


def _too_many_rows(limits: Limits) -> FileRefused:
    return FileRefused(
        _(
            "The sheet has more than %(rows)d rows. Split it into several files of at most "
            "%(rows)d rows (delete empty rows below the data too) and upload them one by one."
        )
        % {"rows": limits.max_rows}
    )


def _too_many_columns(limits: Limits) -> FileRefused:
    return FileRefused(
        _(
            "The sheet has more than %(columns)d columns. Delete the columns the import does not "
            "need (and any filled or formatted cells far to the right) and upload again."
        )
        % {"columns": limits.max_columns}
    )


def _too_many_cells(limits: Limits) -> FileRefused:
    return FileRefused(
        _(
            "The sheet has more than %(cells)d filled cells. Split it into several files or "
            "delete the columns the import does not need, and upload again."
        )
        % {"cells": limits.max_cells}
    )


def _cell_too_long(limits: Limits, where: str = "") -> FileRefused:
    if where:
        return FileRefused(
            _(
                "Cell %(cell)s holds more than %(chars)d characters. Shorten it (a ledger cell "
                "holds a code, a month or an amount) and upload again."
            )
            % {"cell": where, "chars": limits.max_cell_chars}
        )
    return FileRefused(
        _(
            "A cell holds more than %(chars)d characters. Shorten it (a ledger cell holds a "
            "code, a month or an amount) and upload again."
        )
        % {"chars": limits.max_cell_chars}
    )


def _unpacked_too_big(limits: Limits) -> FileRefused:
    return FileRefused(
        _(
            "The workbook unpacks to more than %(size)d MB. Copy the sheet to import into a new "
            "workbook (values only), save it as .xlsx and upload that."
        )
        % {"size": limits.max_unpacked_bytes // (1024 * 1024)}
    )


# --- .xlsx ---------------------------------------------------------------------------------


class _Stop(Exception):
    """The scan has seen what it needs."""


def _open_xlsx(data: bytes, limits: Limits) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename: info for info in archive.infolist()}
    except Exception as exc:  # any damage to the zip directory: see the module docstring
        raise _damaged("xlsx") from exc
    with archive:
        if len(members) > MAX_ZIP_MEMBERS:
            raise _damaged("xlsx")
        _not_a_workbook(members)
        if any(info.flag_bits & 0x1 for info in members.values()):
            raise _password()
        workbook_path = _office_document(archive, members)
        sheet_name, sheet_path, rels_targets = _first_sheet(archive, members, workbook_path)
        strings_path = _shared_strings_path(archive, members, workbook_path)
        _check_sizes(members, sheet_path, strings_path, limits)
        # No part of a workbook has a DTD; one would only be there to expand entities when
        # openpyxl parses the part. The sheet and the strings are checked by their full scan.
        for member in members:
            if member.endswith((".xml", ".rels")) and member not in (sheet_path, strings_path):
                _scan_xml(archive, member, _Prolog())
        long_strings, string_count = set(), 0
        if strings_path:
            strings = _SharedStrings(limits)
            _scan_xml(archive, strings_path, strings)
            long_strings, string_count = strings.long, strings.count
        scan = _SheetScan(limits, long_strings, string_count, first=True)
        _scan_xml(archive, sheet_path, scan)
        # openpyxl reads the <dimension> of every other sheet when it opens the workbook, and a
        # sheet without one it parses to the end: those get the same bounds as the first.
        for other in rels_targets:
            if other != sheet_path and other in members:
                _scan_xml(archive, other, _SheetScan(limits, set(), 0, first=False))

    row_count, column_count = scan.max_row, scan.max_column
    # openpyxl's own surprises (a style it cannot read, a missing part) show up when it opens the
    # workbook: it is opened here, so that open_table refuses them rather than rows(), and once,
    # since opening reads every shared string. Each rows() call reads the sheet from the top.
    book, sheet = _load_xlsx(data, sheet_name, sheet_path)

    def read() -> Iterator[tuple[int, tuple]]:
        return _xlsx_rows(sheet, row_count, column_count)

    return Table(
        kind="xlsx",
        formula_cells=frozenset(scan.formulas),
        row_count=row_count,
        column_count=column_count,
        _read=read,
    )


def _not_a_workbook(members: dict) -> None:
    if "mimetype" in members or "content.xml" in members:
        raise FileRefused(
            _(
                "The file is an OpenDocument spreadsheet (.ods). Open it in LibreOffice or WPS, "
                "save it as Excel (.xlsx) and upload that."
            )
        )
    if "xl/workbook.bin" in members:
        raise FileRefused(
            _(
                "The file is an Excel binary workbook (.xlsb). Open it in Excel or WPS, save it "
                "as .xlsx and upload that."
            )
        )
    if not any(name.startswith("xl/") for name in members) and "_rels/.rels" not in members:
        raise FileRefused(
            _(
                "The file is a zip archive but not an Excel workbook. Upload the .xlsx, .xls or "
                ".csv file itself (unzip the archive first if the sheet is inside it)."
            )
        )


def _read_small_xml(archive, members, path: str, limit: int = 16 * 1024 * 1024) -> "_Collect":
    info = members.get(path)
    if info is None:
        raise FileRefused(
            _(
                "The file is a zip archive but not an Excel workbook: it has no sheet. Open it "
                "in Excel, WPS or LibreOffice, save it as .xlsx and upload that."
            )
        )
    if info.file_size > limit:
        raise _damaged("xlsx")
    collect = _Collect()
    _scan_xml(archive, path, collect)
    return collect


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a member name: relative to the part's folder, or absolute."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(archive, members, part: str) -> list[dict]:
    path = _rels_path(part)
    if path not in members:
        return []
    return [
        attrs
        for tag, attrs in _read_small_xml(archive, members, path).elements
        if tag == "Relationship"
    ]


def _office_document(archive, members) -> str:
    for rel in _relationships(archive, members, ""):
        if rel.get("Type", "").endswith("/officeDocument") and rel.get("Target"):
            return _resolve("", rel["Target"])
    return "xl/workbook.xml"


def _first_sheet(archive, members, workbook_path: str) -> tuple[str, str, list[str]]:
    """(name, member) of the first worksheet (as openpyxl counts them: chartsheets are not
    worksheets), and the members of all worksheets."""
    rels = {rel.get("Id"): rel for rel in _relationships(archive, members, workbook_path)}
    sheets = []
    for tag, attrs in _read_small_xml(archive, members, workbook_path).elements:
        if tag != "sheet":
            continue
        rel_id = next(
            (v for k, v in attrs.items() if k in (f"{RELS_NS}}}id", f"{PURL_RELS_NS}}}id")),
            None,
        )
        rel = rels.get(rel_id)
        if rel and rel.get("Type", "").endswith("/worksheet") and rel.get("Target"):
            sheets.append((attrs.get("name", ""), _resolve(workbook_path, rel["Target"])))
    if not sheets and "xl/worksheets/sheet1.xml" in members:
        sheets = [("", "xl/worksheets/sheet1.xml")]  # a workbook.xml we could not follow
    if not sheets or sheets[0][1] not in members:
        raise FileRefused(
            _(
                "The workbook has no worksheet to read. Open it in Excel, WPS or LibreOffice, "
                "check that the first sheet holds the table, save it as .xlsx and upload again."
            )
        )
    return sheets[0][0], sheets[0][1], [path for _name, path in sheets]


def _shared_strings_path(archive, members, workbook_path: str) -> str:
    for rel in _relationships(archive, members, workbook_path):
        if rel.get("Type", "").endswith("/sharedStrings") and rel.get("Target"):
            path = _resolve(workbook_path, rel["Target"])
            return path if path in members else ""
    return "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in members else ""


def _check_sizes(members: dict, sheet_path: str, strings_path: str, limits: Limits) -> None:
    strings = members[strings_path].file_size if strings_path else 0
    if strings > limits.max_shared_strings_bytes:
        raise FileRefused(
            _(
                "The workbook's text unpacks to more than %(size)d MB. Copy the sheet to import "
                "into a new workbook (values only), save it as .xlsx and upload that."
            )
            % {"size": limits.max_shared_strings_bytes // (1024 * 1024)}
        )
    if members[sheet_path].file_size + strings > limits.max_unpacked_bytes:
        raise _unpacked_too_big(limits)
    # The parts openpyxl parses whole into trees (workbook, styles, themes, properties …) are
    # bounded like the strings; the other sheets (read to their <dimension>, or scanned with
    # bounds below) and pictures are bounded by the total.
    others = sum(
        info.file_size
        for name, info in members.items()
        if name.endswith((".xml", ".rels"))
        and not name.startswith(("xl/worksheets/", "xl/media/"))
        and name != strings_path
    )
    if others > limits.max_shared_strings_bytes:
        raise _unpacked_too_big(limits)
    if sum(info.file_size for info in members.values()) > 2 * limits.max_unpacked_bytes:
        raise _unpacked_too_big(limits)


def _scan_xml(archive, path: str, handler: "_Markup") -> None:
    """Stream one member through expat into `handler`, in chunks; stop when it has seen enough;
    refuse a damaged zip member or malformed XML."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = handler.doctype
    parser.EntityDeclHandler = handler.doctype
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    try:
        with archive.open(path) as member:
            while chunk := member.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (_Stop, FileRefused) as exc:
        if isinstance(exc, FileRefused):
            raise
    except RuntimeError as exc:  # zipfile: an encrypted member
        raise _password() from exc
    except Exception as exc:  # expat.ExpatError, zipfile.BadZipFile (a CRC that lies), zlib …
        raise _damaged("xlsx") from exc


def _local(name: str) -> str:
    return name[name.rfind("}") + 1 :]


class _Markup:
    """Refuses DTDs; everything else is ignored."""

    def doctype(self, *args) -> None:
        raise FileRefused(
            _(
                "The workbook holds a document type declaration, which no spreadsheet program "
                "writes. Open it in Excel, WPS or LibreOffice, save it again as .xlsx and upload "
                "that."
            )
        )

    def start(self, name, attrs) -> None:
        pass

    def end(self, name) -> None:
        pass

    def text(self, data) -> None:
        pass


class _Prolog(_Markup):
    """Reads up to the root element: enough to see a DTD."""

    def start(self, name, attrs) -> None:
        raise _Stop


class _Collect(_Markup):
    """The `sheet` or `Relationship` elements of workbook.xml or a .rels part, as (local name,
    attributes); the rest (thousands of defined names, say) is not kept."""

    WANTED = frozenset({"sheet", "Relationship"})

    def __init__(self):
        self.elements: list[tuple[str, dict]] = []

    def start(self, name, attrs) -> None:
        local = _local(name)
        if local in self.WANTED:
            if len(self.elements) > MAX_ZIP_MEMBERS:
                raise _damaged("xlsx")
            self.elements.append((local, attrs))


class _SharedStrings(_Markup):
    """Counts the shared strings and notes which are longer than a cell may be."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.limit = limits.max_cell_chars
        self.count = 0
        self.chars = 0
        self.in_text = False
        self.long: set[int] = set()

    def start(self, name, attrs) -> None:
        local = _local(name)
        if local == "si":
            self.chars = 0
        elif local == "t":
            self.in_text = True
        elif local == "sst":
            # What the table says it holds, to refuse at once; the count below is what holds.
            try:
                declared = int(attrs.get("uniqueCount", 0))
            except ValueError:
                declared = 0
            if declared > self.limits.max_shared_strings:
                raise self.too_many()

    def too_many(self) -> FileRefused:
        return FileRefused(
            _(
                "The workbook holds more than %(count)d different texts. Copy the sheet to "
                "import into a new workbook (values only), save it as .xlsx and upload that."
            )
            % {"count": self.limits.max_shared_strings}
        )

    def end(self, name) -> None:
        local = _local(name)
        if local == "si":
            if self.chars > self.limit:
                self.long.add(self.count)
            self.count += 1
            if self.count > self.limits.max_shared_strings:
                raise self.too_many()
        elif local == "t":
            self.in_text = False

    def text(self, data) -> None:
        if self.in_text:
            self.chars += len(data)


class _SheetScan(_Markup):
    """One pass over a worksheet's XML that stops at the first limit passed. Only cells with a
    value (or a formula) count towards the rows, columns and cells limits: Excel writes empty
    styled cells, and those are bounded separately by what a spreadsheet can hold at all."""

    def __init__(self, limits: Limits, long_strings: set[int], string_count: int, *, first: bool):
        self.limits = limits
        self.long_strings = long_strings
        self.string_count = string_count
        self.first = first
        self.row = 0
        self.column = 0
        self.row_cells = 0
        self.rows_seen = 0
        self.cells = 0
        self.max_row = 0
        self.max_column = 0
        self.formulas: list[tuple[int, int]] = []
        self.in_cell = False
        self.cell_type = "n"
        self.has_value = False
        self.has_formula = False
        self.counting = False  # inside <v> or an inline string's <t>
        self.chars = 0
        self.index_text = ""  # a shared string's index, as written
        # This pass is most of what the checks cost: names and column letters are looked up
        # once each (both caches are small: a namespace's few names, at most 16,384 columns).
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}

    def _name(self, name: str) -> str:
        local = _local(name)
        if len(self.names) < 256:
            self.names[name] = local
        return local

    def start(self, name, attrs) -> None:
        local = self.names.get(name) or self._name(name)
        if local == "c":
            self._start_cell(attrs)
        elif local == "v" or (local == "t" and self.in_cell):
            self.counting = True
        elif local == "f" and self.in_cell:
            self.has_formula = True
        elif local == "row":
            self._start_row(attrs)
        elif local == "dimension":
            self._dimension(attrs.get("ref", ""))

    def _dimension(self, ref: str) -> None:
        if not self.first:
            raise _Stop  # openpyxl stops at the dimension of sheets we do not read
        last = ref.split(":")[-1].upper()
        match = CELL_REF.match(last)
        if match:
            if int(match.group(2)) > self.limits.row_limit:
                raise _too_many_rows(self.limits)
            if _column_index(match.group(1)) > self.limits.max_columns:
                raise _too_many_columns(self.limits)

    def _start_row(self, attrs) -> None:
        number = attrs.get("r")
        try:
            self.row = int(number) if number is not None else self.row + 1
        except ValueError as exc:
            raise _damaged("xlsx") from exc
        self.rows_seen += 1
        if self.row < 1 or self.row > EXCEL_MAX_ROWS or self.rows_seen > EXCEL_MAX_ROWS:
            raise _damaged("xlsx")
        if not self.first and self.rows_seen > self.limits.row_limit:
            raise FileRefused(
                _(
                    "A sheet after the first one is too large to open safely. Delete the other "
                    "sheets (the import reads the first one only) and upload again."
                )
            )
        self.column = 0
        self.row_cells = 0

    def _start_cell(self, attrs) -> None:
        ref = attrs.get("r")
        if ref:
            letters = ref.rstrip(DIGITS)
            column = self.columns.get(letters)
            if column is None or not ref[len(letters) :].isdigit():
                match = CELL_REF.match(ref)
                if not match:
                    raise _damaged("xlsx")
                column = self.columns[letters] = _column_index(match.group(1))
            self.column = column
        else:
            self.column += 1
        self.row_cells += 1
        if self.column > EXCEL_MAX_COLUMNS or self.row_cells > EXCEL_MAX_COLUMNS:
            raise _damaged("xlsx")
        if not self.first and self.row_cells > self.limits.max_columns:
            raise FileRefused(
                _(
                    "A sheet after the first one is too large to open safely. Delete the other "
                    "sheets (the import reads the first one only) and upload again."
                )
            )
        self.in_cell = True
        self.cell_type = attrs.get("t", "n")
        self.has_value = self.has_formula = False
        self.chars = 0
        self.index_text = ""

    def text(self, data) -> None:
        if not self.counting:
            return
        self.has_value = True
        self.chars += len(data)
        if self.cell_type == "s":
            self.index_text += data
            if len(self.index_text) > 12:
                raise _damaged("xlsx")
        elif self.chars > self.limits.max_cell_chars:
            raise _cell_too_long(self.limits, self._where())

    def end(self, name) -> None:
        local = self.names.get(name) or self._name(name)
        if local == "v" or local == "t":
            self.counting = False
            if local == "v" and self.cell_type == "s" and self.in_cell:
                self._shared_index()
        elif local == "c":
            self.in_cell = self.counting = False
            if self.has_value or self.has_formula:
                self._value_cell()
        elif local == "is":
            self.has_value = True  # an inline string, even empty

    def _shared_index(self) -> None:
        try:
            index = int(self.index_text)
        except ValueError as exc:
            raise _damaged("xlsx") from exc
        if not 0 <= index < self.string_count:
            raise _damaged("xlsx")
        if index in self.long_strings:
            raise _cell_too_long(self.limits, self._where())

    def _value_cell(self) -> None:
        if not self.first:
            return
        limits = self.limits
        if self.row > limits.row_limit:
            raise _too_many_rows(limits)
        if self.column > limits.max_columns:
            raise _too_many_columns(limits)
        self.cells += 1
        if self.cells > limits.max_cells:
            raise _too_many_cells(limits)
        self.max_row = max(self.max_row, self.row)
        self.max_column = max(self.max_column, self.column)
        if self.has_formula and len(self.formulas) < MAX_FORMULA_CELLS:
            self.formulas.append((self.row, self.column - 1))

    def _where(self) -> str:
        return f"{column_letter(max(self.column, 1) - 1)}{self.row}"


def _load_xlsx(data: bytes, sheet_name: str, sheet_path: str):
    """openpyxl's workbook (read-only, cached values) and the sheet we checked."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like: not for users
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book[sheet_name] if sheet_name else book.worksheets[0]
    except Exception as exc:  # see the module docstring
        raise _damaged("xlsx") from exc
    # The sheet openpyxl found must be the one we checked.
    if getattr(sheet, "_worksheet_path", "").lstrip("/") != sheet_path:
        book.close()
        raise _damaged("xlsx")
    return book, sheet


def _xlsx_rows(sheet, row_count: int, column_count: int) -> Iterator[tuple[int, tuple]]:
    if not row_count:
        return
    number = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for values in sheet.iter_rows(
                min_row=1, max_row=row_count, min_col=1, max_col=column_count, values_only=True
            ):
                number += 1
                yield number, values
    except FileRefused:
        raise
    except Exception as exc:  # see the module docstring
        raise _damaged("xlsx") from exc


# --- .xls ----------------------------------------------------------------------------------


def _open_xls(data: bytes, limits: Limits) -> Table:
    try:
        streams = {
            entry.name for entry in xlrd.compdoc.CompDoc(data, logfile=io.StringIO()).dirlist
        }
    except Exception as exc:  # see the module docstring
        raise _damaged("xls") from exc
    # Excel and WPS save an encrypted .xlsx inside an OLE container (Office encryption).
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise _password()
    if not streams & {"Workbook", "Book"}:
        raise FileRefused(
            _(
                "The file is an Office document but not an Excel workbook (a Word document "
                "perhaps). Open the sheet in Excel or WPS, save it as .xlsx and upload that."
            )
        )
    book = _load_xls(data)
    try:
        if book.nsheets < 1:
            raise _damaged("xls")
        sheet = book.sheet_by_index(0)
        if sheet.nrows > limits.row_limit:
            raise _too_many_rows(limits)
        if sheet.ncols > limits.max_columns:
            raise _too_many_columns(limits)
        if sheet.nrows * sheet.ncols > limits.max_cells:
            raise _too_many_cells(limits)
        for r in range(sheet.nrows):
            for c, value in enumerate(sheet.row_values(r)):
                if isinstance(value, str) and len(value) > limits.max_cell_chars:
                    raise _cell_too_long(limits, f"{column_letter(c)}{r + 1}")
        row_count, column_count = sheet.nrows, sheet.ncols
    except FileRefused:
        raise
    except Exception as exc:  # see the module docstring
        raise _damaged("xls") from exc
    finally:
        book.release_resources()

    def read() -> Iterator[tuple[int, tuple]]:
        return _xls_rows(data)

    return Table(kind="xls", row_count=row_count, column_count=column_count, _read=read)


def _load_xls(data: bytes):
    try:
        return xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise _password() from exc
        raise _damaged("xls") from exc
    except Exception as exc:  # see the module docstring
        raise _damaged("xls") from exc


def _xls_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    book = _load_xls(data)
    try:
        sheet = book.sheet_by_index(0)
        for r in range(sheet.nrows):
            yield r + 1, tuple(_xls_value(cell, book.datemode) for cell in sheet.row(r))
    except Exception as exc:  # see the module docstring
        raise _damaged("xls") from exc
    finally:
        book.release_resources()


def _xls_value(cell, datemode: int):
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value  # a number that cannot be a date: let the reader of values decide
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#N/A")  # as openpyxl gives them
    return cell.value  # text or a float


# --- CSV -----------------------------------------------------------------------------------


def _open_csv(data: bytes, name: str, limits: Limits) -> Table:
    text, encoding = _decode(data, name)
    if TEXT_CONTROL.search(text):
        raise _not_a_table(name)
    if MARKUP_START.match(text[:1024]):
        raise FileRefused(
            _(
                "The file is a web page or an XML file saved under a spreadsheet's name (some "
                "systems export “Excel” files this way). Open it in Excel or WPS, save it as "
                ".xlsx and upload that."
            )
        )
    delimiter = _delimiter(text)
    row_count = column_count = cells = 0
    for number, row in _csv_records(text, delimiter, limits):
        if number > limits.row_limit:
            raise _too_many_rows(limits)
        width = 0
        for index, value in enumerate(row):
            if value:
                width = index + 1
                cells += 1
                if len(value) > limits.max_cell_chars:
                    raise _cell_too_long(limits, f"{column_letter(index)}{number}")
        if width > limits.max_columns:
            raise _too_many_columns(limits)
        if cells > limits.max_cells:
            raise _too_many_cells(limits)
        row_count = number
        column_count = max(column_count, width)

    def read() -> Iterator[tuple[int, tuple]]:
        text, _encoding = _decode(data, name)
        for number, row in _csv_records(text, delimiter, limits):
            row = row[:column_count]  # beyond the width there are only empty cells
            yield number, tuple(row) + ("",) * (column_count - len(row))

    return Table(
        kind="csv",
        encoding=encoding,
        row_count=row_count,
        column_count=column_count,
        _read=read,
    )


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """UTF-8 with a BOM, UTF-8, else GB18030 (GBK's superset: what Excel on Chinese Windows
    writes as CSV); anything else is refused."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(
            _(
                "The file is Unicode (UTF-16) text. Open it in Excel or WPS and save it as "
                "“CSV UTF-8” or as .xlsx, and upload that."
            )
        )
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise _not_a_table(name)


def _not_a_table(name: str) -> FileRefused:
    if name:
        return FileRefused(
            _(
                "The file “%(name)s” is not an Excel workbook (.xlsx, .xls) or a CSV file in "
                "UTF-8 or GBK. Open it in Excel or WPS, save it as .xlsx and upload that."
            )
            % {"name": name}
        )
    return FileRefused(
        _(
            "The file is not an Excel workbook (.xlsx, .xls) or a CSV file in UTF-8 or GBK. "
            "Open it in Excel or WPS, save it as .xlsx and upload that."
        )
    )


def _delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number (more
    than one) of cells most often. csv.Sniffer is not used: a quoted "1,234.50" in a
    semicolon file makes it answer comma."""
    sample = text[:CSV_SAMPLE_CHARS]
    if len(text) > CSV_SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]  # whole lines only
    best, best_score = ",", 0
    for candidate in (",", ";", "\t"):
        try:
            widths = [
                len(row)
                for row in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate)
                if row
            ]
        except csv.Error:
            continue
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = widths.count(common) if common > 1 else 0
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_records(text: str, delimiter: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """Records numbered as a spreadsheet numbers rows. A line of a million delimiters would make
    the csv module build a list of a million cells: such lines are refused before it reads them."""
    number = 0
    try:
        for row in csv.reader(_lines(text, delimiter, limits), delimiter=delimiter):
            number += 1
            yield number, row
    except csv.Error as exc:
        # The field size limit of the csv module (128 K characters) or a malformed record.
        raise FileRefused(
            _(
                "Row %(row)d of the CSV file cannot be read (a cell far too long, or quotes that "
                "do not close). Open it in Excel or WPS, check that row, save it again and "
                "upload it."
            )
            % {"row": number + 1}
        ) from exc


def _lines(text: str, delimiter: str, limits: Limits) -> Iterator[str]:
    """The text's lines with their endings, as csv.reader wants them (io.StringIO would copy the
    whole text into four bytes a character first). A line with more delimiters than 60 cells of
    2,000 characters could hold is refused before the csv module builds its list of cells."""
    if "\n" not in text:
        text = text.replace("\r", "\n")  # Excel for Mac's "CSV (Macintosh)" ends lines with CR
    most = limits.max_columns * (limits.max_cell_chars + 1)
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        if end - start > most and text.count(delimiter, start, end) > most:
            raise _too_many_columns(limits)
        yield text[start:end]
        start = end
