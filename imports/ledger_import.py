"""Import of an office's arrears ledger from Excel (DESIGN.md §6).

Three steps, each usable on its own:

- `parse_workbook` reads the first sheet with the shared reader (`imports.sheet`) and maps
  its columns to our fields through the ledger's field table (`FIELDS`). It accepts our
  template and the flat lists offices already keep (the plan's table). Problems with the file
  itself raise `LedgerFileError`.
- `validate` turns every row into a plan of what it would write, or into problems that say
  what to fix, with the row number as Excel shows it.
- `ledger_import` runs both inside one transaction and writes only when no row has a problem.

Rules the office can rely on: an empty cell never erases what is held; importing the same file
again changes nothing; amounts already held are only replaced when the import is told to
(`update_amounts`), and never below what has been paid.

Every text cell is scanned for unlawful methods (arrears.unlawful), including columns we
have no field for (收缴措施, 催收措施 …): those are kept on the case as written
(`Case.imported_text`), not dropped. A row that names a method — even as an instruction, such
as a 收缴措施 of 停水停电 — is imported (a ledger's history is a fact) but flagged: in the
preview, on the case (`Case.flagged_terms`), and to the office manager once the file is written.
"""

import datetime
import functools
import io
import re
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from arrears import case_figures
from arrears.bulk import create_with_history, history_insert, rows_insert, update_with_history
from arrears.credit import credit_apply, households_with_credit
from arrears.inputs import MONEY_DIGITS, too_large, too_long
from arrears.ledger import CENT, monthly_fee, months_between
from arrears.models import (
    Campaign,
    Case,
    DebtorCategory,
    DebtPeriod,
    FeeRate,
    Office,
)
from arrears.money import ZERO
from arrears.unlawful import flag_details, flagged_terms
from escalation.models import WaiverAllocation
from households.models import Household, Occupancy, Owner, building_of
from imports.headers import rule
from imports.sheet import (
    CellError,
    CellProblem,
    Field,
    ParsedRow,
    ParsedSheet,
    Problem,
    SheetFileError,
    SheetFormat,
    SheetReport,
    blank,
    row_problem,
    text,
)
from imports.values import count as read_count
from imports.values import money as read_amount
from imports.values import month as read_month
from imports.values import period as read_period
from imports.values import unit_code as read_unit
from teams.models import Team

MAX_BYTES = 10 * 1024 * 1024
# Rows written per batch: each batch costs the same few statements whatever the rows hold,
# and the progress of a background job moves once per batch.
PROGRESS_EVERY = 500
BULK_SIZE = 2000  # objects per INSERT/UPDATE statement (SQLite lowers it to its own limit)
MAX_ROWS = 100_000  # 50,000-row ledgers run as background jobs (imports.jobs)
MAX_COLUMNS = 60  # as imports.files.Limits: a wider sheet is refused, never cut
EXAMPLE_MARK = "例："  # the template's example row starts so, and is skipped

CATEGORY_WORDS = {
    "空关": DebtorCategory.VACANT,
    "无法联系": DebtorCategory.UNREACHABLE,
    "联系不上": DebtorCategory.UNREACHABLE,
    "异地出差": DebtorCategory.AWAY,
    "异地": DebtorCategory.AWAY,
    "特殊拒交": DebtorCategory.GRIEVANCE,
    "恶意拒交": DebtorCategory.REFUSAL,
    "待分类": DebtorCategory.UNCLASSIFIED,
    "未分类": DebtorCategory.UNCLASSIFIED,
    "未分类别": DebtorCategory.UNCLASSIFIED,
} | {c.value: c for c in DebtorCategory}
OCCUPANCY_WORDS = {
    "入住": Occupancy.OCCUPIED,
    "已入住": Occupancy.OCCUPIED,
    "空关": Occupancy.VACANT,
    "未入住": Occupancy.NEVER_MOVED_IN,
    "装修中": Occupancy.RENOVATING,
    "已装修未入住": Occupancy.RENOVATED_EMPTY,
    "已装修完毕": Occupancy.RENOVATED_EMPTY,  # the plan's wording for E2-2-201
} | {o.value: o for o in Occupancy}
CATEGORY_CHOICES = "空关、无法联系、异地出差、特殊拒交、恶意拒交，或留空（待分类）"
OCCUPANCY_CHOICES = "入住、空关、未入住、装修中、已装修未入住"

DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
NOTE_RE = re.compile(r"^(.*?)\s*[(（](.*)[)）]\s*$")


class LedgerFileError(SheetFileError):
    """The file cannot be read as a ledger at all; the message says why, for the user."""


# --- reading the ledger's own cells --------------------------------------------------------


def read_planned(value) -> tuple[datetime.date | None, str]:
    """A planned date, or a note where the plan gives words (已打报告)."""
    if blank(value):
        return None, ""
    if isinstance(value, datetime.datetime | datetime.date):
        return datetime.date(value.year, value.month, value.day), ""
    words = text(value)
    match = DATE_RE.match(words)
    if not match:
        return None, words[:300]
    try:
        return datetime.date(*(int(g) for g in match.groups())), ""
    except ValueError as exc:
        raise CellProblem(_("“%(value)s” is not a date") % {"value": words}) from exc


def _word(value, table: dict, message: str, choices: str):
    """The code a word stands for; `message` (with value and choices) when there is none."""
    words = text(value)
    key = re.sub(r"\s", "", words)
    found = table.get(key) or table.get(key.removesuffix("类")) or table.get(key.lower())
    if found is None:
        raise CellProblem(message % {"value": words, "choices": choices})
    return found


def read_category(value) -> str:
    """The category a cell names; "" for an empty cell, which says nothing (see _plan_case)."""
    if blank(value):
        return ""
    return _word(
        value,
        CATEGORY_WORDS,
        _("unknown category “%(value)s”; use one of %(choices)s"),
        CATEGORY_CHOICES,
    )


