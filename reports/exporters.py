"""Exports as classes (CONVENTIONS.md, "Exports as classes").

An exporter has an identifier, a translatable name and a `sheets()` generator; each sheet
declares its columns and yields rows. `render()` writes them with openpyxl in write-only
mode, so memory stays flat however many rows a region has, and returns
(filename, mimetype, bytes). The sheets read like a report people print: a bold frozen
header row, filters, column widths, ¥ and date formats, landscape fit-to-width, and a print
footer with the page number ("page X of Y"). A sheet may also carry a title block above its
header row (what it is, for which region, offices and week, when it was generated: the
weekly workbook is forwarded as it is), a print header with its title, a totals row under
its rows (values summed as the rows stream, never formulas), wrapped long text, and columns
repeated on every printed page.

Text that a spreadsheet could take for a formula (starting with = + - @, a tab or a carriage
return) is always written as text: an owner's name or a note can never run as a formula. The
look-alikes count the same: full-width ＝＋－＠ (a Chinese input method types them, and Excel
in a Chinese locale takes ＝ for =), the small, superscript and subscript forms (all four
fold to ASCII under NFKC), the minus sign and the dashes, and any of them behind spaces,
zero-width characters or a byte-order mark.
"""

import datetime
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from arrears.models import Payment, PaymentMethod
from arrears.people import person_name
from households.contact_policy import make_breach

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Not folded to "-" by NFKC, but read as one: the minus sign and the dashes U+2010–U+2015.
MINUS_LOOK_ALIKES = frozenset("\u2212\u2010\u2011\u2012\u2013\u2014\u2015")
_SIGNS = frozenset("=+-@")
MONEY_FORMAT = '"¥"#,##0.00;[Red]-"¥"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)
TOTAL_FONT = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
WRAP_ALIGNMENT = Alignment(vertical="top", wrap_text=True)
# Excel refuses a header or footer section longer than 255 characters.
HEADER_FOOTER_MAX = 120

TEXT, MONEY, DATE, DATETIME, INTEGER, PERCENT = (
    "text",
    "money",
    "date",
    "datetime",
    "int",
    "percent",
)
FORMATS = {
    MONEY: MONEY_FORMAT,
    DATE: DATE_FORMAT,
    DATETIME: DATETIME_FORMAT,
    PERCENT: PERCENT_FORMAT,
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: float = 14
    total: bool = False  # the totals row (when the sheet has one) sums this column
    wrap: bool = False  # long text wraps inside the width instead of being cut off


@dataclass
class Chart:
    """A chart drawn from this sheet's own cells, placed beside (or, anchor None, below)
    the table."""

    make: Callable  # (worksheet, header_row, last_row) -> openpyxl chart
    anchor: str | None = "K2"


@dataclass(frozen=True)
class TitleBlock:
    """The lines above a sheet's header row, and its print header: a sheet forwarded on its
    own still says what it is. `lines` are (label, value) pairs; `heading` is the print
    header's left part (the title when empty), `subheading` its right part."""

    title: str
    lines: tuple[tuple[str, str], ...] = ()
    heading: str = ""
    subheading: str = ""

    @property
    def height(self) -> int:
        """Rows it takes: the title, its lines and one empty row."""
        return 1 + len(self.lines) + 1


@dataclass
class Sheet:
    title: str  # 31 characters at most (Excel)
    columns: list[Column]
    rows: Iterable[Iterable]
    charts: list[Chart] = field(default_factory=list)
    title_block: TitleBlock | None = None
    totals: bool = False  # a totals row under the rows: a label and the Column(total=True) sums
    # A percentage in the totals row: column index → (numerator, denominator) column indexes.
    total_ratios: dict[int, tuple[int, int]] = field(default_factory=dict)
    fit_width: int = 1  # printed at most this many pages wide, as many pages tall as it takes
    repeat_columns: int = 0  # the first N columns repeat on every printed page (and stay)

    @property
    def header_row(self) -> int:
        return 1 + (self.title_block.height if self.title_block else 0)


def is_formula_like(value) -> bool:
    """Would a spreadsheet (now, or when someone edits the cell) take this text for a formula?"""
    if not isinstance(value, str) or not value:
        return False
    first = value[0]
    if first < "\x80" and first not in " \x0b\x0c":
        return first in FORMULA_STARTS  # the fast answer for ASCII text
    return _first_visible_is_formula_start(value)


def _first_visible_is_formula_start(value: str) -> bool:
    for char in value:
        if char in ("\t", "\r"):
            return True
        if char.isspace() or unicodedata.category(char) == "Cf":  # spaces, zero-width, BOM
            continue
        folded = unicodedata.normalize("NFKC", char)  # ＝ ﹦ ⁼ ₌ → "=", ⁻ ₋ → "−"
        return folded in _SIGNS or folded in MINUS_LOOK_ALIKES
    return False


def cell_for(ws, value, kind: str = TEXT) -> WriteOnlyCell:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    cell = WriteOnlyCell(ws, value=value)
    if is_formula_like(value):
        # Stored as a plain string, and marked so that editing it keeps it text.
        cell.data_type = "s"
        cell.quotePrefix = True
    elif kind in FORMATS and value is not None and not isinstance(value, str):
        cell.number_format = FORMATS[kind]
    return cell


NUMBERS = (int, float, Decimal)


def _formatted_cell(ws, column: Column) -> "WriteOnlyCell | None":
    """The one cell a money, date or wrapped text column reuses for each row's value."""
    if column.kind not in FORMATS and not column.wrap:
        return None
    cell = WriteOnlyCell(ws)
    if column.kind in FORMATS:
        cell.number_format = FORMATS[column.kind]
    if column.wrap:
        cell.alignment = WRAP_ALIGNMENT
    return cell


def fits(text: str, width: float) -> bool:
    """Does the text fit on one line of a column `width` characters wide? A CJK character
    takes two; a line break never fits."""
    if len(text) * 2 <= width:
        return "\n" not in text
    if len(text) > width or "\n" in text:
        return False
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text) <= width


