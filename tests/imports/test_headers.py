"""Headers by meaning (imports.headers) and the header shapes offices' files have, read through
the ledger's and the payments' field tables."""

import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from imports import headers as h
from imports.ledger_import import FIELDS as LEDGER_FIELDS
from imports.ledger_import import LEDGER_SHEET, LedgerFileError
from imports.payment_import import FIELDS as PAYMENT_FIELDS


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def xlsx(*rows, merge=()) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    for ref in merge:
        book.active.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        (" 建筑 面积（㎡）", "建筑面积"),
        ("欠费金额(元)", "欠费金额"),
        ("月物业费 （元/月）", "月物业费"),
        ("面积㎡", "面积"),
        ("Ｕｎｉｔ　Ｃｏｄｅ", "unitcode"),  # full-width letters and space
        ("Responsible_Person:", "responsibleperson"),
        ("【必填】房号", "房号"),
        (None, ""),
    ],
)
def test_normalise_header(written, normalised):
    assert h.normalise_header(written) == normalised


def ledger(header):
    return h.match_header(h.normalise_header(header), LEDGER_FIELDS)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        # synonyms, compared whole
        ("房号", "unit"),
        ("房屋编号", "unit"),
        ("业主姓名", "owner"),
        ("欠费周期起", "first_month"),
        ("欠费周期止", "last_month"),
        # containment rules: the issue's own example first
        ("欠费起始月", "first_month"),
        ("欠费截止月", "last_month"),
        ("开始时间", "first_month"),
        ("起始日期（年月）", "first_month"),
        ("结束月份", "last_month"),
        ("截至日期", "last_month"),
        ("欠费期间", "period"),
        ("所属期间", "period"),
        ("欠费周期", "period"),
        ("起止月份", "period"),
        ("欠费月数（月）", "months"),
        ("每月应缴", "monthly"),
        ("月物业费(元)", "monthly"),
        ("欠费总额（元）", "total"),
        ("应收合计", "total"),
        ("欠款", "total"),
        ("欠费原因说明", "reason"),
        ("欠费类型", "category"),
        ("客户分类", "category"),
        ("联系电话1", "phone"),
        ("手机号码", "phone"),
        ("户主", "owner"),
        ("房屋动态（入住情况）", "occupancy"),
        ("建筑面积（㎡）", "area"),
        ("催收小组", "team"),
        ("收费员", "responsible"),
        ("计划完成时间", "planned"),
        # not to be taken for what they only resemble
        ("计划开始时间", "planned"),
        ("责任人姓名", "responsible"),
        ("房屋类型", None),
        ("备注", None),
        ("收缴措施", None),
    ],
)
def test_ledger_headers_by_meaning(header, field):
    assert ledger(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("票据号码", "receipt"),
        ("收款单号", "receipt"),
        ("实收金额（元）", "amount"),
        ("收款日期", "date"),
        ("支付渠道", "method"),
        ("摘要", "note"),
        ("应收金额", None),  # what was due is not what was paid
    ],
)
def test_payment_headers_by_meaning(header, field):
    assert h.match_header(h.normalise_header(header), PAYMENT_FIELDS) == field


def test_a_saved_mapping_wins_over_meaning_and_can_ignore():
    mapping = {"欠费金额": "monthly", "房号": ""}
    assert h.match_header("欠费金额", LEDGER_FIELDS, mapping) == "monthly"
    assert h.match_header("房号", LEDGER_FIELDS, mapping) is None


def test_a_field_takes_its_first_column_and_the_rest_are_listed():
    columns = h.match_columns(["房号", "欠费金额", "金额"], LEDGER_FIELDS)
    assert columns == {"unit": 0, "total": 1}


# --- shapes of a whole sheet -----------------------------------------------------------------


