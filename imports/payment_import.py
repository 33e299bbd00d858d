"""Import of payments from the billing system's Excel export (issue 6, item 6).

Payments taken at the front desk reach the campaign without retyping. Three steps, as in the
ledger import (`imports.ledger_import`):

- `parse_workbook` reads the first sheet with the shared reader (`imports.sheet`) and maps
  its columns through the payments' field table (`FIELDS`) of Chinese and English headers.
  Problems with the file itself raise `PaymentFileError`.
- `validate` checks every row and says what to fix, with the row number as Excel shows it.
- `payment_import` runs both inside one transaction and, when no row has a problem, records
  every new row, oldest first, in batches through `payments_record` (allocation to the oldest
  months, case status and clearances exactly as `payment_record` does for a payment typed in).

The receipt number is what de-duplicates: a receipt already recorded in the office is skipped
as "already imported", so importing the same export twice changes nothing.

Every text cell, including columns we have no field for (kept in the payment's note as
"column：value"), is scanned for unlawful methods (arrears.unlawful): a row that names one
is shown flagged in the preview, and the office manager is told when the file is written.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from arrears.allocation import CENT
from arrears.inputs import EARLIEST_DATE, MONEY_DIGITS, too_large, too_long
from arrears.models import Clearance, DebtPeriod, Office, Payment, PaymentMethod
from arrears.payments import (
    CLOCK_SKEW,
    PaymentItem,
    PaymentRefused,
    households_lock,
    payments_record,
)
from arrears.receipts import receipt_key
from arrears.unlawful import flag_details, flagged_terms
from households.models import Household
from imports.headers import rule
from imports.sheet import (
    CellError,
    CellProblem,
    EmptyCell,
    Field,
    ParsedRow,
    ParsedSheet,
    Problem,
    SheetFileError,
    SheetFormat,
    SheetReport,
    blank,
    row_problem,
    row_warning,
    text,
)
from imports.values import unit_code as read_unit

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10000
MAX_COLUMNS = 60  # as imports.files.Limits: a wider sheet is refused, never cut
IMPORT_NOTE = "账单系统导入"  # stored on every imported payment, so it can be told apart
NOTE_LENGTH = 300
RECEIPT_LENGTH = 60
NOON = datetime.time(12, 0)
# Payments written per batch (arrears.payments.payments_record: a constant number of
# statements each), and how often a background job's progress moves.
PROGRESS_EVERY = 500

METHOD_WORDS = {
    "现金": PaymentMethod.CASH,
    "微信": PaymentMethod.WECHAT,
    "微信支付": PaymentMethod.WECHAT,
    "支付宝": PaymentMethod.ALIPAY,
    "银行转账": PaymentMethod.BANK_TRANSFER,
    "转账": PaymentMethod.BANK_TRANSFER,
    "异地汇款": PaymentMethod.REMITTANCE,
    "汇款": PaymentMethod.REMITTANCE,
} | {m.value: m for m in PaymentMethod}
METHOD_CHOICES = "现金、微信、支付宝、银行转账、异地汇款"

DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T\s]\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$"
)


class PaymentFileError(SheetFileError):
    """The file cannot be read as a payments export at all; the message says why."""


# --- reading cell values -------------------------------------------------------------------


def read_amount(value) -> Decimal:
    if blank(value):
        raise EmptyCell(_("enter the amount received, in yuan"))
    digits = re.sub(r"[\s,，¥￥元]", "", text(value))
    try:
        amount = Decimal(digits)
    except InvalidOperation as exc:
        raise CellProblem(
            _("“%(value)s” is not a number; enter the amount in yuan, like 1700.00")
            % {"value": text(value)}
        ) from exc
    if not amount.is_finite():
        raise CellProblem(_("“%(value)s” is not a number") % {"value": text(value)})
    if amount <= 0:
        raise CellProblem(
            _("%(value)s is not more than 0; a refund or correction is a reversal, not an import")
            % {"value": digits}
        )
    if amount != amount.quantize(CENT):
        raise CellProblem(
            _("%(value)s has more than two decimal places; round it to the fen") % {"value": digits}
        )
    return amount.quantize(CENT)


def read_paid_at(value, *, now: datetime.datetime) -> datetime.datetime:
    """When the money was received: a date and time, or a date alone (12:00 local)."""
    if blank(value):
        raise EmptyCell(_("enter the date of payment, like 2015-06-03"))
    tz = timezone.get_current_timezone()
    if isinstance(value, datetime.datetime):
        moment = value if timezone.is_aware(value) else timezone.make_aware(value, tz)
        if value.time() == datetime.time(0, 0):  # Excel keeps a date cell as midnight
            moment = _noon(value.date(), now)
    elif isinstance(value, datetime.date):
        moment = _noon(value, now)
    else:
        words = text(value)
        match = DATE_RE.match(words) if isinstance(value, str) else None
        if not match:
            raise CellProblem(
                _("“%(value)s” is not a date; write it like 2015-06-03 or 2015-06-03 14:30")
                % {"value": words}
            )
        y, m, d, hh, mm, ss = match.groups()
        try:
            day = datetime.date(int(y), int(m), int(d))
            if hh is None:
                moment = _noon(day, now)
            else:
                clock = datetime.time(int(hh), int(mm), int(ss or 0))
                moment = timezone.make_aware(datetime.datetime.combine(day, clock), tz)
        except ValueError as exc:
            raise CellProblem(_("“%(value)s” is not a date") % {"value": words}) from exc
    if timezone.localdate(moment) < EARLIEST_DATE:
        raise CellProblem(
            _("%(value)s is before %(earliest)s; check the date of payment")
            % {"value": moment.date().isoformat(), "earliest": EARLIEST_DATE}
        )
    if moment > now + CLOCK_SKEW:
        raise CellProblem(
            _("%(value)s is in the future; check the date of payment")
            % {"value": f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"}
        )
    return moment


def _noon(day: datetime.date, now: datetime.datetime) -> datetime.datetime:
    """A date alone means 12:00 local; paid today before noon means now."""
    moment = timezone.make_aware(datetime.datetime.combine(day, NOON))
    if day == timezone.localtime(now).date() and moment > now:
        return now
    return moment


def read_method(value) -> str:
    if blank(value):
        return PaymentMethod.CASH
    words = text(value)
    key = re.sub(r"\s", "", words)
    found = METHOD_WORDS.get(key) or METHOD_WORDS.get(key.lower())
    if found is None:
        raise CellProblem(
            _("unknown method “%(value)s”; use one of %(choices)s")
            % {"value": words, "choices": METHOD_CHOICES}
        )
    return found


def read_receipt(value) -> str:
    words = text(value)
    if not words:
        raise EmptyCell(_("every payment needs its receipt number"))
    if len(words) > RECEIPT_LENGTH:
        raise CellProblem(
            _("“%(value)s” is longer than %(n)d characters") % {"value": words, "n": RECEIPT_LENGTH}
        )
    return words


# --- the field table -----------------------------------------------------------------------

# Headers are compared after `sheet.norm` (lower case, no spaces, no bracketed units).
FIELDS = (
    Field(
        "receipt",
        "收据号",
        "收据号 票据号 收据编号 票据编号 收据号码 票据号码 receipt receiptno receiptnumber",
        required=True,
        parse=read_receipt,
        rules=(rule("收据 票据 单号 凭证号 流水号"),),
    ),
    Field(
        "unit",
        "房号",
        "房号 房屋编号 房间号 户号 房屋代码 门牌号 室号 unit unitcode room roomno",
        required=True,
        rules=(rule("房号 房间号 门牌 户号 房屋编号 单元号", none_of="面积 状态 动态"),),
        normalise=read_unit,
    ),
    Field(
        "amount",
        "缴费金额",
        "缴费金额 实收金额 金额 收款金额 amount amountpaid paidamount",
        required=True,
        parse=read_amount,
        rules=(rule("金额 实收 收款 缴费额 实缴", none_of="应收 欠费"),),
    ),
    Field(
        "date",
        "缴费日期",
        "缴费日期 收款日期 日期 缴费时间 收款时间 date paymentdate paiddate paidat",
        required=True,
        parse=read_paid_at,
        rules=(rule("日期 时间", none_of="计划 起 止"),),
    ),
    Field(
        "method",
        "缴费方式",
        "缴费方式 支付方式 付款方式 收款方式 method paymentmethod",
        parse=read_method,
        rules=(rule("方式 渠道"),),
    ),
    Field(
        "owner",
        "业主",
        "业主 业主姓名 姓名 户主 客户名称 owner ownername",
        rules=(rule("业主 户主 客户 姓名", none_of="电话 手机 证 卡 账号 收款人 经办"),),
    ),
    Field(
        "note", "备注", "备注 说明 摘要 note notes remark remarks", rules=(rule("备注 说明 摘要"),)
    ),
)
PAYMENT_SHEET = SheetFormat(
    fields=FIELDS,
    error=PaymentFileError,
    anchors=("receipt", "unit"),
    max_bytes=MAX_BYTES,
    max_rows=MAX_ROWS,
    max_columns=MAX_COLUMNS,
    too_big=gettext_lazy("The file is larger than 10 MB. Export fewer days at a time."),
    too_many_rows=gettext_lazy("The sheet has more than %(n)d rows. Export fewer days at a time."),
    no_header=gettext_lazy(
        "No header row found. The first row must name the columns: "
        "收据号, 房号, 缴费金额, 缴费日期 (and 缴费方式, 备注 if the export has them)."
    ),
    missing_columns=gettext_lazy(
        "The sheet has no column for: %(names)s. Export it from the billing system."
    ),
    kind="payments",
    extra_note=gettext_lazy("not imported as a field: added to the payment's note"),
)


def parse_workbook(file, *, name: str = "", mapping: dict | None = None) -> ParsedSheet:
    """Read the first sheet of an upload (a file object) into rows keyed by our field names;
    `mapping` is what the office said of its columns (imports.models.ColumnMapping)."""
    return PAYMENT_SHEET.read(file, name=name, mapping=mapping)


# --- validation ----------------------------------------------------------------------------


class Status:
    NEW = "new"
    ALREADY = "already_imported"
    REPEATED = "repeated_in_file"
    PROBLEM = "problem"


@dataclass
class RowResult:
    number: int
    receipt: str
    unit: str
    status: str = Status.NEW
    problems: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    household: Household | None = None
    amount: Decimal | None = None
    paid_at: datetime.datetime | None = None
    method: str = ""
    note: str = ""
    payment: Payment | None = None
    flags: list[str] = field(default_factory=list)  # phrases of unlawful methods in its cells
    unit_note: str = ""  # how the unit code was normalised, if it was

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def flag_details(self):
        return flag_details(self.flags)

    @property
    def key(self) -> tuple:
        """The row's contents as compared with another row of the same receipt."""
        return (self.unit, self.amount, self.paid_at, self.method, self.note)

    @property
    def muted(self) -> bool:
        """Nothing to record: already imported, or repeated in the file."""
        return self.status != Status.NEW

    def problem(self, message: str) -> None:
        self.status = Status.PROBLEM
        self.problems.append(row_problem(self.number, message))

    def warning(self, message: str) -> None:
        self.warnings.append(row_warning(self.number, message))

    def read(self, parsed_row: ParsedRow, name: str, **context):
        """The cell read by its field's parser, or None with a problem naming the column."""
        try:
            return parsed_row.read(name, **context)
        except CellError as error:
            self.status = Status.PROBLEM
            self.problems.append(error.as_problem)
            return None

    def outcome(self) -> str:
        """What the row does, in words, for the preview."""
        if self.status == Status.ALREADY:
            return _("already imported")
        if self.status == Status.REPEATED:
            return _("same as an earlier row of the file")
        if self.status == Status.NEW:
            return _("new payment")
        return _("problem")