def _value(
    ws, value, kind: str, formatted: "WriteOnlyCell | None" = None, wrap_at: float | None = None
):
    """A plain value as it is (the fast path: most cells), the column's pre-formatted cell
    for numbers, dates and text too long for its width in a wrapped column, and a cell of
    its own only for text that must be forced."""
    if value is None:
        return None
    if kind == TEXT and isinstance(value, str) and not is_formula_like(value):
        if wrap_at is not None and not fits(value, wrap_at):  # only what needs it wraps
            formatted.value = value
            return formatted
        return value
    if kind == INTEGER and isinstance(value, int):
        return value
    if formatted is not None:
        if kind in (MONEY, PERCENT) and isinstance(value, NUMBERS):
            formatted.value = value
            return formatted
        if kind in (DATE, DATETIME) and isinstance(value, datetime.date):
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            formatted.value = value
            return formatted
    cell = cell_for(ws, value, kind)
    if formatted is not None and formatted.alignment.wrap_text:
        cell.alignment = WRAP_ALIGNMENT
    return cell


def _header_cell(ws, text: str) -> WriteOnlyCell:
    cell = cell_for(ws, text)
    cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    return cell


def _styled(ws, value, font, kind: str = TEXT, border=None) -> WriteOnlyCell:
    cell = cell_for(ws, value, kind)
    cell.font = font
    if border is not None:
        cell.border = border
    return cell


def header_footer_text(text: str) -> str:
    """Text as a header or footer section shows it: "&" starts a code there (&P is the page
    number), so a literal one is doubled; cut to a length Excel accepts."""
    text = " ".join(str(text).split())
    if len(text) > HEADER_FOOTER_MAX:
        text = text[: HEADER_FOOTER_MAX - 1] + "…"
    return text.replace("&", "&&")


def page_x_of_y() -> str:
    from django.utils.translation import gettext as _

    # &P and &N are the page number and the page count, filled in when printing.
    return _("Page %(page)s of %(pages)s") % {"page": "&P", "pages": "&N"}