def test_title_rows_above_the_header_are_skipped():
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["华庭服务处2015年欠费清收明细表"],
            ["制表单位：华庭服务处", None, None, "制表日期：2015-06-30"],
            [],
            ["序号", "房号", "业主", "欠费起始月", "欠费截止月", "欠费金额（元）"],
            [1, "C6-101", "张静", "2013-05", "2015-05", "4,800.00"],
        )
    )
    assert parsed.header_row == 4
    assert parsed.columns == {
        "unit": "房号",
        "owner": "业主",
        "first_month": "欠费起始月",
        "last_month": "欠费截止月",
        "total": "欠费金额（元）",
    }
    assert [(r.number, r.values["unit"]) for r in parsed.rows] == [(5, "C6-101")]


def test_a_two_row_header_under_a_merged_parent_is_combined():
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["房号", "业主", "欠费周期", None, "欠费金额"],
            [None, None, "起", "止", None],
            ["C6-101", "张静", "2013-05", "2015-05", 4800],
            merge=("A1:A2", "B1:B2", "C1:D1", "E1:E2"),
        )
    )
    assert parsed.header_row == 2
    assert parsed.columns["first_month"] == "欠费周期起"
    assert parsed.columns["last_month"] == "欠费周期止"
    assert parsed.columns["total"] == "欠费金额"
    assert [r.number for r in parsed.rows] == [3]


def test_a_totals_row_is_skipped_and_said():
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["房号", "欠费期间", "欠费金额"],
            ["C6-101", "2013年5月-2015年5月", 4800],
            ["C6-102", "2014.1-2014.12", 1200],
            ["合计", None, 6000],
        )
    )
    assert [r.values["unit"] for r in parsed.rows] == ["C6-101", "C6-102"]
    assert parsed.skipped == ["Row 4: a totals row (合计/总计/小计); it is not imported."]


def test_unknown_columns_are_listed_never_dropped():
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["房号", "欠费期间", "欠费金额", "收缴措施", "楼管员"],
            ["C6-101", "2013年5月-2015年5月", 4800, "上门", "王五"],
        )
    )
    listed = [(c.letter, c.header, c.field) for c in parsed.all_columns]
    assert listed == [
        ("A", "房号", "unit"),
        ("B", "欠费期间", "period"),
        ("C", "欠费金额", "total"),
        ("D", "收缴措施", None),
        ("E", "楼管员", None),
    ]
    assert parsed.ignored == ["收缴措施", "楼管员"]
    assert parsed.rows[0].extra == {"收缴措施": "上门", "楼管员": "王五"}
    assert parsed.all_columns[3].samples == ["上门"]


def test_required_fields_are_groups_of_alternatives():
    assert LEDGER_SHEET.missing({"unit": 0, "period": 1}) == []
    assert LEDGER_SHEET.missing({"unit": 0, "first_month": 1, "last_month": 2}) == []
    assert LEDGER_SHEET.missing({"unit": 0, "first_month": 1}) == [
        "欠费期间 or 起始月份 + 截止月份"
    ]
    assert LEDGER_SHEET.missing({"period": 1}) == ["房号"]


def test_a_sheet_without_a_required_column_lists_its_columns_for_the_mapping_step():
    with pytest.raises(LedgerFileError) as error:
        LEDGER_SHEET.read(xlsx(["房号", "业主", "金额"], ["C6-101", "张静", 100]))
    assert error.value.missing == ["欠费期间 or 起始月份 + 截止月份"]
    assert [(c.letter, c.header, c.field) for c in error.value.columns] == [
        ("A", "房号", "unit"),
        ("B", "业主", "owner"),
        ("C", "金额", "total"),
    ]


def test_headers_nobody_recognises_still_reach_the_mapping_step():
    with pytest.raises(LedgerFileError, match="No header row found") as error:
        LEDGER_SHEET.read(xlsx(["门", "期", "钱"], ["C6-101", "2013.5-2015.5", 100]))
    assert [c.header for c in error.value.columns] == ["门", "期", "钱"]
    assert error.value.columns[0].samples == ["C6-101"]