def read_occupancy(value) -> tuple[str | None, str]:
    """(occupancy, note): 未入住（样板房） → never moved in, note 样板房."""
    if blank(value):
        return None, ""
    words, note = text(value), ""
    match = NOTE_RE.match(words)
    if match:
        words, note = match.group(1), match.group(2).strip()
    message = _("unknown occupancy “%(value)s”; use one of %(choices)s")
    return _word(words, OCCUPANCY_WORDS, message, OCCUPANCY_CHOICES), note


# --- the field table -----------------------------------------------------------------------

# Our template's columns come first, in order, with their width and the 说明 sheet's
# explanation; headers are compared after `sheet.norm` (lower case, no spaces, no bracketed
# units).
FIELDS = (
    Field(
        "unit",
        "房号",
        "房号 房屋编号 房间号 户号 单元房号 房屋代码 门牌号 室号 房产编号 unit unitcode room roomno",
        required=True,
        width=12,
        explanation="必填。房号，如 C6-101、E2-2-201、3栋502；同一房号只写一行。",
        rules=(rule("房号 房间号 门牌 户号 房屋编号 房产编号 单元号", none_of="面积 状态 动态"),),
        normalise=read_unit,
    ),
    Field(
        "owner",
        "业主",
        "业主 业主姓名 姓名 业主名称 户主 户主姓名 客户名称 住户 owner ownername name",
        width=10,
        rules=(
            rule(
                "业主 户主 客户 住户 姓名",
                none_of="电话 手机 证 卡 账号 地址 责任 负责 经办 收费 类",
            ),
        ),
        explanation="业主姓名；与已有业主不同则新增一位业主。",
    ),
    Field(
        "phone",
        "业主电话",
        "业主电话 电话 联系电话 手机 手机号 phone telephone mobile",
        width=14,
        rules=(rule("电话 手机 联系方式 tel phone mobile"),),
        explanation="业主电话。",
    ),
    Field(
        "occupancy",
        "房屋动态",
        "房屋动态 房屋状态 入住情况 入住状态 occupancy",
        parse=read_occupancy,
        rules=(rule("动态 入住 房屋状态 居住状态 使用状态"),),
        width=14,
        explanation=(
            "入住、空关、未入住、装修中、已装修未入住；括号内可写备注，如 未入住（样板房）。"
        ),
    ),
    Field(
        "area",
        "建筑面积",
        "建筑面积 面积 area aream2 buildingarea",
        parse=read_amount,
        rules=(rule("面积 area"),),
        width=10,
        explanation="建筑面积（㎡），大于 0。",
    ),
    Field(
        "first_month",
        "起始月份",
        "起始月份 欠费周期起 欠费起始月份 欠费起始 开始月份 起始 from frommonth firstmonth startmonth",
        parse=read_month,
        width=11,
        explanation="必填（或填“欠费期间”）。欠费起始月份，如 2013-05、2013年5月、2013/5。",
        rules=(rule("起始 开始 起", "月 期 时间 日期", none_of="计划 止 至"),),
    ),
    Field(
        "last_month",
        "截止月份",
        "截止月份 欠费周期止 欠费截止月份 欠费截止 结束月份 截止 to tomonth lastmonth endmonth through",
        parse=read_month,
        width=11,
        explanation="必填（或填“欠费期间”）。欠费截止月份（含），不得早于起始月份，不得晚于本月。",
        rules=(rule("截止 截至 结束 止 至", "月 期 时间 日期", none_of="计划 起"),),
    ),
    Field(
        "months",
        "月数",
        "月数 欠费月数 months monthcount numberofmonths",
        parse=read_count,
        rules=(rule("月数 个月 期数"),),
        width=7,
        explanation="可不填；填写时须与起止月份一致。",
    ),
    Field(
        "monthly",
        "每月金额",
        "每月金额 月金额 月物业费 每月物业费 monthly monthlyamount monthlyfee",
        parse=read_amount,
        rules=(
            rule("每月 月度 单月 月费"),
            rule("月", "物业费 管理费 金额 标准 收费", none_of="月数 合计 总 欠费 起 止 至"),
        ),
        width=10,
        explanation="可不填：不填时按 建筑面积 × 当月收费标准 计算。",
    ),
    # Not in our template: an office's own list may give the whole range's total.
    Field(
        "total",
        "欠费金额",
        "欠费金额 金额 欠费总额 欠费合计 amount total amountowed",
        parse=read_amount,
        rules=(
            rule(
                "金额 合计 总额 欠费 欠款 应收 应缴",
                none_of="每月 月 原因 类 期间 周期 时段 说明 备注 措施",
            ),
        ),
    ),
    # Not in our template: the whole period in one cell, as the campaign plan writes it.
    Field(
        "period",
        "欠费期间",
        "欠费期间 欠费周期 欠费时段 所属期间 期间 周期 起止月份 起止时间 欠费起止 period",
        parse=read_period,
        rules=(rule("期间 周期 时段 起止 区间", none_of="计划"),),
    ),
    Field(
        "reason",
        "欠费原因",
        "欠费原因 原因 reason",
        width=24,
        explanation="欠费原因。",
        rules=(rule("原因"),),
    ),
    Field(
        "category",
        "欠费类型",
        "欠费类型 类型 类别 欠费类别 category debtorcategory",
        parse=read_category,
        width=12,
        explanation="必填。空关、无法联系、异地出差、特殊拒交、恶意拒交。",
        rules=(rule("类型 类别 分类", none_of="房屋 缴费 支付"),),
    ),
    Field(
        "team",
        "小组",
        "小组 组别 收费小组 team teamcode",
        width=6,
        rules=(rule("小组 组别 班组"),),
        explanation="收费小组代码，如 A、B、C、D（须为本次清收行动的小组）。",
    ),
    Field(
        "responsible",
        "责任人",
        "责任人 负责人 收费责任人 responsible responsibleperson",
        width=10,
        rules=(rule("责任人 负责人 经办人 催收人 收费员"),),
        explanation="责任人的用户名或姓名。",
    ),
    Field(
        "planned",
        "计划收取时间",
        "计划收取时间 计划收取日期 计划时间 计划完成时间 planned planneddate plannedby",
        parse=read_planned,
        width=14,
        rules=(rule("计划", "时间 日期 收取 完成"),),
        explanation="日期，如 2015-08-15；写文字（如 已打报告）则记为计划备注。",
    ),
)
TEMPLATE_EXAMPLE = [
    "例：C6-101",
    "张静",
    "13900000000",
    "未入住（样板房）",
    132.56,
    "2013-05",
    "2015-05",
    25,
    None,
    "家中被盗",
    "特殊拒交",
    "A",
    "zhaoyang",
    "2015-08-15",
]

