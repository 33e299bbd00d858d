"""Letters as Word documents: A4 with 20 mm margins, the same text as the printed page, one
letter per page in a batch, and nothing a lawful letter must not say."""

import datetime
import io

import pytest
from docx import Document
from docx.oxml.ns import qn

from arrears import case_figures
from arrears.models import DebtPeriod
from arrears.unlawful import flagged_terms
from escalation.letter_docx import letters_docx
from escalation.letter_records import letter_issue
from escalation.letters import issued_letter, letter_for
from tests.escalation.conftest import TODAY, days

pytestmark = pytest.mark.usefixtures("frozen")

D = datetime.date


def opened(data: bytes):
    return Document(io.BytesIO(data))


def all_text(document) -> str:
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def page_breaks(document) -> int:
    return sum(1 for br in document.element.body.iter(qn("w:br")) if br.get(qn("w:type")) == "page")


@pytest.fixture
def demand(world):
    # June 2014 was paid at the time: the letter shows two runs of months around it.
    DebtPeriod.objects.filter(household=world.house_a, month=D(2014, 6, 1)).update(amount_paid=100)
    case_figures.refresh([world.house_a.pk])
    return issued_letter(
        letter_issue(case=world.case_a, kind="demand", by=world.manager, deadline_days=20)
    )


@pytest.fixture
def notice(world):
    return issued_letter(letter_issue(case=world.case_b, kind="notice", by=world.manager))


def test_the_page_is_a4_portrait_with_20_mm_margins(demand):
    section = opened(letters_docx([demand])).sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        assert getattr(section, margin).mm == pytest.approx(20, abs=0.1)


def test_a_demand_has_its_title_reference_months_total_and_deadline(demand):
    text = all_text(opened(letters_docx([demand])))
    assert "催告函" in text and "北苑服务处" in text
    assert "编号：NORTH-2026-D0001" in text
    assert "尊敬的张静（C6-101 业主）：" in text
    assert "2014年1月至2014年5月（5个月）" in text
    assert "2014年7月至2015年5月（11个月）" in text
    assert "2014年6月" not in text  # paid, so not demanded
    assert "合计欠缴" in text and "¥1,600.00" in text
    deadline = TODAY + days(20)
    assert f"请您于{deadline.year}年{deadline.month}月{deadline.day}日前缴清" in text
    assert "第九百四十四条" in text


def test_the_table_has_a_row_per_run_of_months_and_a_total_row(demand):
    (table,) = opened(letters_docx([demand])).tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["月份", "应缴", "已缴", "欠缴"]
    assert rows[1] == ["2014年1月至2014年5月（5个月）", "¥500.00", "¥0.00", "¥500.00"]
    assert rows[2] == ["2014年7月至2015年5月（11个月）", "¥1,100.00", "¥0.00", "¥1,100.00"]
    assert rows[3][0] == "合计欠缴" and rows[3][-1] == "¥1,600.00"


def test_a_notice_has_its_own_title_and_no_deadline(notice):
    text = all_text(opened(letters_docx([notice])))
    assert "催缴通知书" in text and "催告函" not in text
    assert "编号：NORTH-2026-N0001" in text
    assert "前缴清" not in text


def test_a_preview_has_no_reference_line(world):
    preview = letter_for(world.case_a, kind="notice", dated=TODAY)
    text = all_text(opened(letters_docx([preview])))
    assert "催缴通知书" in text and "编号" not in text


def test_a_batch_puts_each_letter_on_its_own_page(demand, notice):
    document = opened(letters_docx([demand, notice]))
    assert page_breaks(document) == 1
    text = all_text(document)
    assert text.index("催告函") < text.index("NORTH-2026-D0001")
    assert text.index("NORTH-2026-D0001") < text.index("催缴通知书")
    assert text.index("催缴通知书") < text.index("NORTH-2026-N0001")
    assert len(document.tables) == 2


def test_a_single_letter_has_no_page_break(demand):
    assert page_breaks(opened(letters_docx([demand]))) == 0


def test_no_letter_says_anything_a_lawful_letter_must_not(demand, notice):
    text = all_text(opened(letters_docx([demand, notice])))
    assert flagged_terms(text) == []


def test_chinese_text_is_set_in_a_font_every_word_processor_has(demand):
    style = opened(letters_docx([demand])).styles["Normal"]
    assert style.font.name == "SimSun"
    assert style.element.rPr.rFonts.get(qn("w:eastAsia")) == "SimSun"