def validate(parsed: ParsedSheet, *, office: Office, now=None) -> list[RowResult]:
    """Every row checked against the office: its problems, or what it would record."""
    now = now or timezone.now()
    units = {r.text("unit").upper() for r in parsed.rows}
    households = {
        h.unit_code.upper(): h
        for h in Household.objects.filter(office=office, unit_code__in=units).prefetch_related(
            "owners"
        )
    }
    # Receipts are compared as arrears.receipts keys them: "R-1" and "ｒ－１" are one receipt.
    keys = {receipt_key(r.text("receipt")) for r in parsed.rows} - {""}
    held = {
        p.receipt_key: p
        for p in Payment.objects.filter(
            office=office, kind=Payment.Kind.PAYMENT, receipt_key__in=keys
        ).select_related("household")
    }
    results = []
    first_of: dict[str, RowResult] = {}
    for parsed_row in parsed.rows:
        row = _validate_row(parsed_row, office, households, now)
        results.append(row)
        if not row.receipt:
            continue
        key = receipt_key(row.receipt)
        earlier = first_of.setdefault(key, row)
        if earlier is not row:
            if earlier.key == row.key:
                if row.ok:
                    row.status = Status.REPEATED
            else:
                row.problem(
                    _(
                        "receipt %(no)s is also on row %(first)d with different contents; "
                        "one receipt is one payment, correct the receipt number or the row"
                    )
                    % {"no": row.receipt, "first": earlier.number}
                )
            continue
        if key in held and row.status == Status.NEW:
            row.status = Status.ALREADY
            _compare_with_held(row, held[key])
    _warn_of_excess(results)
    return results