LEDGER_SHEET = SheetFormat(
    fields=FIELDS,
    error=LedgerFileError,
    anchors=("unit",),
    max_bytes=MAX_BYTES,
    max_rows=MAX_ROWS,
    max_columns=MAX_COLUMNS,
    too_big=gettext_lazy("The file is larger than 10 MB. Split the ledger into parts."),
    too_many_rows=gettext_lazy("The sheet has more than %(n)d rows. Split the ledger into parts."),
    no_header=gettext_lazy(
        "No header row found. The first row must name the columns, such as "
        "房号, 起始月份, 截止月份, 欠费类型 (download the template)."
    ),
    missing_columns=gettext_lazy(
        "The sheet has no column for: %(names)s. Add it (see the template)."
    ),
    skip=lambda values: text(values["unit"]).startswith(EXAMPLE_MARK),
    # A unit, and the months: one period column, or a first and a last month.
    required=(("unit",), ("period", "first_month+last_month")),
    kind="ledger",
    extra_note=gettext_lazy("not imported as a field: kept as written on the case"),
)
FIELD_LABELS = LEDGER_SHEET.labels


def parse_workbook(file, *, name: str = "", mapping: dict | None = None) -> ParsedSheet:
    """Read the first sheet of an upload (a file object) into rows keyed by our field names;
    `mapping` is what the office said of its columns (imports.models.ColumnMapping)."""
    return LEDGER_SHEET.read(file, name=name, mapping=mapping)


# --- validation ----------------------------------------------------------------------------


@dataclass
class RowPlan:
    """What one valid row would write, compared with what is held now."""

    unit: str
    household: Household | None
    household_fields: dict = field(default_factory=dict)  # changed or new field values
    owner: tuple[str, str] | None = None  # (name, phone) to add or update
    owner_change: bool = False
    new_periods: dict = field(default_factory=dict)  # month → amount
    changed_periods: list = field(default_factory=list)  # (HeldPeriod, new amount)
    unchanged_periods: int = 0
    case: Case | None = None
    case_fields: dict = field(default_factory=dict)  # changed or new field values

    @property
    def household_new(self) -> bool:
        return self.household is None

    @property
    def household_changed(self) -> bool:
        return not self.household_new and bool(self.household_fields or self.owner_change)

    @property
    def case_new(self) -> bool:
        return self.case is None

    @property
    def case_changed(self) -> bool:
        return not self.case_new and bool(self.case_fields)


@dataclass
class RowResult:
    number: int
    unit: str
    problems: list[str]
    plan: RowPlan | None = None
    flags: list[str] = field(default_factory=list)  # phrases of unlawful methods in its cells
    warnings: list[Problem] = field(default_factory=list)  # shown; accepted to import
    period: str = ""  # how the months were read: “2013-05 — 2015-05, 25 months”
    unit_note: str = ""  # how the unit code was normalised, if it was

    @property
    def flag_details(self):
        return flag_details(self.flags)

    @property
    def ok(self) -> bool:
        return not self.problems

    def changes(self) -> list[str]:
        """What this row would do, in words, for the preview."""
        plan = self.plan
        if plan is None:
            return []
        out = []
        if plan.household_new:
            out.append(_("new household"))
        elif plan.household_changed:
            out.append(_("household details updated"))
        if plan.new_periods:
            out.append(_("%(n)d new months") % {"n": len(plan.new_periods)})
        if plan.changed_periods:
            out.append(_("%(n)d months with a new amount") % {"n": len(plan.changed_periods)})
        if plan.case_new:
            out.append(_("new case"))
        elif plan.case_changed:
            out.append(_("case updated"))
        return out or [_("no change")]

    def outcome(self) -> str:
        """What this row would do, in one line, for the preview."""
        return "，".join(self.changes())


