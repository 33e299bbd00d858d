"""Issue 16, item 9: the weekly workbook is forwarded as it is. Every sheet starts with a
title block and prints with a header and a footer, the sums have a totals row, the case
sheet prints legibly on A4 landscape; read back with openpyxl and printed by LibreOffice."""

import datetime
import io
import re
import shutil
import subprocess
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import translation
from openpyxl import Workbook, load_workbook

from arrears.models import Office, Region
from reports.exporters import Column, Sheet, header_footer_text, write_sheet
from reports.weekly import WeeklyReport
from tests.conftest import make_case, make_household
from tests.reports.test_weekly import EVIL, HEADER_ROW, MONDAY, NOW, SHEETS, rows, week  # noqa: F401

GENERATED = datetime.datetime(2026, 11, 30, 9, 5, tzinfo=NOW.tzinfo)


def workbook(world, language="zh-hans", report=WeeklyReport):
    with translation.override(language), time_machine.travel(GENERATED, tick=False):
        _, _, data = report(
            offices=Office.objects.filter(region=world.region), week_of=MONDAY, name="east"
        ).render()
    return data, load_workbook(io.BytesIO(data))


def totals(ws):
    """The totals row under the table: its label starts with 合计 or Total."""
    (row,) = [
        list(r)
        for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
        if isinstance(r[0], str) and r[0].startswith(("合计", "Total"))
    ]
    return row


def test_every_sheet_starts_with_its_title_block_in_chinese(week):
    _, wb = workbook(week)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws["A1"].value == f"周报 — {ws.title}" and ws["A1"].font.bold
        block = [(r[0], r[1]) for r in ws.iter_rows(min_row=2, max_row=5, values_only=True)]
        assert block == [
            ("区域", "东区"),
            ("服务处", "北苑服务处"),
            ("周", "2026-11-23 — 2026-11-29（第48周）"),
            ("生成时间", "2026-11-30 09:05"),
        ]
        assert all(c.value is None for c in ws[HEADER_ROW - 1])  # a gap, then the header
        assert ws.cell(HEADER_ROW, 1).font.bold


def test_the_title_block_and_the_print_header_follow_the_readers_language(week):
    _, wb = workbook(week, "en")
    ws = wb["Cases"]
    assert ws["A1"].value == "Weekly report — Cases"
    assert [ws["A4"].value, ws["B4"].value] == ["Week", "2026-11-23 — 2026-11-29 (week 48)"]
    assert ws["A5"].value == "Generated at" and ws["B5"].value == "2026-11-30 09:05"
    assert ws.oddFooter.right.text == "Page &P of &N"
    assert totals(ws)[0] == "Total (2 rows)"


def test_other_regions_offices_are_not_named(week):
    _, wb = workbook(week)
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    assert "南苑服务处" not in text and "西区" not in text


def test_every_sheet_has_a_print_header_and_footer_with_page_x_of_y(week):
    _, wb = workbook(week)
    for ws in wb.worksheets:
        assert ws.oddHeader.left.text == f"周报 — {ws.title}"
        assert ws.oddHeader.right.text == "2026-11-23 — 2026-11-29（第48周）"
        assert ws.oddFooter.left.text == ws.title
        footer = ws.oddFooter.right.text
        assert "&P" in footer and "&N" in footer and footer == "第 &P 页，共 &N 页"


def test_an_ampersand_in_a_name_is_printed_not_taken_for_a_code():
    assert header_footer_text("A&B 服务处") == "A&&B 服务处"
    assert len(header_footer_text("长" * 500)) <= 120


def test_a_region_named_with_an_ampersand_prints_as_it_is(week):
    Region.objects.filter(pk=week.region.pk).update(name="东区&P")
    _, wb = workbook(week)
    assert wb["案件"]["B2"].value == "东区&P"  # the cell as it is; no header carries it