def _warn_of_excess(results: list[RowResult]) -> None:
    """Rows paying more than their household owes (after the file's earlier rows): the
    preview says so, and importing the file is the confirmation that the excess is kept as
    the household's credit (arrears.credit), not counted as arrears collected."""
    new = [r for r in results if r.status == Status.NEW and r.household and r.amount]
    owed = dict(
        DebtPeriod.objects.filter(household__in={r.household.pk for r in new})
        .values("household")
        .annotate(owed=Sum(F("amount_due") - F("amount_paid")))
        .values_list("household", "owed")
    )
    for row in sorted(new, key=lambda r: (r.paid_at, r.number)):
        left = owed.get(row.household.pk) or Decimal("0.00")
        if row.amount > left:
            row.warning(
                _(
                    "¥%(amount)s is ¥%(excess)s more than %(unit)s owes (¥%(owed)s); "
                    "importing keeps the excess as the household's credit, not as arrears "
                    "collected: check the amount before importing"
                )
                % {
                    "amount": f"{row.amount:,.2f}",
                    "excess": f"{row.amount - left:,.2f}",
                    "unit": row.unit,
                    "owed": f"{left:,.2f}",
                }
            )
        owed[row.household.pk] = max(left - row.amount, Decimal("0.00"))


def _validate_row(parsed_row: ParsedRow, office, households: dict, now) -> RowResult:
    values = parsed_row.values
    row = RowResult(
        number=parsed_row.number,
        receipt=parsed_row.text("receipt"),
        unit=parsed_row.text("unit").upper(),
        warnings=list(parsed_row.warnings),
        unit_note=parsed_row.notes.get("unit", ""),
    )
    row.read(parsed_row, "receipt")
    if not row.unit:
        row.problem(_("column 房号 is empty; enter the unit, like C6-101"))
    else:
        row.household = households.get(row.unit)
        if row.household is None:
            row.problem(
                _("unit %(unit)s is not a household of %(office)s; check the unit code")
                % {"unit": row.unit, "office": office}
            )
    row.amount = row.read(parsed_row, "amount")
    row.paid_at = row.read(parsed_row, "date", now=now)
    row.method = row.read(parsed_row, "method") or ""
    row.note = "；".join(
        [parsed_row.text("note"), *(f"{k}：{v}" for k, v in parsed_row.extra.items())]
    ).strip("；")
    room = NOTE_LENGTH - len(f"{IMPORT_NOTE}：")
    for problem in (too_long(row.note, limit=room, what=_("the note with the extra columns")),):
        if problem:
            row.problem(problem)
    if too_large(row.amount, digits=MONEY_DIGITS):
        row.problem(_("the amount has more than 10 digits before the point: check the number"))
    row.flags = flagged_terms(
        *(v for v in values.values() if isinstance(v, str)), *parsed_row.extra.values()
    )
    owner = parsed_row.text("owner")
    if owner and row.household is not None:
        names = [o.name for o in row.household.owners.all()]
        if names and not any(owner == n or owner in n or n in owner for n in names):
            row.warning(
                _("the owner in the file is %(file)s, but %(unit)s's owner is %(held)s; check it")
                % {"file": owner, "unit": row.unit, "held": "、".join(names)}
            )
    return row