@dataclass
class _Context:
    """Everything rows are checked against, loaded once."""

    office: Office
    campaign: Campaign
    today: datetime.date
    create_households: bool
    update_amounts: bool
    households: dict
    periods: dict  # household id → HeldMonths
    waived: set  # ids of periods an approved waiver lowered
    cases: dict  # household id → Case
    teams: dict  # code → Team
    people: dict  # username (lower) or display name → [users]
    rates: list  # FeeRate, newest first

    @classmethod
    def load(cls, parsed, *, office, campaign, today, create_households, update_amounts):
        units = {r.text("unit").upper() for r in parsed.rows}
        households = {
            h.unit_code: h
            for h in Household.objects.filter(office=office, unit_code__in=units).prefetch_related(
                "owners"
            )
        }
        # The months held, as plain values in arrays: a re-imported ledger of 1.5 million
        # months would otherwise hold 1.5 million model instances (about 750 MB).
        periods: dict = {}
        for household_id, month, pk, due, paid in (
            DebtPeriod.objects.filter(household__in=households.values())
            .order_by("household_id", "month")
            .values_list("household_id", "month", "pk", "amount_due", "amount_paid")
            .iterator(chunk_size=2_000)
        ):
            held = periods.get(household_id)
            if held is None:
                held = periods[household_id] = HeldMonths()
            held.add(month, pk, due, paid)
        cases = {c.household_id: c for c in Case.objects.filter(campaign=campaign)}
        teams = {t.code.upper(): t for t in Team.objects.filter(campaign=campaign)}
        people = _people(office, campaign)
        _attach(cases.values(), teams, people)
        waived = set(
            WaiverAllocation.objects.filter(period__household__in=households.values()).values_list(
                "period_id", flat=True
            )
        )
        return cls(
            office=office,
            campaign=campaign,
            today=today,
            create_households=create_households,
            update_amounts=update_amounts,
            households=households,
            periods=periods,
            waived=waived,
            cases=cases,
            teams=teams,
            people=people,
            rates=list(FeeRate.objects.filter(office=office).order_by("-effective_from")),
        )

    def rate_for(self, month: datetime.date) -> Decimal | None:
        return next((r.rate_per_m2 for r in self.rates if r.effective_from <= month), None)


class HeldPeriod(NamedTuple):
    """A month as held, for comparing with the file (and for updating it by its id)."""

    pk: int
    month: datetime.date
    amount_due: Decimal
    amount_paid: Decimal


def _fen(amount: Decimal) -> int | None:
    """The amount in whole fen, or None when it has a fraction of a fen (never held so)."""
    fen = amount.scaleb(2)
    return int(fen) if fen == fen.to_integral_value() else None


class HeldMonths:
    """One household's months as held: month numbers, ids and amounts in fen in arrays, about
    32 bytes a month, looked up by bisection (the query gives them in month order)."""

    __slots__ = ("due", "ids", "months", "paid")

    def __init__(self):
        self.months, self.ids = array("l"), array("q")
        self.due, self.paid = array("q"), array("q")

    def add(self, month: datetime.date, pk: int, due: Decimal, paid: Decimal) -> None:
        self.months.append(month.year * 12 + month.month - 1)
        self.ids.append(pk)
        self.due.append(_fen(due))
        self.paid.append(_fen(paid))

    def find(self, month: datetime.date) -> int | None:
        """The month's place in the arrays, or None when it is not held."""
        key = month.year * 12 + month.month - 1
        i = bisect_left(self.months, key)
        return i if i < len(self.months) and self.months[i] == key else None

    def period(self, i: int, month: datetime.date) -> HeldPeriod:
        return HeldPeriod(
            self.ids[i],
            month,
            Decimal(self.due[i]).scaleb(-2).quantize(CENT),
            Decimal(self.paid[i]).scaleb(-2).quantize(CENT),
        )


_NOTHING_HELD = HeldMonths()


def _attach(cases, teams: dict, people: dict) -> None:
    """Give each case its team and responsible person from what is loaded already, so that
    comparing them with the file costs no query per row; people no longer on the office's
    staff or teams are fetched in one query."""
    by_id = {t.pk: t for t in teams.values()}
    users = {u.pk: u for found in people.values() for u in found}
    missing = {c.responsible_id for c in cases if c.responsible_id} - set(users)
    if missing:
        users |= get_user_model().objects.in_bulk(missing)
    for case in cases:
        if case.team_id is not None and case.team_id in by_id:
            case.team = by_id[case.team_id]
        if case.responsible_id is not None:
            case.responsible = users[case.responsible_id]


def _people(office, campaign) -> dict:
    """Who may be named responsible: the office's staff and the campaign's team members."""
    users = (
        get_user_model()
        .objects.filter(Q(staff_profile__office=office) | Q(teams__campaign=campaign))
        .select_related("staff_profile")
        .distinct()
    )
    people: dict = {}
    for user in users:
        people.setdefault(user.get_username().lower(), []).append(user)
        name = getattr(getattr(user, "staff_profile", None), "display_name", "")
        if name and name.lower() != user.get_username().lower():
            people.setdefault(name.strip(), []).append(user)
    return people


def validate(
    parsed: ParsedSheet,
    *,
    office: Office,
    campaign: Campaign,
    today: datetime.date,
    create_households: bool = True,
    update_amounts: bool = False,
) -> list[RowResult]:
    """Every row's problems, or its plan. `update_amounts`: replace amounts held that differ
    (without it, a different amount is a problem, so a wrong file cannot silently rewrite the
    ledger)."""
    if campaign.office_id != office.pk:
        raise ValueError("The campaign belongs to another office.")
    ctx = _Context.load(
        parsed,
        office=office,
        campaign=campaign,
        today=today,
        create_households=create_households,
        update_amounts=update_amounts,
    )
    first_row = {}
    for row in parsed.rows:
        first_row.setdefault(row.text("unit").upper(), row.number)
    return [_validate_row(row, ctx, first_row) for row in parsed.rows]


class _Row:
    """Collects one row's problems while its cells are read."""

    def __init__(self, row: ParsedRow):
        self.row = row
        self.problems: list[str] = []
        self.warnings: list[Problem] = list(row.warnings)
        self.period = ""
        self.plan_note = ""  # a warning the case keeps as its plan note

    def problem(self, message: str) -> None:
        self.problems.append(row_problem(self.row.number, message))

    def warning(self, message: str, *, key: str = "") -> None:
        column = self.row.letters.get(key, "")
        label = FIELD_LABELS.get(key, "") if column else ""
        self.warnings.append(
            Problem(self.row.number, message, column=column, label=label, level=Problem.WARNING)
        )

    def read(self, name: str):
        """The cell read by its field's parser, or None with a problem naming the column."""
        try:
            return self.row.read(name)
        except CellError as error:
            self.problems.append(error.as_problem)
            return None

    def result(self, unit: str, plan=None) -> "RowResult":
        return RowResult(
            self.row.number,
            unit,
            self.problems,
            None if self.problems else plan,
            warnings=self.warnings,
            period=self.period,
            unit_note=self.row.notes.get("unit", ""),
        )


