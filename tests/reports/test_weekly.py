import csv
import datetime
import io
import shutil
import subprocess
from decimal import Decimal as D

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from arrears.models import Case, DebtorCategory, Office, Summary
from households.models import Owner
from reports.exporters import MONEY_FORMAT, cell_for
from reports.weekly import WeeklyReport
from summaries.producing import produce_weekly
from tests.conftest import record_payment

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MONDAY = datetime.date(2026, 11, 23)
NOW = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)  # the Monday after
EVIL = [
    '=HYPERLINK("http://evil.invalid","点我")',
    "+86 139",
    "-1+2",
    "@SUM(A1:A2)",
    "\tTAB",
    "\rCR",
]
SHEETS = ["概览", "排行榜", "案件", "本周缴费", "待处理疑难问题", "本周违规记录"]


@pytest.fixture
def week(world):
    """Two payments last week (one clears case_a), one the week before, a hostile owner name."""
    with time_machine.travel(NOW, tick=False):
        record_payment(
            world.house_b,
            "100.00",
            world.collector_b,
            case=world.case_b,
            paid_at=datetime.datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI),
        )
        record_payment(
            world.house_a,
            "1700.00",
            world.collector_a,
            case=world.case_a,
            receipt_no=EVIL[2],
            paid_at=datetime.datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI),
        )
        record_payment(
            world.house_b,
            "300.00",
            world.collector_b,
            case=world.case_b,
            paid_at=datetime.datetime(2026, 11, 29, 23, 59, tzinfo=SHANGHAI),
        )
    Owner.objects.filter(household=world.house_b).update(name=EVIL[0])
    # The cases were opened before that week (the shared world is built at today's time,
    # and a workbook lists only the cases that existed at the end of its week).
    Case.history.filter(history_type="+").update(
        history_date=datetime.datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI)
    )
    return world


def workbook(world, offices=None):
    with translation.override("zh-hans"):
        name, mimetype, data = WeeklyReport(
            offices=offices or Office.objects.filter(region=world.region),
            week_of=MONDAY,
            name="east",
        ).render()
    assert name == "weekly-report-east-2026-11-23.xlsx"
    assert mimetype.endswith("spreadsheetml.sheet")
    return data, load_workbook(io.BytesIO(data))


HEADER_ROW = 7  # under the title block: title, region, offices, week, generated at, a gap


def rows(ws):
    """The header row and the data rows: not the title block above them nor the totals row."""
    table = [list(r) for r in ws.iter_rows(min_row=HEADER_ROW, values_only=True)]
    return [r for r in table if not (isinstance(r[0], str) and r[0].startswith(("合计", "Total")))]


def test_the_workbook_has_its_sheets_in_chinese_and_reads_like_a_printed_report(week):
    _, wb = workbook(week)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.freeze_panes == ("C8" if ws.title == "案件" else "A8")
        assert ws.auto_filter.ref.startswith("A7:")
        assert ws.page_setup.orientation == "landscape"
        # The case sheet: at most two pages wide (test_weekly_layout.py); the others one.
        assert ws.page_setup.fitToWidth == (2 if ws.title == "案件" else 1)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws["A1"].font.bold and ws["A7"].font.bold
        assert ws.column_dimensions["A"].width >= 8


def test_the_summary_has_the_weeks_figures_per_office(week):
    _, wb = workbook(week)
    header, row = rows(wb["概览"])[:2]
    assert header[:6] == ["服务处", "清收行动", "期初欠费", "本周收款", "较上周", "累计收缴"]
    assert row[0] == "北苑服务处"
    assert row[2:9] == [3400, 2000, 1900, 2100, 1, 2, pytest.approx(2100 / 3400)]
    assert row[9] == datetime.datetime(*week.campaign.target_date.timetuple()[:3])


def test_the_summary_sheet_states_the_weeks_window(week):
    _, wb = workbook(week)
    header, row = rows(wb["概览"])[:2]
    assert row[10:12] == [datetime.datetime(2026, 11, 23), datetime.datetime(2026, 11, 30)]
    assert header[12] and row[12]  # what the window counts by, in words


def test_money_has_the_yuan_format_and_dates_are_dates(week):
    _, wb = workbook(week)
    summary = wb["概览"]
    assert summary["C8"].number_format == MONEY_FORMAT and summary["C8"].data_type == "n"
    assert summary["I8"].number_format == "0.0%"
    assert summary["J8"].is_date and summary["J8"].number_format == "yyyy-mm-dd"
    payments = wb["本周缴费"]
    assert payments["A8"].is_date and payments["A8"].number_format == "yyyy-mm-dd hh:mm"
    assert payments["D8"].number_format == MONEY_FORMAT


def test_the_case_detail_has_month_ranges_and_balances(week):
    _, wb = workbook(week)
    detail = {r[1]: r for r in rows(wb["案件"])[1:]}
    assert not detail["C6-101"][4] and detail["C6-101"][7] == 0  # cleared: nothing unpaid
    assert detail["C13-103"][4] == "2014-05 — 2015-05 (13 个月)"  # 400 paid: Jan–Apr
    assert detail["C13-103"][5:8] == [1700, 400, 1300]
    assert detail["C13-103"][2] == EVIL[0]


def test_the_weeks_payments_exclude_other_weeks(week):
    _, wb = workbook(week)
    paid = [(r[2], r[3]) for r in rows(wb["本周缴费"])[1:]]
    assert paid == [("C6-101", 1700), ("C13-103", 300)]