def _compare_with_held(row: RowResult, payment: Payment) -> None:
    """A receipt already recorded is skipped; say so when the record differs from the row."""
    if (
        row.household is not None and payment.household_id != row.household.pk
    ) or payment.amount != row.amount:
        row.warning(
            _(
                "receipt %(no)s is already recorded as %(unit)s ¥%(amount)s, the file says "
                "%(file_unit)s ¥%(file_amount)s; it is skipped, check which is right"
            )
            % {
                "no": row.receipt,
                "unit": payment.household.unit_code,
                "amount": payment.amount,
                "file_unit": row.unit,
                "file_amount": row.amount,
            }
        )


# --- the import ----------------------------------------------------------------------------


@dataclass
class ImportReport(SheetReport):
    rows: list[RowResult]
    cases_cleared: int = 0
    errors: list[str] = field(default_factory=list)  # raised while writing (a race)

    @property
    def problems(self) -> list[str]:
        return [*super().problems, *self.errors]

    @property
    def new_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == Status.NEW]

    @property
    def imported(self) -> int:
        return len(self.new_rows)

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.new_rows), Decimal("0.00"))

    @property
    def skipped(self) -> int:
        return sum(r.status == Status.ALREADY for r in self.rows)

    @property
    def repeated(self) -> int:
        return sum(r.status == Status.REPEATED for r in self.rows)

    def summary_lines(self) -> list[str]:
        lines = [
            (
                _("Payments imported: %(n)d, ¥%(total)s")
                if self.written
                else _("Payments to import: %(n)d, ¥%(total)s")
            )
            % {"n": self.imported, "total": f"{self.total:,.2f}"},
            _("Skipped, already imported: %(n)d") % {"n": self.skipped},
        ]
        if self.repeated:
            lines.append(_("Skipped, repeated in the file: %(n)d") % {"n": self.repeated})
        if self.written:
            lines.append(_("Cases cleared: %(n)d") % {"n": self.cases_cleared})
        if self.flagged_rows:
            lines.append(
                _("%(n)d rows name an unlawful collection method: flagged for the office manager")
                % {"n": len(self.flagged_rows)}
            )
        return lines


