"""The one reader every import shares (the office's ledger, the billing system's payments, and
any later one).

An import declares its FIELD TABLE — for each of our fields, its label, the header texts and
containment rules that name it (imports.headers), how its cells are read (imports.values) — and
a `SheetFormat`: the table, the required fields as groups of alternatives, the limits and the
messages that say how to fix this kind of file. The reader then:

- opens the upload through imports.files (.xlsx, .xls, CSV; every limit checked before
  loading; anything malformed refused with a message that says what to do);
- finds the header row among the first rows (titles above it, a two-row header under merged
  cells) and matches every column to a field by meaning, or by what the office said of its
  columns (a mapping: imports.models.ColumnMapping, --columns). When a required field is still
  missing, the error carries the file's columns for the mapping step;
- lists every column (`SheetColumn`): its letter, header, first values, the field it is read
  as or none ("not imported", kept as text: never dropped silently), and whether it holds
  sensitive personal information (imports.sensitive): such a column is never read, its values
  never reach a row, a report, a job record or a log;
- reads the rows below into `ParsedRow`s: cells keyed by field (unit codes normalised as
  they are read, so every later step sees one code), blank rows and a 合计/总计 row skipped,
  formula cells and cells that look like formulas or links warned of;
- reads a cell through its field's parser when the import asks (`ParsedRow.read`); a cell that
  cannot be read raises `CellError`, which knows its row and its column letter.

Problems are `Problem`s, errors or warnings, shown as “Row 7, column D (起始月份): …”.
What an import makes of its rows is its own business; the field table is the one place where a
file's columns meet our fields.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.messages import Flags, Lines, Message
from arrears.models import Notification
from arrears.notifications import notify, office_managers
from imports.files import OLE_MAGIC, FileRefused, Limits, column_letter, open_table  # noqa: F401 - OLE_MAGIC: also where the tests found it
from imports.headers import (
    HEADER_SEARCH_ROWS,
    HeaderFound,
    Rule,
    find_header,
    guess_header,
    is_totals_row,
    match_columns,
    normalise_header,
)
from imports.sensitive import describe_kind, sensitive_kind
from imports.values import (  # noqa: F401 - the cell readers, also where imports found them before
    CellProblem,
    EmptyCell,
    Period,
    blank,
    count,
    money,
    month,
    period,
    text,
    unit_code,
)


class SheetFileError(Exception):
    """The file cannot be read as this import's sheet at all; the message says why, for the
    user. Each import raises its own subclass.

    When a header row was found (or guessed) but a required field has no column, `columns`
    lists the file's columns (SheetColumn) and `missing` the fields: the web import then asks
    the user what the columns are (the mapping step)."""

    columns: list | None = None
    missing: list | None = None


class CellError(Exception):
    """A cell that cannot be read, with where it is: the row as the spreadsheet numbers it,
    the column as our template names it (`column`) and its letter in the file (`letter`)."""

    def __init__(self, row: int, column: str, problem: str, *, empty=False, letter: str = ""):
        super().__init__(row, column, problem)
        self.row, self.column, self.problem, self.empty = row, column, problem, empty
        self.letter = letter

    @property
    def message(self) -> str:
        """The problem naming its column by label, without the row."""
        text = (
            _("column %(column)s is empty; %(problem)s")
            if self.empty
            else _("column %(column)s: %(problem)s")
        )
        return text % {"column": self.column, "problem": self.problem}

    @property
    def as_problem(self) -> "Problem":
        """The problem as a row's list shows it: “Row 7, column D (起始月份): …”."""
        if not self.letter:
            return Problem(self.row, self.message)
        problem = (
            _("empty; %(problem)s") % {"problem": self.problem} if self.empty else self.problem
        )
        return Problem(self.row, problem, column=self.letter, label=self.column)

    def __str__(self) -> str:
        return str(self.as_problem)


norm = normalise_header  # the name the imports used before imports.headers


# --- problems ------------------------------------------------------------------------------