def test_every_sheet_prints_on_a4_landscape_and_repeats_its_header_row(week):
    _, wb = workbook(week)
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToHeight == 0  # as tall as it takes
        assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
        assert ws.freeze_panes.endswith(str(HEADER_ROW + 1))  # below the title block
        assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW}:")


def test_the_case_sheet_is_at_most_two_pages_wide_with_wrapped_text_and_set_widths(week):
    _, wb = workbook(week)
    ws = wb["案件"]
    assert ws.page_setup.fitToWidth == 2 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_cols == "$A:$B"  # office and unit on every page
    assert ws.freeze_panes == f"C{HEADER_ROW + 1}"
    header = rows(ws)[0]
    widths = {h: ws.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(header)}
    assert widths["欠费月份"] == 26 and all(w >= 6 for w in widths.values())
    data = HEADER_ROW + 1
    months = next(c for c in ws["E"][data - 1 :] if c.value)
    assert months.alignment.wrap_text
    owner = next(c for c in ws["C"][data - 1 :] if c.value == EVIL[0])
    assert owner.alignment.wrap_text and owner.data_type == "s" and owner.quotePrefix
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:N{HEADER_ROW + 2}"  # not the totals row


def test_totals_equal_the_sum_of_the_rows(week):
    _, wb = workbook(week)
    summary = wb["概览"]
    (office,) = rows(summary)[1:]
    total = totals(summary)
    assert total[0] == "合计（1 行）"
    for index in (2, 3, 4, 5, 6, 7, 13):
        assert total[index] == office[index]
    assert total[8] == pytest.approx(office[8])  # the rate of the totals, not a sum of rates

    cases = wb["案件"]
    table, total = rows(cases)[1:], totals(cases)
    assert total[0] == "合计（2 行）"
    assert [total[i] for i in (5, 6, 7)] == [sum(r[i] for r in table) for i in (5, 6, 7)]
    assert total[5:8] == [3400, 2100, 1300]

    payments = wb["本周缴费"]
    table, total = rows(payments)[1:], totals(payments)
    assert total[0] == "合计（2 行）"
    assert total[3] == sum(r[3] for r in table) == 2000
    assert total[10] == sum(r[10] for r in table)

    board = wb["排行榜"]
    table, total = rows(board)[1:], totals(board)
    assert total[3] == sum(r[3] for r in table) and total[4] == sum(r[4] for r in table)
    assert total[1] is None and total[5] is None  # ranks and points do not add up

    for name in ("待处理疑难问题", "本周违规记录"):
        assert totals(wb[name])[0] == f"合计（{len(rows(wb[name])) - 1} 行）"


def test_totals_are_values_and_formula_like_data_stays_text(week):
    _, wb = workbook(week)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    receipt = next(c for c in wb["本周缴费"]["F"] if c.value == EVIL[2])
    assert receipt.data_type == "s" and receipt.quotePrefix
    total = next(c for c in wb["本周缴费"]["A"] if str(c.value).startswith("合计"))
    assert total.font.bold and wb["本周缴费"].cell(total.row, 4).number_format.startswith('"¥"')


def test_a_sheet_without_a_title_block_keeps_its_header_in_row_one():
    wb = Workbook(write_only=True)
    write_sheet(wb, Sheet("s", [Column("a"), Column("n", "money", total=True)], [["x", D("1.5")]]))
    buffer = io.BytesIO()
    wb.save(buffer)
    ws = load_workbook(buffer)["s"]
    assert ws["A1"].value == "a" and ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert ws.max_row == 2  # no totals row unless asked for


def test_the_summary_chart_sits_below_the_totals(week):
    data, _ = workbook(week)
    from zipfile import ZipFile

    drawing = ZipFile(io.BytesIO(data)).read("xl/drawings/drawing1.xml").decode()
    row = int(re.search(r"<from><col>0</col><colOff>0</colOff><row>(\d+)</row>", drawing)[1])
    assert row + 1 == HEADER_ROW + 4  # 0-based; under the office, the totals and a gap
    chart = ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml").decode()
    refs = re.findall(r"<f>([^<]*)</f>", chart)
    # The series' names from the header row, the values and the offices from the rows under it.
    assert refs[:3] == [f"'概览'!D{HEADER_ROW}", f"'概览'!$A${HEADER_ROW + 1}", "'概览'!$D$8"]