class _WriteFailed(Exception):
    pass


def payment_import(
    *,
    parsed: ParsedSheet,
    office: Office,
    by,
    dry_run: bool,
    now=None,
    accept_warnings: bool = False,
    progress=None,
) -> ImportReport:
    """Validate every row and, unless `dry_run`, any row has a problem or a warning was not
    accepted, record every new row, oldest first, all or none. Validation runs in the same
    transaction as the writes. `progress(done, total)`: for background jobs."""
    if by is None and not dry_run:
        raise ValueError("An import that writes needs the user who records the payments.")
    with transaction.atomic():
        report = ImportReport(
            rows=validate(parsed, office=office, now=now),
            dry_run=dry_run,
            accept_warnings=accept_warnings,
            from_reading=list(parsed.skipped),
        )
        if not report.may_write or dry_run:
            return report
        rows = sorted(report.new_rows, key=lambda r: (r.paid_at, r.number))
        try:
            with transaction.atomic():
                # Every household of the file locked at once, in id order, before the first
                # batch: two imports of overlapping files wait for each other, never deadlock.
                households_lock(r.household.pk for r in rows)
                for start in range(0, len(rows), PROGRESS_EVERY):
                    _record(rows[start : start + PROGRESS_EVERY], by)
                    if progress is not None:
                        progress(min(start + PROGRESS_EVERY, len(rows)), len(rows))
                report.cases_cleared = Clearance.objects.filter(
                    payment__in=[r.payment.pk for r in rows]
                ).count()
        except _WriteFailed as exc:
            for row in report.rows:
                row.payment = None
            report.errors.append(str(exc))
            return report
        report.written = True
        if progress is not None and not rows:
            progress(0, 0)
        report.tell_managers_of_flags(
            office=office, title=gettext_noop("Imported payments: %(n)d rows flagged for review")
        )
    return report


def _record(rows: list[RowResult], by) -> None:
    """Record a batch of rows (arrears.payments.payments_record: exactly what recording each
    in turn does), or raise _WriteFailed naming the row refused; nothing is written then."""
    items = []
    for row in rows:
        note = f"{IMPORT_NOTE}：{row.note}" if row.note else IMPORT_NOTE
        items.append(
            PaymentItem(
                household=row.household,
                amount=row.amount,
                paid_at=row.paid_at,
                method=row.method,
                receipt_no=row.receipt,
                note=note[:NOTE_LENGTH],
                confirm_excess=True,  # the preview warned of it; importing the file confirms it
            )
        )
    try:
        # notify_flags=False: the managers hear once for the whole file.
        payments = payments_record(items=items, by=by, notify_flags=False)
    except PaymentRefused as exc:
        messages = "; ".join(m.rstrip(".") for m in exc.messages)
        raise _WriteFailed(
            _("Row %(row)d: %(problem)s. Nothing was imported; check the file and try again.")
            % {"row": rows[exc.index].number, "problem": messages}
        ) from exc
    except IntegrityError as exc:  # a receipt recorded at this moment by someone else
        raise _WriteFailed(
            _(
                "Rows %(first)d to %(last)d: a receipt was recorded by someone else meanwhile. "
                "Nothing was imported; import the file again (receipts already recorded are "
                "skipped)."
            )
            % {"first": min(r.number for r in rows), "last": max(r.number for r in rows)}
        ) from exc
    for row, payment in zip(rows, payments, strict=True):
        row.payment = payment