class Problem(str):
    """One problem of a row, as the preview lists it: “Row 7, column D (起始月份): …”.

    An error blocks the import; a warning is shown and the import proceeds once the user has
    read it (“I have read the warnings”, --accept-warnings). A Problem is the text it shows
    (a str, rendered in the language active when it was made), so lists of them print,
    compare and store as text."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # said in the preview, asks nothing of the user (a totals row left out)

    row: int
    column: str
    label: str
    message: str
    level: str

    def __new__(cls, row: int, message: str, *, column: str = "", label: str = "", level=ERROR):
        if column and label:
            shown = _("Row %(row)d, column %(column)s (%(label)s): %(problem)s.") % {
                "row": row,
                "column": column,
                "label": label,
                "problem": message,
            }
        elif column:
            shown = _("Row %(row)d, column %(column)s: %(problem)s.") % {
                "row": row,
                "column": column,
                "problem": message,
            }
        else:
            shown = _("Row %(row)d: %(problem)s.") % {"row": row, "problem": message}
        problem = super().__new__(cls, shown)
        problem.row, problem.column, problem.label = row, column, label
        problem.message, problem.level = message, level
        return problem

    @property
    def is_warning(self) -> bool:
        return self.level == self.WARNING


def row_problem(number: int, message: str, *, level: str = Problem.ERROR) -> Problem:
    """A problem of a row as a whole: “Row 7: …”."""
    return Problem(number, message, level=level)


def row_warning(number: int, message: str) -> Problem:
    return Problem(number, message, level=Problem.WARNING)


# --- the field table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One of our fields, as a file's column may hold it."""

    key: str
    label: str  # how our template, and every message, names the column
    headers: tuple[str, ...]  # synonyms: header texts that name it, compared whole after
    # `normalise_header`; may be written as one string, the texts separated by spaces
    required: bool = False  # a file without such a column is refused (unless the format
    # gives its own `required` groups)
    parse: Callable = text  # a cell → its value; raises CellProblem
    width: int = 0  # the column's width in the import's template; 0: not a template column
    explanation: str = ""  # what the template's notes sheet says of the column
    rules: tuple[Rule, ...] = ()  # containment rules (imports.headers.Rule)
    # A cell → (the value to keep, how it was changed: "" if kept as written), applied while
    # reading, so that every later step sees the same value (unit codes).
    normalise: Callable | None = None

    def __post_init__(self):
        if isinstance(self.headers, str):
            object.__setattr__(self, "headers", tuple(self.headers.split()))

    @cached_property
    def synonyms(self) -> frozenset[str]:
        return frozenset(normalise_header(h) for h in (*self.headers, self.label))


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
    # Required fields as groups of alternatives: every group must be met by one of its
    # alternatives, an alternative being field keys joined by "+" (("unit",),
    # ("period", "first_month+last_month")). Empty: each `Field.required` alone.
    required: tuple[tuple[str, ...], ...] = ()
    kind: str = ""  # the import's name, for saved mappings ("ledger", "payments")
    # What happens to a column no field takes (shown in the preview's column list).
    extra_note: str = ""

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
    def required_groups(self) -> tuple[tuple[tuple[str, ...], ...], ...]:
        groups = self.required or tuple((f.key,) for f in self.fields if f.required)
        return tuple(tuple(tuple(alt.split("+")) for alt in group) for group in groups)

    def missing(self, columns) -> list[str]:
        """The required fields `columns` lacks, in words: “起始月份 + 截止月份 or 欠费期间”."""
        out = []
        for group in self.required_groups:
            if any(all(k in columns for k in alt) for alt in group):
                continue
            out.append(_(" or ").join(" + ".join(self.labels[k] for k in alt) for alt in group))
        return out

    def match_headers(self, cells, mapping: dict | None = None) -> dict[str, int]:
        """Our field → the index of the first column whose header names it."""
        return match_columns([normalise_header(c) for c in cells], self.fields, mapping)

    def read(self, file, *, name: str = "", mapping: dict | None = None) -> "ParsedSheet":
        """The first sheet of an upload (a file object) as rows keyed by our fields.

        `mapping`: normalised header → field key ("" to ignore the column), what the office
        said of its columns; it wins over the headers' meaning."""
        table = _open(file, self, name=name)
        return read_table(table, self, mapping=mapping)