def _print_setup(ws, sheet: Sheet, header_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = sheet.fit_width
    ws.page_setup.fitToHeight = 0  # as many pages tall as the rows take
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_title_rows = f"{header_row}:{header_row}"
    if sheet.repeat_columns:
        ws.print_title_cols = f"A:{get_column_letter(sheet.repeat_columns)}"
    block = sheet.title_block
    ws.oddHeader.left.text = header_footer_text(
        (block.heading or block.title) if block else sheet.title
    )
    if block and block.subheading:
        ws.oddHeader.right.text = header_footer_text(block.subheading)
    ws.oddFooter.left.text = header_footer_text(sheet.title)
    ws.oddFooter.right.text = page_x_of_y()


def _write_title_block(ws, block: TitleBlock) -> None:
    ws.append([_styled(ws, block.title, TITLE_FONT)])
    for label, value in block.lines:
        ws.append([_styled(ws, label, LABEL_FONT), cell_for(ws, value)])
    ws.append([])


def totals_label(count: int) -> str:
    from django.utils.translation import ngettext

    return ngettext("Total (%(count)s row)", "Total (%(count)s rows)", count) % {"count": count}


def _write_totals(ws, sheet: Sheet, count: int, sums: dict) -> None:
    values = [None] * len(sheet.columns)
    for index, total in sums.items():
        values[index] = total
    for index, (numerator, denominator) in sheet.total_ratios.items():
        below = sums.get(denominator)
        values[index] = float(sums[numerator] / below) if below else None
    values[0] = totals_label(count)
    ws.append(
        [
            _styled(ws, value, TOTAL_FONT, column.kind, TOTAL_BORDER)
            for value, column in zip(values, sheet.columns, strict=True)
        ]
    )


def write_sheet(wb: Workbook, sheet: Sheet) -> int:
    """Stream one sheet; returns the number of data rows written."""
    ws = wb.create_sheet(sheet.title[:31])
    header_row = sheet.header_row
    # Everything that lives in the sheet's head must be set before the first row.
    ws.freeze_panes = f"{get_column_letter(sheet.repeat_columns + 1)}{header_row + 1}"
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    _print_setup(ws, sheet, header_row)
    if sheet.title_block:
        _write_title_block(ws, sheet.title_block)
    ws.append([_header_cell(ws, c.header) for c in sheet.columns])
    kinds = [c.kind for c in sheet.columns]
    # One pre-formatted cell per money, date or wrapped column, given each row's value in
    # turn: write-only append serializes the row at once, so the cell is free again after it.
    formatted = [_formatted_cell(ws, column) for column in sheet.columns]
    wrap_at = [c.width if c.wrap and c.kind == TEXT else None for c in sheet.columns]
    summed = [i for i, c in enumerate(sheet.columns) if c.total] if sheet.totals else []
    sums = dict.fromkeys(summed, 0)
    count = 0
    for row in sheet.rows:
        if summed:
            row = row if isinstance(row, list | tuple) else list(row)
            for index in summed:
                value = row[index] if index < len(row) else None
                if isinstance(value, NUMBERS):
                    sums[index] += value
        ws.append(
            [
                _value(ws, value, kind, cell, wrap)
                for value, kind, cell, wrap in zip(row, kinds, formatted, wrap_at, strict=False)
            ]
        )
        count += 1
    last_row = header_row + count
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(sheet.columns))}{last_row}"
    if sheet.totals:
        _write_totals(ws, sheet, count, sums)
    below = last_row + (1 if sheet.totals else 0) + 2
    for chart in sheet.charts:
        if count:
            ws.add_chart(chart.make(ws, header_row, last_row), chart.anchor or f"A{below}")
    return count


class Exporter:
    """Subclasses set identifier and verbose_name and yield sheets."""

    identifier = ""
    verbose_name = ""

    def filename(self) -> str:
        return f"{self.identifier}.xlsx"

    def sheets(self) -> Iterator[Sheet]:
        raise NotImplementedError

    def render(self) -> tuple[str, str, bytes]:
        wb = Workbook(write_only=True)
        for sheet in self.sheets():
            write_sheet(wb, sheet)
        buffer = io.BytesIO()
        wb.save(buffer)
        return self.filename(), XLSX, buffer.getvalue()


def money(value) -> Decimal | None:
    return None if value is None else Decimal(value)