def _row_texts(parsed_row: ParsedRow) -> list[str]:
    """Every text cell of the row, the columns we read and the ones we keep as written."""
    return [
        *(v for v in parsed_row.values.values() if isinstance(v, str)),
        *parsed_row.extra.values(),
    ]


def _validate_row(parsed_row: ParsedRow, ctx: _Context, first_row: dict) -> RowResult:
    flags = flagged_terms(*_row_texts(parsed_row))
    result = _validate_cells(parsed_row, ctx, first_row, flags)
    result.flags = flags
    return result


def _validate_cells(
    parsed_row: ParsedRow, ctx: _Context, first_row: dict, flags: list[str]
) -> RowResult:
    row = _Row(parsed_row)
    unit = parsed_row.text("unit").upper()
    if not unit:
        row.problem(_("the unit (房号) is empty"))
        return row.result(unit)
    if first_row[unit] != parsed_row.number:
        row.problem(
            _("unit %(unit)s is also on row %(first)d; keep one row per household")
            % {"unit": unit, "first": first_row[unit]}
        )
    household = ctx.households.get(unit)
    if household is None and not ctx.create_households:
        row.problem(
            _("unit %(unit)s is not a household of %(office)s; check the unit code")
            % {"unit": unit, "office": ctx.office}
        )
    _lengths(row, unit)
    months = _months(row, ctx)
    area = row.read("area")
    if area is not None and area <= 0:
        row.problem(_("the area must be more than 0"))
        area = None
    if too_large(area, digits=AREA_DIGITS):
        row.problem(_("the area %(area)s m² is too large: check the number") % {"area": area})
        area = None
    amounts = _amounts(row, ctx, area or (household and household.area_m2), months)
    if amounts and any(too_large(a, digits=MONEY_DIGITS) for a in amounts.values()):
        row.problem(_("an amount has more than 10 digits before the point: check the number"))
        amounts = None
    plan = RowPlan(unit=unit, household=household)
    _plan_household(row, plan, area)
    _plan_case(row, ctx, plan, flags)
    if amounts:
        _plan_periods(row, ctx, plan, amounts)
    return row.result(unit, plan)


AREA_DIGITS = Household._meta.get_field("area_m2").max_digits
# What each text cell may hold, from the columns it is stored in.
TEXT_LIMITS = {
    "owner": Owner._meta.get_field("name").max_length,
    "phone": Owner._meta.get_field("phone").max_length,
    "reason": Case._meta.get_field("reason").max_length,
    "planned": Case._meta.get_field("plan_note").max_length,
}


def _lengths(row: _Row, unit: str) -> None:
    """Texts longer than their column are problems of the row, at preview."""
    problems = [
        too_long(
            unit, limit=Household._meta.get_field("unit_code").max_length, what=FIELD_LABELS["unit"]
        ),
        too_long(
            building_of(unit),
            limit=Household._meta.get_field("building").max_length,
            what=_("the building part of the unit (before the first “-”)"),
        ),
    ]
    for name, limit in TEXT_LIMITS.items():
        value = row.row.values.get(name)
        if not isinstance(value, datetime.date):
            problems.append(too_long(text(value), limit=limit, what=FIELD_LABELS[name]))
    for problem in problems:
        if problem:
            row.problem(problem)


def _months(row: _Row, ctx: _Context) -> list[datetime.date]:
    """The months of the row: its period column, else its first and last month."""
    stated = row.read("months")
    if "period" in row.row.letters:
        period = row.read("period")
        if period is None:
            if blank(row.row.values.get("period")):
                row.problem(_("column %(column)s is empty") % {"column": FIELD_LABELS["period"]})
            return []
        first, last = period.first, period.last
        if period.stated is not None:
            stated = period.stated
        where = "period"
    else:
        first = row.read("first_month")
        last = row.read("last_month")
        for name, found in (("first_month", first), ("last_month", last)):
            if found is None and blank(row.row.values.get(name)):
                row.problem(_("column %(column)s is empty") % {"column": FIELD_LABELS[name]})
        if first is None or last is None:
            return []
        where = "months"
    this_month = ctx.today.replace(day=1)
    if last > this_month or first > this_month:
        row.problem(
            _("%(month)s is in the future; arrears end this month at the latest")
            % {"month": f"{max(first, last):%Y-%m}"}
        )
        return []
    if last < first:
        row.problem(
            _("the last month %(last)s is before the first month %(first)s")
            % {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}
        )
        return []
    months = months_between(first, last)
    row.period = _("%(first)s — %(last)s, %(n)d months") % {
        "first": f"{first:%Y-%m}",
        "last": f"{last:%Y-%m}",
        "n": len(months),
    }
    if stated is not None and stated != len(months):
        # The range is what is imported; the case keeps the disagreement as its plan note.
        note = _(
            "%(stated)d months are stated but %(first)s – %(last)s is %(n)d months; "
            "the range is imported"
        ) % {
            "stated": stated,
            "first": f"{first:%Y-%m}",
            "last": f"{last:%Y-%m}",
            "n": len(months),
        }
        row.warning(note, key=where if where == "period" else "months")
        row.plan_note = note
    return months


def _amounts(row: _Row, ctx: _Context, area, months) -> dict | None:
    """Month → amount due: the monthly amount, else the total spread, else area × rate."""
    before = len(row.problems)
    monthly = row.read("monthly")
    total = row.read("total")
    if not months or len(row.problems) > before:
        return None
    if monthly is not None:
        if total is not None and total != monthly * len(months):
            row.problem(
                _("the total %(total)s is not %(n)d × %(monthly)s; correct one of them")
                % {"total": total, "n": len(months), "monthly": monthly}
            )
            return None
        return dict.fromkeys(months, monthly)
    if total is not None:
        return _spread(total, months)
    return _from_area(row, ctx, area, months)