# --- printed by LibreOffice ------------------------------------------------------------------


def _pdf(data: bytes, tmp_path, name="report") -> bytes:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(data)
    result = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return (tmp_path / f"{name}.pdf").read_bytes()


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, from the page objects' MediaBox."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert count, "no pages found"
    if len(boxes) == 1:  # one box on the page tree, inherited by every page
        boxes = boxes * count
    return [(float(w), float(h)) for w, h in boxes[-count:]]


class CasesOnly(WeeklyReport):
    def sheets(self):
        yield from (s for s in super().sheets() if s.title in ("案件", "Cases"))


def _more_cases(world, n):
    # Opened during the week: last week's workbook lists the cases as they stood at its end.
    with time_machine.travel(datetime.datetime(2026, 11, 25, 9, 0, tzinfo=NOW.tzinfo)):
        _open_cases(world, n)


def _open_cases(world, n):
    for i in range(n):
        house = make_household(
            world.office,
            f"Z{i:03d}-1{i:03d}",
            first=datetime.date(2013, 1, 1),
            last=datetime.date(2015, 5, 1),
            owner=f"业主{i}",
        )
        make_case(
            campaign=world.campaign,
            household=house,
            team=world.team_a,
            plan_note="业主称装修期间与物业发生纠纷，要求先处理漏水问题后再谈缴费" * (i % 2),
        )


@pytest.mark.libreoffice
def test_libreoffice_prints_the_case_sheet_on_a4_landscape_at_most_two_pages_wide(week, tmp_path):
    data, _ = workbook(week, report=CasesOnly)
    pages = pdf_pages(_pdf(data, tmp_path))
    assert 1 <= len(pages) <= 2  # two cases: one page tall, at most two wide
    for width, height in pages:
        assert width > height  # landscape
        assert (round(width), round(height)) in {(842, 595), (841, 595)}  # A4

    _more_cases(week, 150)
    data, wb = workbook(week, report=CasesOnly)
    assert len(rows(wb["案件"])) == 1 + 152
    many = pdf_pages(_pdf(data, tmp_path, "many"))
    # As many pages tall as the rows take (never shrunk onto one page), as wide as two cases
    # took: two pages for every page tall.
    assert len(many) >= 2 * len(pages) and len(many) % len(pages) == 0


@pytest.mark.libreoffice
def test_libreoffice_prints_the_whole_workbook(week, tmp_path):
    data, _ = workbook(week)
    pages = pdf_pages(_pdf(data, tmp_path))
    # Six sheets, each at least one page: the summary, leaderboard, issues, payments and
    # breaches one page wide, the cases at most two.
    assert 6 <= len(pages) <= 7
    assert all(w > h for w, h in pages)


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("张静", 10, True),
        ("特殊拒交类", 10, True),  # five wide characters: exactly ten
        ("特殊拒交类别", 10, False),
        ("in legal process", 10, False),
        ("open", 10, True),
        ("a\nb", 10, False),
    ],
)
def test_only_text_wider_than_its_column_is_wrapped(text, width, expected):
    from reports.exporters import fits

    assert fits(text, width) is expected


def test_a_wrapped_column_wraps_only_its_long_cells():
    wb = Workbook(write_only=True)
    write_sheet(
        wb, Sheet("s", [Column("note", width=10, wrap=True)], [["短"], ["很长很长的一段备注文字"]])
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    ws = load_workbook(buffer)["s"]
    assert not ws["A2"].alignment.wrap_text and ws["A3"].alignment.wrap_text
