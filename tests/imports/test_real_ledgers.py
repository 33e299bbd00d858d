"""The shapes of ledger the README promises, imported end to end as offices and law firms keep
them: a title row above differently worded headers with no category column, the whole period
in one column (the plan's 2013年5月-2015年5月(25), a lawyer's 2019.1-2020.12), a two-row header
under a merged cell, and the billing system's payments as a GBK CSV. Each is imported, then
imported again to show that nothing changes."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook

from arrears.models import Case, DebtorCategory, DebtPeriod, FeeRate, Payment, Role
from households.models import Household, building_of
from imports import ledger_import as li
from imports import payment_import as pi
from tests.conftest import make_office_with_campaign, make_user


@pytest.fixture
def office(world):
    office, campaign = make_office_with_campaign(world.region, "lawyers", "华庭服务处")
    FeeRate.objects.create(
        office=office, rate_per_m2=Decimal("1.80"), effective_from=datetime.date(2012, 1, 1)
    )
    manager = make_user("lmanager", Role.OFFICE_MANAGER, office=office, name="华庭经理")
    return office, campaign, manager


def _book(rows, merges=()) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _import(office, file, *, name="ledger.xlsx", accept_warnings=False):
    office, campaign, manager = office
    file.seek(0)
    return li.ledger_import(
        parsed=li.parse_workbook(file, name=name),
        office=office,
        campaign=campaign,
        by=manager,
        dry_run=False,
        accept_warnings=accept_warnings,
    )


def _months(unit):
    periods = DebtPeriod.objects.filter(
        household__office__code="lawyers", household__unit_code=unit
    ).order_by("month")
    return [f"{p.month:%Y-%m}" for p in periods], sum(p.amount_due for p in periods)


def _again_changes_nothing(office, file, **kw):
    before = (Household.objects.count(), DebtPeriod.objects.count(), Case.objects.count())
    report = _import(office, file, **kw)
    assert report.written
    assert (report.households_created, report.periods_created, report.cases_created) == (0, 0, 0)
    assert (report.periods_updated, report.cases_updated) == (0, 0)
    assert (Household.objects.count(), DebtPeriod.objects.count(), Case.objects.count()) == before


def test_a_title_row_other_words_for_the_months_and_no_category_column(office):
    book = _book(
        [
            ["华庭服务处 欠费明细（2015年6月）"],
            ["房号", "业主", "欠费起始月", "欠费截止月", "欠费金额（元）"],
            ["C6-101", "张静", "2013-05", "2015-05", "4,800.00"],
            ["合计", None, None, None, "4,800.00"],
        ]
    )
    report = _import(office, book)
    assert report.written, report.problems
    assert not report.warnings  # a totals row is said, not a warning to tick
    assert [n.row for n in report.notes] == [4]
    months, total = _months("C6-101")
    assert (months[0], months[-1], len(months), total) == (
        "2013-05",
        "2015-05",
        25,
        Decimal("4800.00"),
    )
    assert (
        Case.objects.get(household__office__code="lawyers", household__unit_code="C6-101").category
        == DebtorCategory.UNCLASSIFIED
    )
    assert not Household.objects.filter(
        office__code="lawyers", unit_code__startswith="合计"
    ).exists()
    _again_changes_nothing(office, book)


def test_the_period_in_one_column_as_the_plan_and_a_lawyer_write_it(office):
    book = _book(
        [
            ["门牌号", "户主", "欠费期间", "类型"],
            ["3栋502", "王五", "2013年5月-2015年5月(25)", "特殊拒交"],
            ["C6-101", "张静", "2019.1-2020.12", "空关"],
            ["3栋1单元502室", "李四", "2013年5月至2015年5月", "恶意拒交"],
            ["E2-2-201", "赵六", "2013/05~2015/05 25个月", None],
            ["F1-1802", "钱七", "201305-201505", None],
        ]
    )
    Household.objects.bulk_create(
        [
            Household(
                office=office[0], unit_code=u, building=building_of(u), area_m2=Decimal("100")
            )
            for u in ("3栋502", "C6-101", "3栋1单元502室", "E2-2-201", "F1-1802")
        ]
    )
    report = _import(office, book)
    assert report.written, report.problems
    assert _months("3栋502")[0][0::24] == ["2013-05", "2015-05"]
    assert len(_months("C6-101")[0]) == 24
    assert _months("C6-101")[1] == Decimal("100") * Decimal("1.80") * 24
    assert (
        Case.objects.get(household__office__code="lawyers", household__unit_code="3栋502").category
        == DebtorCategory.GRIEVANCE
    )
    for unit in ("3栋1单元502室", "E2-2-201", "F1-1802"):
        assert _months(unit)[0][0::24] == ["2013-05", "2015-05"], unit
    assert (
        Case.objects.get(household__office__code="lawyers", household__unit_code="F1-1802").category
        == DebtorCategory.UNCLASSIFIED
    )
    _again_changes_nothing(office, book)


def test_a_stated_count_that_disagrees_is_imported_once_the_warning_is_read(office):
    book = _book(
        [
            ["房号", "欠费期间", "欠费金额"],
            ["F1-1802", "2013年1月-2015年5月(28)", "2900"],
        ]
    )
    refused = _import(office, book)
    assert not refused.written and refused.ok and refused.warnings
    assert not Household.objects.filter(unit_code="F1-1802").exists()
    report = _import(office, book, accept_warnings=True)
    assert report.written
    assert len(_months("F1-1802")[0]) == 29  # the range, not the stated count
    case = Case.objects.get(household__office__code="lawyers", household__unit_code="F1-1802")
    assert "28" in case.plan_note and "29" in case.plan_note
    _again_changes_nothing(office, book, accept_warnings=True)
    assert Case.objects.get(pk=case.pk).plan_note == case.plan_note


def test_a_two_row_header_under_a_merged_cell(office):
    book = _book(
        [
            ["房号", "业主", "欠费周期", None, "欠费金额"],
            [None, None, "起", "止", None],
            ["C6-101", "张静", "2013-05", "2015-05", 4800],
        ],
        merges=["C1:D1", "A1:A2", "B1:B2", "E1:E2"],
    )
    report = _import(office, book)
    assert report.written, report.problems
    months, total = _months("C6-101")
    assert (months[0], months[-1], total) == ("2013-05", "2015-05", Decimal("4800.00"))
    _again_changes_nothing(office, book)


def test_a_problem_is_named_as_a_spreadsheet_user_says_it(office):
    rows = [["房号", "业主", "起始月份", "截止月份", "欠费金额"]]
    rows += [[f"C6-{n}", "张静", "2013-05", "2015-05", 100] for n in range(101, 106)]
    rows.append(["C6-106", "张静", "2015-13", "2015-05", 100])  # the 7th row of the sheet
    with translation.override("zh-hans"):
        report = _import(office, _book(rows))
        assert not report.written
        assert any(p.startswith("第 7 行，C 列（起始月份）：") for p in report.problems)


def test_the_billing_systems_payments_as_a_gbk_csv(office):
    household = Household.objects.create(
        office=office[0], unit_code="C6-101", building="C6", area_m2=Decimal("100")
    )
    ledger = _book(
        [["房号", "起始月份", "截止月份", "每月金额"], ["C6-101", "2015-01", "2015-12", 200]]
    )
    assert _import(office, ledger).written
    day = (datetime.date.today() - datetime.timedelta(days=3)).strftime("%Y/%-m/%-d")
    text = f'收据号,房号,实收金额,收款日期,支付方式\nR-1024,C6-101,"1,700.00",{day},微信\n'
    csv = io.BytesIO(text.encode("gbk"))
    for _ in range(2):
        csv.seek(0)
        report = pi.payment_import(
            parsed=pi.parse_workbook(csv, name="收款.csv"),
            office=office[0],
            by=office[2],
            dry_run=False,
        )
        assert report.ok, report.problems
    payment = Payment.objects.get(household=household)
    assert (payment.receipt_no, payment.amount, payment.method) == (
        "R-1024",
        Decimal("1700.00"),
        "wechat",
    )
    assert report.skipped == 1  # the second time: already imported