class CaseListExport(Exporter):
    """The case list as filtered on screen."""

    identifier = "cases"

    def __init__(self, cases, *, title: str):
        self.cases = cases
        self.title = title

    def sheets(self) -> Iterator[Sheet]:
        from django.utils import timezone
        from django.utils.translation import gettext as _

        def rows():
            for case in self.cases.iterator(chunk_size=2000):
                yield [
                    case.household.unit_code,
                    case.get_category_display(),
                    case.get_status_display(),
                    case.unpaid_months,
                    money(case.owed),
                    money(case.paid),
                    money(case.balance),
                    case.oldest_unpaid,
                    case.team.code if case.team else "",
                    person_name(case.responsible),
                    case.planned_date,
                    case.plan_note,
                    timezone.localtime(case.last_contact_at) if case.last_contact_at else None,
                ]

        yield Sheet(
            self.title,
            [
                Column(_("Unit"), width=11),
                Column(_("Category"), width=12),
                Column(_("Status"), width=10),
                Column(_("Months owed"), INTEGER, 9),
                Column(_("Owed"), MONEY, 13),
                Column(_("Paid"), MONEY, 13),
                Column(_("Balance"), MONEY, 13),
                Column(_("Oldest unpaid"), DATE, 12),
                Column(_("Team"), width=6),
                Column(_("Responsible"), width=10),
                Column(_("Planned"), DATE, 12),
                Column(_("Plan note"), width=16),
                Column(_("Last contact"), DATETIME, 16),
            ],
            rows(),
        )


def payment_sheet(payments, *, title: str, with_office: bool = False) -> Sheet:
    """Payments and reversals (negative), as the list exports them and the weekly report."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    # Labels once per sheet: get_*_display() rebuilds and translates the choices per call.
    methods = {k: str(v) for k, v in PaymentMethod.choices}
    kinds = {k: str(v) for k, v in Payment.Kind.choices}

    def rows():
        for p in payments.iterator(chunk_size=2000):
            office = [p.office.name] if with_office else []
            sign = -1 if p.kind == Payment.Kind.REVERSAL else 1
            yield [
                timezone.localtime(p.paid_at),
                *office,
                p.household.unit_code,
                money(p.signed_amount),
                methods.get(p.method, p.method),
                p.receipt_no,
                kinds.get(p.kind, p.kind),
                p.team.code if p.team else "",
                person_name(p.recorded_by),
                p.note,
                # What went to debt periods (collected) and the excess kept as credit.
                money(sign * p.allocated),
                money(sign * (p.amount - p.allocated)),
            ]

    office_column = [Column(_("Office"), width=14)] if with_office else []
    return Sheet(
        title,
        [
            Column(_("Paid at"), DATETIME, 16),
            *office_column,
            Column(_("Unit"), width=11),
            Column(_("Amount"), MONEY, 13, total=True),
            Column(_("Method"), width=12),
            Column(_("Receipt number"), width=14),
            Column(_("Kind"), width=8),
            Column(_("Team"), width=6),
            Column(_("Recorded by"), width=10),
            Column(_("Note"), width=24, wrap=True),
            Column(_("Paid to arrears"), MONEY, 13, total=True),
            Column(_("Kept as credit"), MONEY, 13, total=True),
        ],
        rows(),
    )


class PaymentListExport(Exporter):
    identifier = "payments"

    def __init__(self, payments, *, title: str):
        self.payments, self.title = payments, title

    def sheets(self) -> Iterator[Sheet]:
        yield payment_sheet(self.payments, title=self.title)


class AttemptListExport(Exporter):
    identifier = "contact_attempts"

    def __init__(self, attempts, *, title: str):
        self.attempts, self.title = attempts, title

    def sheets(self) -> Iterator[Sheet]:
        from django.utils import timezone
        from django.utils.translation import gettext as _

        def rows():
            for a in self.attempts.iterator(chunk_size=2000):
                yield [
                    timezone.localtime(a.occurred_at),
                    a.household.unit_code,
                    a.get_channel_display(),
                    a.get_person_contacted_display(),
                    a.get_outcome_display(),
                    person_name(a.made_by),
                    a.notes,
                    a.next_step,
                    a.next_step_date,
                    "; ".join(str(make_breach(code).message) for code in a.all_breaches),
                    "、".join(a.flagged_terms),
                ]

        yield Sheet(
            self.title,
            [
                Column(_("When"), DATETIME, 16),
                Column(_("Unit"), width=11),
                Column(_("Channel"), width=14),
                Column(_("Person contacted"), width=12),
                Column(_("Outcome"), width=12),
                Column(_("Made by"), width=10),
                Column(_("Notes"), width=30),
                Column(_("Next step"), width=20),
                Column(_("Next step date"), DATE, 12),
                Column(_("Rules broken"), width=40),
                Column(_("Flagged words"), width=14),
            ],
            rows(),
        )