def _spread(total: Decimal, months) -> dict:
    """A total over its months in whole fen; the odd fen go to the last month."""
    each = (total / len(months)).quantize(CENT, rounding=ROUND_DOWN)
    amounts = dict.fromkeys(months, each)
    amounts[months[-1]] = total - each * (len(months) - 1)
    return amounts


def _from_area(row: _Row, ctx: _Context, area, months) -> dict | None:
    if not area:
        row.problem(_("no amount and no area: enter 每月金额, 欠费金额 or 建筑面积"))
        return None
    amounts = {}
    for month in months:
        rate = ctx.rate_for(month)
        if rate is None:
            row.problem(
                _("the office has no fee rate for %(month)s; enter 每月金额 or add a fee rate")
                % {"month": f"{month:%Y-%m}"}
            )
            return None
        amounts[month] = monthly_fee(area, rate)
    return amounts


def _plan_household(row: _Row, plan: RowPlan, area) -> None:
    household = plan.household
    wanted = {}
    if area:
        wanted["area_m2"] = area
    occupancy = row.read("occupancy")
    if occupancy and occupancy[0]:
        wanted["occupancy"] = occupancy[0]
        if occupancy[1]:
            wanted["occupancy_note"] = occupancy[1][:200]
    plan.household_fields = {
        k: v for k, v in wanted.items() if household is None or getattr(household, k) != v
    }
    name = row.row.text("owner")[:100]
    phone = row.row.text("phone")[:40]
    if name:
        plan.owner = (name, phone)
        held = household and next((o for o in household.owners.all() if o.name == name), None)
        plan.owner_change = bool(household) and (not held or bool(phone and held.phone != phone))


def _plan_case(row: _Row, ctx: _Context, plan: RowPlan, flags: list[str]) -> None:
    wanted = {}
    held = ctx.cases.get(plan.household.pk) if plan.household else None
    category = row.read("category")  # None: an unknown word, already a problem of the row
    # An empty cell, or no category column at all, says nothing: a new case starts not yet
    # classified (待分类), a case already held keeps its category. 待分类 in the cell says no
    # more than an empty one, so it never undoes a classification someone has made since.
    if held is None and category is not None:
        wanted["category"] = category or DebtorCategory.UNCLASSIFIED
    elif category and category != DebtorCategory.UNCLASSIFIED:
        wanted["category"] = category
    reason = row.row.text("reason")[:300]
    if reason:
        wanted["reason"] = reason
    planned = row.read("planned")
    if planned and planned[0]:
        wanted["planned_date"] = planned[0]
    if planned and planned[1]:
        wanted["plan_note"] = planned[1]
    team = _team(row, ctx)
    if team:
        wanted["team"] = team
    person = _responsible(row, ctx)
    if person:
        wanted["responsible"] = person
    plan.case = ctx.cases.get(plan.household.pk) if plan.household else None
    if row.plan_note:
        held = wanted.get("plan_note") or (plan.case.plan_note if plan.case else "")
        wanted["plan_note"] = _note_added(held, row.plan_note)
    extra = "\n".join(f"{name}：{text}" for name, text in row.row.extra.items())
    if extra:
        wanted["imported_text"] = extra
    if flags:  # added to what the case holds, never erasing it
        held = plan.case.flagged_terms if plan.case else []
        wanted["flagged_terms"] = list(dict.fromkeys([*held, *flags]))
    plan.case_fields = {
        k: v for k, v in wanted.items() if plan.case is None or getattr(plan.case, k) != v
    }


def _note_added(held: str, note: str) -> str:
    """`note` after what is held (once: importing the file again adds nothing), within the
    plan note's length."""
    if note in held:
        return held
    limit = Case._meta.get_field("plan_note").max_length
    return (f"{held}\n{note}" if held else note)[:limit]


def _team(row: _Row, ctx: _Context) -> Team | None:
    code = row.row.text("team").upper().removesuffix("组").strip()
    if not code:
        return None
    team = ctx.teams.get(code)
    if team is None:
        known = "、".join(sorted(ctx.teams)) or "—"
        row.problem(
            _("unknown team “%(code)s”; the campaign's teams are %(known)s")
            % {"code": code, "known": known}
        )
    return team


def _responsible(row: _Row, ctx: _Context):
    name = row.row.text("responsible")
    if not name:
        return None
    found = ctx.people.get(name.lower()) or ctx.people.get(name) or []
    if len(found) == 1:
        return found[0]
    if found:
        row.problem(
            _("more than one person is called “%(name)s”; write the username instead")
            % {"name": name}
        )
    else:
        row.problem(
            _("unknown responsible person “%(name)s”; write a username or name of %(office)s")
            % {"name": name, "office": ctx.office}
        )
    return None