@dataclass
class SheetColumn:
    """A column of the file, as the preview and the mapping step list it."""

    index: int
    letter: str
    header: str  # as written (a two-row header combined)
    key: str  # normalised, what a saved mapping remembers
    samples: list[str] = field(default_factory=list)  # a few of its first values
    field: str | None = None  # our field, or None: not imported as a field
    label: str = ""  # our field's label
    how: str = ""  # "saved" (the office's mapping), "meaning", "" (not imported)
    sensitive: str = ""  # imports.sensitive kind: never read
    ignored: bool = False  # the office said "ignore"

    @property
    def sensitive_text(self) -> str:
        return describe_kind(self.sensitive) if self.sensitive else ""


FLAGS_LISTED = 50  # rows named in the managers' inbox entry; the rest are "…"
FORMULAS_LISTED = 20  # a sheet of formula totals is said once, not on every row
SAMPLE_ROWS = 50  # rows after the header read for samples and the sensitive check
SAMPLES_SHOWN = 3
LOOKS_LIKE_FORMULA = re.compile(r"^\s*[=＝]\s*[A-Za-z_]|^\s*(https?://|www\.|file:|\\\\)", re.I)


def read_table(table, fmt: SheetFormat, *, mapping: dict | None = None) -> "ParsedSheet":
    """Find the header, match the columns, and read the rows of a `Table` (imports.files)."""
    head: list[tuple[int, tuple]] = []
    for number, cells in table.rows():
        head.append((number, tuple(cells)))
        if len(head) >= HEADER_SEARCH_ROWS + SAMPLE_ROWS:
            break
    if not any(not blank(v) for _n, row in head for v in row):
        raise fmt.error(_("The first sheet of the workbook is empty."))
    cells = [row for _n, row in head]
    found = find_header(
        cells, fmt.fields, anchors=fmt.anchors, min_fields=fmt.min_fields, mapping=mapping
    )
    if found is None:
        guessed = guess_header(cells)
        if guessed is None:
            raise fmt.error(str(fmt.no_header))
        # Headers we do not know: the mapping step asks what the columns are.
        found = HeaderFound(guessed, [text(c) for c in cells[guessed]], {}, 1)
        found.columns = fmt.match_headers(found.headers, mapping)
        unknown = not found.columns
    else:
        unknown = False
    header_number = head[found.index][0]
    columns = _columns(fmt, found, [row for _n, row in head[found.index + 1 :]], mapping)
    used = {c.field: c.index for c in columns if c.field}
    missing = fmt.missing(used)
    if missing:
        message = (
            str(fmt.no_header) if unknown else fmt.missing_columns % {"names": "；".join(missing)}
        )
        error = fmt.error(message)
        error.columns, error.missing = columns, missing
        raise error
    parsed = ParsedSheet(
        header_row=header_number,
        columns={c.field: c.header for c in columns if c.field},
        ignored=[c.header for c in columns if not c.field and c.header and not c.sensitive],
        rows=[],
        all_columns=columns,
        kind=getattr(table, "kind", "xlsx"),
    )
    ours = {normalise_header(f.label) for f in fmt.template_fields}
    headers = [c.key for c in columns if c.header]
    if ours and headers and all(h in ours for h in headers):
        parsed.shape = "template"
    _read_rows(table, fmt, parsed, header_number)
    if not parsed.rows:
        raise fmt.error(_("The sheet has a header row but no rows of data."))
    return parsed