def test_a_column_named_for_id_cards_is_never_read():
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["房号", "身份证号", "欠费期间", "欠费金额"],
            ["C6-101", "110101199003074514", "2013.5-2015.5", 4800],
        )
    )
    column = parsed.all_columns[1]
    assert (column.sensitive, column.field, column.samples) == ("id_card", None, [])
    assert parsed.ignored == []
    row = parsed.rows[0]
    assert "110101199003074514" not in repr((row.values, row.extra))


def test_formula_looking_cells_are_warned_of():
    book = Workbook()
    book.active.append(["房号", "欠费期间", "欠费金额", "备注"])
    book.active.append(["C6-101", "2013.5-2015.5", None, "http://example.com/x"])
    book.active["C2"].value = "=SUM(A1:A2)"
    book.active["C2"].data_type = "s"  # text that looks like a formula, as a CSV would hold it
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    parsed = LEDGER_SHEET.read(out)
    assert parsed.warnings == [
        "Row 2, column C: “=SUM(A1:A2)” looks like a formula or a link; it is kept as text.",
        "Row 2, column D: “http://example.com/x” looks like a formula or a link; it is kept as "
        "text.",
    ]


def test_a_title_right_above_the_header_is_not_a_parent_row():
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["北苑服务处 欠费明细（2015年6月）"],
            ["门牌号", "户主", "欠费期间", "欠费金额"],
            ["N8-801", "孙七", "2015.1-2015.5", 500],
        )
    )
    assert parsed.header_row == 2
    assert parsed.columns["unit"] == "门牌号"


def test_a_two_row_header_needs_a_parent_spanning_its_parts():
    # A value under a blank whose parent has none under itself: not a merged parent.
    assert h.combine_rows(["房号", "业主", None], ["C6-101", None, "x"]) is None
    assert h.combine_rows(["房号", "业主", "金额"], [None, "张静", None]) is None
    assert h.combine_rows(["房号", "欠费周期", None], [None, "起", "止"]) == [
        "房号",
        "欠费周期起",
        "欠费周期止",
    ]


def test_a_formula_cell_is_read_as_its_cached_value_and_warned_of():
    import re
    import zipfile

    source = zipfile.ZipFile(
        xlsx(["房号", "欠费期间", "欠费金额"], ["C6-101", "2013.5-2015.5", 4800])
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                # C2 as Excel saves a formula: the formula and its last calculated value.
                data = re.sub(
                    rb'<c r="C2"[^>]*>.*?</c>', b'<c r="C2"><f>SUM(B9:B10)</f><v>4800</v></c>', data
                )
                assert b"<f>" in data
            target.writestr(item, data)
    out.seek(0)
    parsed = LEDGER_SHEET.read(out)
    assert parsed.rows[0].values["total"] == 4800  # the cached value: nothing is evaluated
    assert parsed.warnings == [
        "Row 2, column C: a formula: its last calculated value “4800” is imported (nothing is "
        "recalculated); check it."
    ]


def _id(first17: str) -> str:
    from imports.sensitive import id_check_character

    return first17 + id_check_character(first17)


def test_a_column_holding_id_card_numbers_is_never_read_whatever_its_header():
    ids = [_id("11010119900307451"), _id("31010419851120002")]
    parsed = LEDGER_SHEET.read(
        xlsx(
            ["房号", "备用", "欠费期间", "欠费金额", "联系电话"],
            ["C6-101", ids[0], "2013.5-2015.5", 4800, "13900000000"],
            ["C6-102", ids[1], "2013.5-2015.5", 4800, "13900000001"],
        )
    )
    spare, phone = parsed.all_columns[1], parsed.all_columns[4]
    assert (spare.sensitive, spare.samples) == ("id_card", [])
    assert (phone.sensitive, phone.field) == ("", "phone")  # a phone is not an ID
    everything = repr([(r.values, r.extra, r.warnings) for r in parsed.rows])
    assert ids[0] not in everything and ids[1] not in everything