def _plan_periods(row: _Row, ctx: _Context, plan: RowPlan, amounts: dict) -> None:
    held = ctx.periods.get(plan.household.pk, _NOTHING_HELD) if plan.household else _NOTHING_HELD
    differing = []
    fen: dict = {}  # amount → fen: a row's months mostly share one amount
    for month, amount in amounts.items():
        i = held.find(month)
        if i is None:
            plan.new_periods[month] = amount
            continue
        if amount not in fen:
            fen[amount] = _fen(amount)
        if held.due[i] == fen[amount]:
            plan.unchanged_periods += 1
            continue
        period = held.period(i, month)
        if period.pk in ctx.waived:
            # The court or the settlement decided this month's amount; a file does not.
            row.problem(
                _(
                    "%(month)s was lowered by an approved waiver after a judgment or settlement; "
                    "an import does not change it"
                )
                % {"month": f"{month:%Y-%m}"}
            )
        elif amount < period.amount_paid:
            row.problem(
                _("%(month)s has %(paid)s paid already; the amount due cannot be %(amount)s")
                % {"month": f"{month:%Y-%m}", "paid": period.amount_paid, "amount": amount}
            )
        else:
            differing.append((period, amount))
    if differing and not ctx.update_amounts:
        # A warning: accepted, the held amounts stay and the rest of the row is imported.
        period, amount = differing[0]
        row.warning(
            _(
                "%(n)d months are already held with another amount (%(month)s: %(held)s held, "
                "%(amount)s in the file); the held amounts are kept. To replace them, import "
                "with “replace amounts”"
            )
            % {
                "n": len(differing),
                "month": f"{period.month:%Y-%m}",
                "held": period.amount_due,
                "amount": amount,
            }
        )
        differing = []
    plan.changed_periods = differing
    case = plan.case
    settled = case and case.status in (Case.Status.CLEARED, Case.Status.CLOSED)
    if settled and (plan.new_periods or differing):
        # Clearances and scoring hang on a case's status; only people reopen a case.
        row.problem(
            _("the case is %(status)s; reopen it before adding or raising months")
            % {"status": case.get_status_display()}
        )


# --- the import ----------------------------------------------------------------------------


@dataclass
class ImportReport(SheetReport):
    rows: list[RowResult]
    households_created: int = 0
    households_updated: int = 0
    periods_created: int = 0
    periods_updated: int = 0
    periods_unchanged: int = 0
    cases_created: int = 0
    cases_updated: int = 0

    def count(self) -> None:
        plans = [r.plan for r in self.rows if r.plan]
        self.households_created = sum(p.household_new for p in plans)
        self.households_updated = sum(p.household_changed for p in plans)
        self.periods_created = sum(len(p.new_periods) for p in plans)
        self.periods_updated = sum(len(p.changed_periods) for p in plans)
        self.periods_unchanged = sum(p.unchanged_periods for p in plans)
        self.cases_created = sum(p.case_new for p in plans)
        self.cases_updated = sum(p.case_changed for p in plans)

    def summary_lines(self) -> list[str]:
        return [
            _("Households: %(c)d created, %(u)d updated")
            % {"c": self.households_created, "u": self.households_updated},
            _("Months: %(c)d created, %(u)d updated, %(n)d unchanged")
            % {"c": self.periods_created, "u": self.periods_updated, "n": self.periods_unchanged},
            _("Cases: %(c)d created, %(u)d updated")
            % {"c": self.cases_created, "u": self.cases_updated},
            *(
                [
                    _(
                        "%(n)d rows name an unlawful collection method: they are imported as "
                        "the ledger's history, and flagged on the case for the office manager"
                    )
                    % {"n": len(self.flagged_rows)}
                ]
                if self.flagged_rows
                else []
            ),
        ]


def ledger_import(
    *,
    parsed: ParsedSheet,
    office: Office,
    campaign: Campaign,
    by,
    dry_run: bool,
    today: datetime.date | None = None,
    create_households: bool = True,
    update_amounts: bool = False,
    accept_warnings: bool = False,
    progress=None,
) -> ImportReport:
    """Validate every row and, unless `dry_run` or any row has a problem, write them all.

    Validation runs inside the same transaction as the writes, so what was checked is what
    is written. `progress(done, total)` is called as rows are written (for background jobs)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        results = validate(
            parsed,
            office=office,
            campaign=campaign,
            today=today,
            create_households=create_households,
            update_amounts=update_amounts,
        )
        report = ImportReport(
            rows=results,
            dry_run=dry_run,
            accept_warnings=accept_warnings,
            from_reading=list(parsed.skipped),
        )
        report.count()
        if report.may_write and not dry_run:
            plans = [result.plan for result in results]
            total = len(plans)
            for start in range(0, total, PROGRESS_EVERY):
                batch = plans[start : start + PROGRESS_EVERY]
                _write(batch, office=office, campaign=campaign, by=by)
                if progress is not None:
                    progress(start + len(batch), total)
            report.written = True
            report.tell_managers_of_flags(
                office=office, title=gettext_noop("Imported ledger: %(n)d rows flagged for review")
            )
    return report


def _write(plans: list[RowPlan], *, office, campaign, by) -> None:
    """Write a batch of rows' plans in the same few statements whatever the batch holds:
    households, owners, months and cases each created and updated in bulk, each with its
    history rows (the importing user, as a single save records), each object checked as
    `full_clean` would (`_check`)."""
    households = _write_households(plans, office, by)
    _write_owners(plans, households, by)
    _write_months(plans, households, by)
    # Money a household paid beyond what it owed pays its new months first. Only households
    # held before the import can have paid any; one query says which have money left over.
    topped_up = {
        household.pk: household
        for plan, household in zip(plans, households, strict=True)
        if plan.new_periods and not plan.household_new
    }
    for pk in sorted(households_with_credit(topped_up)):
        credit_apply(household=topped_up[pk], by=by)
    _write_amounts(plans, by)
    _write_cases(plans, households, campaign, by)
    # The figures of every case of a household whose months changed (other campaigns' too),
    # and of the new cases; credit_apply refreshes its own. A row that changes nothing of
    # that (a re-import) costs nothing here.
    case_figures.refresh(
        [
            household.pk
            for plan, household in zip(plans, households, strict=True)
            if plan.new_periods or plan.changed_periods or plan.case_new
        ]
    )


def _write_households(plans: list[RowPlan], office, by) -> list[Household]:
    """Each plan's household: created, updated or as held, in the plans' order."""
    households, new, changed, fields = [], [], [], set()
    for plan in plans:
        household = plan.household
        if household is None:
            unit = plan.unit.strip().upper()  # as Household.save() stores it
            household = Household(office=office, unit_code=unit, building=building_of(unit))
            new.append(household)
        elif plan.household_fields:
            changed.append(household)
            fields.update(plan.household_fields)
        for name, value in plan.household_fields.items():
            setattr(household, name, value)
        households.append(household)
    _create(new, by, check=True)
    _update(changed, fields, by)
    return households


def _write_owners(plans: list[RowPlan], households: list[Household], by) -> None:
    """A new household's owner; a new owner, or a held owner's new phone, for one held."""
    new, changed = [], []
    for plan, household in zip(plans, households, strict=True):
        if not plan.owner or not (plan.household_new or plan.owner_change):
            continue
        name, phone = plan.owner
        held = None
        if not plan.household_new:  # owners were loaded with the household
            held = next((o for o in household.owners.all() if o.name == name), None)
        if held is None:
            new.append(Owner(household=household, name=name, phone=phone))
        else:
            if phone:
                held.phone = phone
            changed.append(held)
    _create(new, by, check=True)
    _update(changed, {"phone"}, by)


PERIOD_FIELDS = ("id", "household_id", "month", "amount_due", "amount_paid")


def _write_months(plans: list[RowPlan], households: list[Household], by) -> None:
    """New months, from plain values: a ledger holds some thirty for each row, and building
    a model instance and a history instance for each is most of an import's time."""
    new = [
        (household.pk, month, amount, ZERO)
        for plan, household in zip(plans, households, strict=True)
        for month, amount in plan.new_periods.items()
    ]
    if not new:
        return
    rows_insert(DebtPeriod, PERIOD_FIELDS[1:], new)
    ids = {
        (household_id, month): pk
        for household_id, month, pk in DebtPeriod.objects.filter(
            household_id__in={row[0] for row in new}
        ).values_list("household_id", "month", "pk")
    }
    history_insert(
        model=DebtPeriod,
        attnames=PERIOD_FIELDS,
        rows=[(ids[row[0], row[1]], *row) for row in new],
        by=by,
        kind="+",
    )


