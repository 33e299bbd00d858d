"""The sheet reader both Excel imports share (the office's ledger, the billing system's payments).

An import declares its FIELD TABLE — for each of our fields, the header texts that name it in a
file, whether a file must have it, and how its cells are read — and a `SheetFormat` (the table,
its limits and the messages that say how to fix this kind of file). The reader then:

- opens the upload safely: a file that is too large, password-protected (an OLE container, as
  Excel writes encrypted workbooks and old .xls files), not a workbook, or damaged is refused
  with a message that says what to do; nothing is half-read;
- finds the header row (a title or two may stand above it) and matches its headers to fields;
- reads the rows below into `ParsedRow`s: the cells keyed by field, blank rows skipped, the
  columns no field names kept as text (`extra`), so that nothing in the file is dropped;
- reads a cell through its field's parser when the import asks for it (`ParsedRow.read`); a
  cell that cannot be read raises `CellError`, which knows its row and column.

What an import makes of its rows (households and debt periods, receipts and allocation) is its
own business; the field table is the one place where a file's columns meet our fields.
"""

import datetime
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from arrears.ledger import CENT

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What openpyxl lets through from a damaged file: a broken zip, a missing part (KeyError),
# broken XML inside a sound zip (xml.etree's ParseError and lxml's XMLSyntaxError are both
# SyntaxErrors), or a part that is XML but not what a workbook holds.
DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    OSError,
    ValueError,
    SyntaxError,
    TypeError,
    AttributeError,
    IndexError,
    EOFError,
)
HEADER_SEARCH_ROWS = 10  # a file may have a title or two above its header
MONTH_RE = re.compile(
    r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})|(\d{2}))\s*月?(?:\s*[-/.]?\s*\d{1,2}\s*日?)?$"
)


class SheetFileError(Exception):
    """The file cannot be read as this import's sheet at all; the message says why, for the
    user. Each import raises its own subclass."""


class CellProblem(ValueError):
    """What is wrong with one cell, in words that follow “column X: ”."""


class EmptyCell(CellProblem):
    """A cell that must be filled is empty; the words follow “column X is empty; ”."""


class CellError(Exception):
    """A cell that cannot be read, with where it is: the row as Excel numbers it and the
    column as our template names it."""

    def __init__(self, row: int, column: str, problem: str, *, empty: bool = False):
        super().__init__(row, column, problem)
        self.row, self.column, self.problem, self.empty = row, column, problem, empty

    @property
    def message(self) -> str:
        """The problem naming its column, for the row's list of problems."""
        text = (
            _("column %(column)s is empty; %(problem)s")
            if self.empty
            else _("column %(column)s: %(problem)s")
        )
        return text % {"column": self.column, "problem": self.problem}

    def __str__(self) -> str:
        return row_problem(self.row, self.message)


def row_problem(number: int, message: str) -> str:
    """A problem as the preview lists it: “Row 7: …”."""
    return _("Row %(row)d: %(problem)s.") % {"row": number, "problem": message}


# --- cells ---------------------------------------------------------------------------------


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def norm(value) -> str:
    """A header as compared: no spaces, no bracketed unit (面积(㎡)), lower case."""
    value = re.sub(r"[(（\[【].*?[)）\]】]", "", str(value or ""))
    return re.sub(r"[\s_*:：]", "", value).lower()


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number
    return str(value).strip()


def month(value) -> datetime.date | None:
    """First day of the month in a cell: an Excel date, 2013-05, 2013年5月, 2013/5, 201305."""
    if blank(value):
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return datetime.date(value.year, value.month, 1)
    if isinstance(value, float):
        # 2013.10 typed as a number reads 2013.1: October or January cannot be told apart.
        raise CellProblem(_("write the month as text like 2013-05"))
    match = MONTH_RE.match(text(value))
    if match:
        number = int(match.group(2) or match.group(3))
        if 1 <= number <= 12:
            return datetime.date(int(match.group(1)), number, 1)
    raise CellProblem(_("“%(value)s” is not a month like 2013-05") % {"value": text(value)})


