"""Letters as editable Word documents (.docx): one letter, or a batch with one per page.

The text comes from escalation.letters, the same as the printed page; the layout is A4 with
20 mm margins and a CJK font that Word, WPS and LibreOffice all have (SimSun / 宋体).
"""

import io
from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from escalation.letters import Letter, zh_money

FONT = "SimSun"


def _document() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    # East Asian text takes its font from eastAsia, which python-docx does not set itself.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.line_spacing = 1.5
    return document


def _indented(document, text: str, *, bold: bool = False):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(22)
    run = paragraph.add_run(text)
    run.bold = bold
    return paragraph


def _write(document, letter: Letter) -> None:
    text = letter.paragraphs()
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.add_run(text["letterhead"]).bold = True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(letter.title)
    run.bold, run.font.size = True, Pt(18)
    if letter.reference:
        ref = document.add_paragraph()
        ref.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        ref.add_run(f"编号：{letter.reference}")
    document.add_paragraph(text["salutation"])
    _indented(document, text["intro"])
    if letter.rows or letter.kind != "answer":
        _table(document, letter)
    for paragraph in text["body"]:
        _indented(document, paragraph)
    if text["payment"]:
        _indented(document, text["payment"])
    _indented(document, text["contact"])
    if letter.statement_url:
        _indented(document, text["statement"])
        qr = document.add_paragraph()
        qr.add_run().add_picture(io.BytesIO(letter.statement_qr_png()), width=Mm(30))
    for line in text["signature"]:
        closing = document.add_paragraph(line)
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(document, letter: Letter) -> None:
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, label in zip(table.rows[0].cells, ["月份", "应缴", "已缴", "欠缴"], strict=True):
        cell.text = label
    for row in letter.rows:
        cells = table.add_row().cells
        for i, value in enumerate(row):
            cells[i].text = value
            if i:
                cells[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    total = table.add_row().cells
    total[0].merge(total[2]).text = "合计欠缴"
    total[3].text = zh_money(letter.total)
    total[3].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def letters_docx(letters: Sequence[Letter]) -> bytes:
    """One .docx with each letter starting on a new page."""
    document = _document()
    for i, letter in enumerate(letters):
        if i:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _write(document, letter)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