def _write_amounts(plans: list[RowPlan], by) -> None:
    """Months held with another amount, when the import replaces amounts. Read again here:
    setting credit against new months may just have changed what some of them have paid."""
    wanted = {held.pk: amount for plan in plans for held, amount in plan.changed_periods}
    if not wanted:
        return
    periods = list(DebtPeriod.objects.in_bulk(list(wanted)).values())
    for period in periods:
        period.amount_due = wanted[period.pk]
    _update(periods, {"amount_due"}, by)


def _write_cases(plans: list[RowPlan], households: list[Household], campaign, by) -> None:
    new, changed, fields = [], [], set()
    for plan, household in zip(plans, households, strict=True):
        if plan.case_new:
            new.append(Case(campaign=campaign, household=household, **plan.case_fields))
        elif plan.case_fields:
            for name, value in plan.case_fields.items():
                setattr(plan.case, name, value)
            changed.append(plan.case)
            fields.update(plan.case_fields)
    _create(new, by, check=True)
    _update(changed, fields, by)


def _create(objects: list, by, *, check: bool = False) -> None:
    """Insert new objects and their history rows ("+", by the importing user), in bulk.
    Months are not checked: their values come from the parsed amounts, as before."""
    if not objects:
        return
    if check:
        for instance in objects:
            _check(instance)
    create_with_history(objects=objects, by=by, batch_size=BULK_SIZE)


def _update(objects: list, fields: set, by) -> None:
    """Update these fields of held objects and write their history rows ("~"), in bulk."""
    if not objects:
        return
    for instance in objects:
        _check(instance)
    update_with_history(objects=objects, fields=fields, by=by, batch_size=BULK_SIZE)


def _check(instance) -> None:
    """What `full_clean` checked, without its queries: every field's value (lengths, choices,
    digits, blanks) and the model's own `clean()`. Left to the preview, which decided them
    against the rows it loaded in this same transaction: foreign keys (each object was loaded
    or has just been created) and uniqueness (one row per unit in the file; a household or a
    case is created only when none is held). A value that fails here is a bug of the preview:
    the import stops and writes nothing."""
    instance.clean_fields(exclude=_relations(type(instance)))
    instance.clean()


@functools.cache
def _relations(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.is_relation]


# --- the template --------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The import template: the header row, an example row (skipped on import), and a 说明
    sheet explaining every column and the accepted values."""
    book = Workbook()
    sheet = book.active
    sheet.title = "欠费台账"
    columns = LEDGER_SHEET.template_fields
    sheet.append([f.label for f in columns])
    sheet.append(TEMPLATE_EXAMPLE)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
        cell.number_format = "@"  # text: months like 2013-05 must not turn into dates
    for index, f in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = f.width + 4
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("说明")
    notes.append(["列", "说明"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for f in columns:
        notes.append([f.label, f.explanation])
    notes.append([])
    for line in (
        "第 2 行以“例：”开头，是示例，导入时跳过；可删除。",
        "空白单元格不会清除系统中已有的内容。",
        "已有月份金额不同时给出提示：确认后保留已有金额；选择“替换不同的金额”则替换，但不得低于已缴金额。",
        "任一行有问题时，整个文件都不会导入；请按提示修改后重新上传。",
        "也可上传自有的欠费明细表（如 房号、业主、欠费周期起、欠费周期止、月数、欠费金额……），"
        "其中“欠费金额”为整个区间的合计。",
        "起止月份也可写在一列“欠费期间”中，如 2013年5月-2015年5月(25)、2019.1-2020.12。",
        "月数与起止月份不一致时给出提示：确认后按起止月份导入，提示记入计划备注。",
    ):
        notes.append(["", line])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 90
    notes.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