def test_text_that_looks_like_a_formula_is_written_as_text(week):
    _, wb = workbook(week)
    owner = next(c for c in wb["案件"]["C"] if c.value == EVIL[0])
    receipt = next(c for c in wb["本周缴费"]["F"] if c.value == EVIL[2])
    for cell in (owner, receipt):
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert not any(
        c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row
    )


@pytest.mark.parametrize("text", EVIL)
def test_every_dangerous_start_becomes_text(text):
    from openpyxl import Workbook

    ws = Workbook(write_only=True).create_sheet()
    cell = cell_for(ws, text)
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", text, True)


def test_ordinary_text_and_negative_numbers_stay_as_they_are():
    from openpyxl import Workbook

    ws = Workbook(write_only=True).create_sheet()
    assert cell_for(ws, "张静").quotePrefix is False
    assert cell_for(ws, D("-12.50"), "money").data_type == "n"


@pytest.mark.libreoffice
def test_libreoffice_opens_it_and_shows_the_values_and_the_text(week, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    data, _ = workbook(week)
    source = tmp_path / "report.xlsx"
    source.write_bytes(data)
    # 44 = comma, 34 = quote, 76 = UTF-8, cells as shown (with their ¥ format); -1 = every sheet.
    result = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sheets = {p.stem.removeprefix("report-"): p for p in tmp_path.glob("report-*.csv")}
    assert set(sheets) == set(SHEETS)
    summary = list(csv.reader(sheets["概览"].open(encoding="utf-8")))
    assert summary[HEADER_ROW][0] == "北苑服务处"  # under the title block and the header
    assert "2,100.00" in summary[HEADER_ROW][5]
    cases = list(csv.reader(sheets["案件"].open(encoding="utf-8")))
    assert any(EVIL[0] in row for row in cases)  # shown as text, not evaluated into a link


def test_the_director_downloads_it_for_their_region_only(client, week):
    client.force_login(week.director)
    response = client.get(reverse("weekly-report"), {"week_of": "2026-11-25"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    offices = {r[0] for r in rows(wb.worksheets[0])[1:]}
    assert offices == {"北苑服务处"}


@pytest.mark.parametrize("who", ["collector_a", "manager", "site", "nobody"])
def test_others_may_not_download_it(client, week, who):
    client.force_login(week.roles[who])
    assert client.get(reverse("weekly-report"), {"week_of": "2026-11-25"}).status_code == 403


def test_a_bad_date_is_explained(client, week):
    client.force_login(week.director)
    response = client.get(reverse("weekly-report"), {"week_of": "last week"})
    assert response.status_code == 400


def test_the_command_writes_the_file(week, tmp_path):
    call_command(
        "weekly_report", "--region", "east", "--week-of", "2026-11-25", "--out", str(tmp_path)
    )
    written = tmp_path / "weekly-report-east-2026-11-23.xlsx"
    assert load_workbook(written).sheetnames == SHEETS


def test_the_monday_pack_email_carries_the_report(
    week, mailoutbox, django_capture_on_commit_callbacks
):
    week.director.email = "director@east.invalid"
    week.director.save()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        produce_weekly(monday=datetime.date(2026, 11, 30), region=week.region)
    assert Summary.objects.filter(kind=Summary.Kind.WEEKLY_PACK, region=week.region).exists()
    (message,) = [m for m in mailoutbox if "director@east.invalid" in m.bcc]
    (name, data, mimetype) = message.attachments[0]
    assert name == "weekly-report-east-2026-11-23.xlsx"
    assert load_workbook(io.BytesIO(data)).sheetnames == SHEETS


def test_memory_stays_flat_because_rows_stream(week):
    """The case sheet is a generator: nothing is listed up front."""
    report = WeeklyReport(offices=Office.objects.filter(region=week.region), week_of=MONDAY)
    import types

    assert isinstance(report.case_sheet().rows, types.GeneratorType)
    assert isinstance(report.payments_sheet().rows, types.GeneratorType)
    assert timezone.is_aware(report.start)


@pytest.mark.parametrize("name", ['＝HYPERLINK("http://evil.invalid","点我")', "﹦1+1", "−1+2"])
def test_a_look_alike_formula_in_the_report_is_written_as_text(week, name):
    Owner.objects.filter(household=week.house_b).update(name=name)
    _, wb = workbook(week)
    owner = next(c for c in wb["案件"]["C"] if c.value == name)
    assert owner.data_type == "s" and owner.quotePrefix


def test_cases_not_yet_classified_are_counted_and_listed_as_their_own_category(week):
    # case_b is open; case_a (cleared this week) needs no classifying any more.
    # Unclassified all along: the case sheet shows each case as its history has it at the
    # end of the week.
    for cases in (Case.objects, Case.history):
        cases.filter(id__in=[week.case_a.pk, week.case_b.pk]).update(
            category=DebtorCategory.UNCLASSIFIED
        )
    _, wb = workbook(week)
    header, row = rows(wb["概览"])[:2]
    assert header[13] and row[13] == 1
    detail = {r[1]: r for r in rows(wb["案件"])[1:]}
    assert "待分类" in detail["C13-103"][3]


def test_the_workbook_costs_the_same_queries_for_one_office_or_three(week):
    """Issue 15: the leaderboards of every office's campaign load in one pass."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import add_offices

    add_offices(week, 1)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            WeeklyReport(
                offices=Office.objects.filter(region=week.region), week_of=MONDAY, name="east"
            ).render()
        return len(captured.captured_queries)

    one = queries()
    add_offices(week, 2)
    _, wb = workbook(week)
    assert len(rows(wb["排行榜"])) == 1 + 2 + 2 * 3  # the heading, world's teams, the others'
    assert queries() == one