def money(value) -> Decimal | None:
    """An amount in yuan, to the fen (¥, 元 and thousands commas allowed); not negative."""
    if blank(value):
        return None
    digits = re.sub(r"[\s,¥￥元]", "", text(value))
    try:
        amount = Decimal(digits)
    except InvalidOperation as exc:
        raise CellProblem(_("“%(value)s” is not a number") % {"value": text(value)}) from exc
    if not amount.is_finite():
        raise CellProblem(_("“%(value)s” is not a number") % {"value": text(value)})
    if amount < 0:
        raise CellProblem(_("%(value)s is negative") % {"value": digits})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def count(value) -> int | None:
    """A whole number, such as a count of months (25, 25个月)."""
    if blank(value):
        return None
    digits = re.sub(r"\s|个月|月", "", text(value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if digits.isdecimal():
        return int(digits)
    raise CellProblem(_("“%(value)s” is not a whole number") % {"value": text(value)})


# --- the field table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One of our fields, as a file's column may hold it."""

    key: str
    label: str  # how our template, and every message, names the column
    headers: tuple[str, ...]  # the header texts that name it in a file, compared after `norm`;
    # may be written as one string, the texts separated by spaces
    required: bool = False  # a file without such a column is refused
    parse: Callable = text  # a cell → its value; raises CellProblem
    width: int = 0  # the column's width in the import's template; 0: not a template column
    explanation: str = ""  # what the template's notes sheet says of the column

    def __post_init__(self):
        if isinstance(self.headers, str):
            object.__setattr__(self, "headers", tuple(self.headers.split()))


@dataclass(frozen=True)
class SheetFormat:
    """What one import reads: its field table, how a header row is told, and its limits."""

    fields: tuple[Field, ...]
    error: type[SheetFileError]
    anchors: tuple[str, ...]  # a header row names one of these fields…
    max_bytes: int
    max_rows: int
    max_columns: int
    # How to fix this kind of file (lazy translations; too_many_rows takes %(n)d,
    # missing_columns takes %(names)s).
    too_big: str
    too_many_rows: str
    no_header: str
    missing_columns: str
    min_fields: int = 3  # …and at least this many in all
    skip: Callable[[dict], bool] | None = None  # rows that are not data (a template's example)

    @cached_property
    def by_key(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}

    @cached_property
    def labels(self) -> dict[str, str]:
        return {f.key: f.label for f in self.fields}

    @cached_property
    def template_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.width)

    @cached_property
    def _header_index(self) -> dict[str, str]:
        return {norm(word): f.key for f in self.fields for word in f.headers}

    def match_headers(self, cells) -> dict[str, int]:
        """Our field → the index of the first column whose header names it."""
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            key = self._header_index.get(norm(cell))
            if key and key not in columns:
                columns[key] = index
        return columns

    def read(self, file) -> "ParsedSheet":
        """The first sheet of an .xlsx (a file object) as rows keyed by our fields."""
        rows = read_first_sheet(
            file,
            error=self.error,
            max_bytes=self.max_bytes,
            max_rows=self.max_rows + HEADER_SEARCH_ROWS,
            max_columns=self.max_columns,
            too_big=str(self.too_big),
            too_many_rows=self.too_many_rows % {"n": self.max_rows},
        )
        if not any(not blank(v) for row in rows for v in row):
            raise self.error(_("The first sheet of the workbook is empty."))
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            columns = self.match_headers(row)
            if any(a in columns for a in self.anchors) and len(columns) >= self.min_fields:
                return self._sheet(rows, index, columns)
        raise self.error(str(self.no_header))

    def _sheet(self, rows, index: int, columns: dict[str, int]) -> "ParsedSheet":
        missing = [f.label for f in self.fields if f.required and f.key not in columns]
        if missing:
            raise self.error(self.missing_columns % {"names": "、".join(missing)})
        header = rows[index]
        used = set(columns.values())
        unmapped = [(i, str(h).strip()) for i, h in enumerate(header) if h and i not in used]
        parsed = []
        for number, row in enumerate(rows[index + 1 :], start=index + 2):
            values = {key: (row[i] if i < len(row) else None) for key, i in columns.items()}
            if all(blank(v) for v in values.values()):
                continue
            if self.skip is not None and self.skip(values):
                continue
            extra = {
                name: text(row[i])
                for i, name in unmapped
                if i < len(row) and isinstance(row[i], str) and row[i].strip()
            }
            parsed.append(ParsedRow(number, values, extra, sheet=self))
        if not parsed:
            raise self.error(_("The sheet has a header row but no rows of data."))
        ours = {norm(f.label) for f in self.template_fields}
        return ParsedSheet(
            shape="template" if ours and all(norm(h) in ours for h in header if h) else "flat",
            header_row=index + 1,
            columns={key: str(header[i]).strip() for key, i in columns.items()},
            ignored=[name for _i, name in unmapped],
            rows=parsed,
        )


# --- rows ----------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int  # as Excel numbers it
    values: dict[str, object]  # our field → the cell as the file holds it
    extra: dict[str, str] = field(default_factory=dict)  # columns with no field: header → text
    sheet: SheetFormat | None = field(default=None, repr=False, compare=False)

    def text(self, key: str) -> str:
        return text(self.values.get(key))

    def read(self, key: str, **context):
        """The cell read by its field's parser (`context` is passed on, such as `now`);
        CellError when it cannot be read."""
        column = self.sheet.by_key[key]
        try:
            return column.parse(self.values.get(key), **context)
        except CellProblem as exc:
            raise CellError(
                self.number, column.label, str(exc), empty=isinstance(exc, EmptyCell)
            ) from exc


@dataclass
class ParsedSheet:
    header_row: int
    columns: dict[str, str]  # our field → the header as written in the file
    ignored: list[str]  # headers no field names
    rows: list[ParsedRow]
    shape: str = "flat"  # "template": the headers are our template's, else "flat"


# --- the workbook --------------------------------------------------------------------------


def read_first_sheet(
    file,
    *,
    error,
    max_bytes: int,
    max_rows: int,
    max_columns: int,
    too_big: str,
    too_many_rows: str,
) -> list[tuple]:
    """The first sheet's rows as tuples of values. `error` is the exception class to raise;
    `too_big` and `too_many_rows` say how to split this kind of file."""
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(too_big)
    if data.startswith(OLE_MAGIC):
        raise error(
            _(
                "The file is password-protected or an old .xls workbook. Remove the password "
                "and save it as an Excel workbook (.xlsx)."
            )
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *DAMAGED) as exc:
        raise error(
            _("The file is not an Excel workbook (.xlsx) or it is damaged. Save it again as .xlsx.")
        ) from exc
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(max_col=max_columns, values_only=True):
            rows.append(row)
            if len(rows) > max_rows:
                raise error(too_many_rows)
        return rows
    except DAMAGED as exc:  # damaged inside the zip
        raise error(_("The workbook is damaged. Save it again as .xlsx.")) from exc
    finally:
        book.close()