def _columns(fmt, found: HeaderFound, below: list[tuple], mapping) -> list[SheetColumn]:
    width = max([len(found.headers), *(len(r) for r in below)])
    width = min(width, fmt.max_columns)
    taken = {i: k for k, i in found.columns.items()}
    columns = []
    for index in range(width):
        header = found.headers[index] if index < len(found.headers) else ""
        values = [r[index] for r in below if index < len(r) and not blank(r[index])]
        key = normalise_header(header)
        column = SheetColumn(index=index, letter=column_letter(index), header=header, key=key)
        kind = sensitive_kind(header, values[:SAMPLE_ROWS])
        if kind:
            # PIPL art. 6 and 28: collection does not need it; its values are never read.
            column.sensitive = kind
        elif index in taken:
            column.field = taken[index]
            column.label = fmt.labels[column.field]
            column.how = "saved" if mapping and key in mapping else "meaning"
            column.samples = [text(v)[:40] for v in values[:SAMPLES_SHOWN]]
        else:
            column.ignored = bool(mapping) and mapping.get(key, None) == ""
            column.samples = [text(v)[:40] for v in values[:SAMPLES_SHOWN]]
        if header or values:
            columns.append(column)
    return columns


def _read_rows(table, fmt: SheetFormat, parsed: "ParsedSheet", header_number: int) -> None:
    fields = {c.field: c.index for c in parsed.all_columns if c.field}
    letters = {c.field: c.letter for c in parsed.all_columns if c.field}
    extras = [
        (c.index, c.header)
        for c in parsed.all_columns
        if not c.field and not c.sensitive and not c.ignored and c.header
    ]
    wanted = set(fields.values()) | {i for i, _h in extras}
    normalisers = {k: fmt.by_key[k].normalise for k in fields if fmt.by_key[k].normalise}
    formulas = getattr(table, "formula_cells", frozenset())
    flagged = 0
    read = 0
    for number, cells in table.rows():
        if number <= header_number:
            continue
        values = {key: (cells[i] if i < len(cells) else None) for key, i in fields.items()}
        if all(blank(v) for v in values.values()):
            continue
        if is_totals_row(cells):
            # Nearly every office's ledger ends so: said, never a warning to tick.
            parsed.skipped.append(
                Problem(
                    number,
                    _("a totals row (合计/总计/小计); it is not imported"),
                    level=Problem.NOTE,
                )
            )
            continue
        if fmt.skip is not None and fmt.skip(values):
            continue
        read += 1
        if read > fmt.max_rows:
            raise fmt.error(fmt.too_many_rows % {"n": fmt.max_rows})
        extra = {
            name: text(cells[i]) for i, name in extras if i < len(cells) and not blank(cells[i])
        }
        row = ParsedRow(number, values, extra, sheet=fmt, letters=letters)
        for key, normalise in normalisers.items():
            try:
                value, how = normalise(values[key])
            except CellProblem:
                continue  # the field's parser says what is wrong
            values[key] = value
            if how:
                row.notes[key] = how
        for index in wanted:
            value = cells[index] if index < len(cells) else None
            formula = (number, index) in formulas
            if not (formula or (isinstance(value, str) and LOOKS_LIKE_FORMULA.match(value))):
                continue
            flagged += 1
            if flagged > FORMULAS_LISTED:
                continue  # counted, and said once below
            row.warnings.append(
                Problem(
                    number,
                    (
                        _(
                            "a formula: its last calculated value “%(value)s” is imported "
                            "(nothing is recalculated); check it"
                        )
                        if formula
                        else _("“%(value)s” looks like a formula or a link; it is kept as text")
                    )
                    % {"value": text(value)[:60]},
                    column=column_letter(index),
                    level=Problem.WARNING,
                )
            )
        parsed.rows.append(row)
    if flagged > FORMULAS_LISTED:
        parsed.skipped.append(
            Problem(
                header_number,
                _(
                    "%(n)d more cells hold formulas or look like formulas or links; their "
                    "values are imported as the file shows them"
                )
                % {"n": flagged - FORMULAS_LISTED},
                level=Problem.WARNING,
            )
        )


# --- rows ----------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int  # as Excel numbers it
    values: dict[str, object]  # our field → the cell as the file holds it (normalised)
    extra: dict[str, str] = field(default_factory=dict)  # columns with no field: header → text
    sheet: SheetFormat | None = field(default=None, repr=False, compare=False)
    letters: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    notes: dict[str, str] = field(default_factory=dict)  # field → how its value was normalised
    warnings: list[Problem] = field(default_factory=list)  # found while reading (formulas)

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
                self.number,
                column.label,
                str(exc),
                empty=isinstance(exc, EmptyCell),
                letter=self.letters.get(key, ""),
            ) from exc


@dataclass
class ParsedSheet:
    header_row: int
    columns: dict[str, str]  # our field → the header as written in the file
    ignored: list[str]  # headers no field names
    rows: list[ParsedRow]
    shape: str = "flat"  # "template": the headers are our template's, else "flat"
    all_columns: list[SheetColumn] = field(default_factory=list)  # every column of the file
    skipped: list[Problem] = field(default_factory=list)  # what reading left out or found
    kind: str = "xlsx"  # the file's kind (imports.files): "xlsx", "xls", "csv"

    @property
    def sensitive_columns(self) -> list[SheetColumn]:
        return [c for c in self.all_columns if c.sensitive]

    @property
    def warnings(self) -> list[Problem]:
        """What reading found that the user must read: formula cells."""
        return [
            *(p for p in self.skipped if p.is_warning),
            *(w for r in self.rows for w in r.warnings),
        ]


@dataclass
class SheetReport:
    """What every import's report holds and decides alike: its rows' errors and warnings,
    what reading said of the file, and whether it may be written. Each import adds its
    counts and its summary lines."""

    rows: list
    dry_run: bool
    written: bool = False
    accept_warnings: bool = False
    from_reading: list = field(default_factory=list)  # ParsedSheet.skipped

    @property
    def problems(self) -> list[str]:
        return [p for r in self.rows for p in r.problems]

    @property
    def warnings(self) -> list[Problem]:
        return [
            *(p for p in self.from_reading if p.is_warning),
            *(w for r in self.rows for w in r.warnings),
        ]

    @property
    def notes(self) -> list[Problem]:
        """Said in the preview and the report, asking nothing: totals rows left out."""
        return [p for p in self.from_reading if p.level == Problem.NOTE]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def may_write(self) -> bool:
        """No error, and no warning unless the user has read them."""
        return self.ok and (self.accept_warnings or not self.warnings)

    @property
    def flagged_rows(self) -> list:
        return [r for r in self.rows if r.flags]

    def tell_managers_of_flags(self, *, office, title) -> None:
        """One inbox entry for the office's managers listing the flagged rows of a written
        file (`title` takes %(n)d, the number of rows)."""
        rows = self.flagged_rows
        if not rows:
            return
        lines = [
            Message(
                gettext_noop("%(unit)s (%(number)s): %(terms)s"),
                unit=r.unit,
                number=r.number,
                terms=Flags(r.flags),
            )
            for r in rows[:FLAGS_LISTED]
        ]
        if len(rows) > FLAGS_LISTED:
            lines.append("…")
        notify(
            recipients=office_managers(office),
            kind=Notification.Kind.FLAG,
            title=Message(title, n=len(rows)),
            body=Lines(lines),
            url=reverse("breach-list"),
        )


# --- the file ------------------------------------------------------------------------------


def _open(file, fmt: SheetFormat, *, name: str = ""):
    """The upload as a Table (imports.files: any kind, every limit checked before loading);
    a file that cannot be read raises the import's own error with the reader's words."""
    limits = Limits(
        max_bytes=fmt.max_bytes,
        max_rows=fmt.max_rows,
        max_columns=fmt.max_columns,
        head_rows=HEADER_SEARCH_ROWS,
    )
    try:
        return open_table(file, name=name, limits=limits)
    except FileRefused as exc:
        raise fmt.error(str(exc)) from exc
