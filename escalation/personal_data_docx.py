"""The written answers to owners' personal-information requests (PIPL arts. 44–47): the
document of everything held (a page to review and print, and a .docx), and the letter that
answers a correction or a deletion (done, or refused with the reason).

Both go to the owner, so the .docx files are written in Chinese whatever the reader's
language (the sections are the page's own translated strings, rendered under zh-hans); the
layout is the letters' (escalation.letter_docx).
"""

import io
from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from arrears.templatetags.desk import cny
from escalation.letter_docx import _document, _indented
from escalation.letters import zh_date
from escalation.personal_data import HeldData, correction_changes
from households.models import PersonalDataRequest


@dataclass
class Section:
    key: str
    title: str
    lines: list[str] = field(default_factory=list)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _join(*parts) -> str:
    return " · ".join(str(p) for p in parts if p not in ("", None))


def held_sections(held: HeldData) -> list[Section]:
    """What is held, section by section, in the current language; each empty section says
    so (the owner sees that nothing of that kind is held)."""
    household = held.household
    contact = Section("contact", _("Contact data"))
    for o in held.owners:
        contact.lines.append(
            _join(o.name or "—", o.get_relation_display(), o.phone, o.phone_alt, o.note)
        )
    if household.note:
        contact.lines.append(_join(_("Note"), household.note))
    if household.written_contact_only:
        contact.lines.append(
            _join(
                _("Written contact only"),
                household.written_only_since and household.written_only_since.isoformat(),
                household.written_only_reason,
            )
        )
    history = Section("contact-history", _("Earlier versions of the contact data"))
    kinds = {"+": _("recorded"), "~": _("changed"), "-": _("removed")}
    for row in held.owner_history:
        history.lines.append(
            _join(
                _when(row.history_date),
                kinds.get(row.history_type, row.history_type),
                row.name or "—",
                row.phone,
                row.phone_alt,
                row.note,
            )
        )
    ledger = Section("ledger", _("Fee ledger"))
    for p in held.periods:
        ledger.lines.append(
            _join(p.month.strftime("%Y-%m"), cny(p.amount_due), _("paid"), cny(p.amount_paid))
        )
    for p in held.payments:
        ledger.lines.append(
            _join(
                p.get_kind_display(),
                _when(p.paid_at),
                cny(p.amount),
                p.get_method_display(),
                p.receipt_no,
            )
        )
    attempts = Section("attempts", _("Contact attempts and notes"))
    for a in held.attempts:
        attempts.lines.append(
            _join(
                _when(a.occurred_at),
                a.get_channel_display(),
                a.get_person_contacted_display(),
                a.get_outcome_display(),
                a.notes,
                a.owners_request_note,
                a.next_step,
            )
        )
    promises = Section("promises", _("Promises to pay"))
    for p in held.promises:
        promises.lines.append(_join(p.due_date.isoformat(), cny(p.amount)))
    for p in held.plans:
        promises.lines.append(
            _join(_("Payment plan"), p.agreed_on.isoformat(), cny(p.total), p.note)
        )
    letters = Section("letters", _("Letters"))
    for x in held.letters:
        letters.lines.append(
            _join(
                x.reference,
                x.get_kind_display(),
                x.dated.isoformat(),
                x.get_status_display(),
                x.delivered_on and x.delivered_on.isoformat(),
                "、".join(x.owners),
            )
        )
    disputes = Section("disputes", _("Disputes"))
    for d in held.disputes:
        months = ", ".join(m.month.strftime("%Y-%m") for m in d.months.all())
        disputes.lines.append(
            _join(
                _when(d.recorded_at),
                d.get_kind_display(),
                d.get_cause_display() if d.cause else "",
                months,
                cny(d.amount) if d.amount else "",
                d.words,
                d.original_name,
            )
        )
        for e in d.events.all():
            disputes.lines.append(_join("—", _when(e.happened_at), e.get_kind_display(), e.note))
    issues = Section("issues", _("Difficult issues and decisions"))
    for i in held.issues:
        issues.lines.append(
            _join(_when(i.raised_at), i.title, i.description, i.get_status_display(), i.decision)
        )
    evidence = Section("evidence", _("Evidence files (names and dates)"))
    for e in held.evidence:
        evidence.lines.append(_join(_when(e.uploaded_at), e.original_name))
    for d in held.disputes:
        if d.original_name:
            evidence.lines.append(_join(_when(d.recorded_at), d.original_name))
    views = Section("statement-views", _("Views of the statement link"))
    for v in held.statement_views:
        views.lines.append(_join(_when(v.at), v.get_kind_display()))
    requests = Section("requests", _("Requests about personal information"))
    for r in held.requests:
        requests.lines.append(
            _join(r.received_on.isoformat(), r.get_kind_display(), r.get_status_display())
        )
    for e in held.erasures:
        requests.lines.append(_join(_when(e.erased_at), _("erased"), e.get_reason_display()))
    years = household.office.retention_years
    purpose = Section("purpose", _("Why it is kept, and for how long"))
    purpose.lines += [
        _(
            "To collect the property fees owed, lawfully, and to prove how it was done "
            "(the ledger and the record of written demands)."
        ),
        ngettext(
            "Once nothing is owed, every campaign has closed and no legal action is open, "
            "the names, phone numbers and notes are erased %(years)d year after the last "
            "payment, contact or campaign close, with a record that it was done.",
            "Once nothing is owed, every campaign has closed and no legal action is open, "
            "the names, phone numbers and notes are erased %(years)d years after the last "
            "payment, contact or campaign close, with a record that it was done.",
            years,
        )
        % {"years": years},
    ]
    return [
        contact,
        history,
        ledger,
        attempts,
        promises,
        letters,
        disputes,
        issues,
        evidence,
        views,
        requests,
        purpose,
    ]


def held_heading(req: PersonalDataRequest, held: HeldData) -> tuple[str, str]:
    household = held.household
    title = _("%(office)s: personal information held about the owners of %(unit)s") % {
        "office": household.office.name,
        "unit": household.unit_code,
    }
    intro = _(
        "In answer to the request received on %(received)s (PIPL art. 45). Produced on %(made)s."
    ) % {"received": req.received_on.isoformat(), "made": _when(held.generated_at)}
    return title, intro


def held_data_docx(req: PersonalDataRequest, held: HeldData) -> bytes:
    """The document of what is held, in Chinese, as the office manager sends it."""
    with translation.override("zh-hans"):
        title, intro = held_heading(req, held)
        sections = held_sections(held)
        none = _("None.")
    document = _document()
    head = document.add_paragraph()
    head.add_run(title).bold = True
    document.add_paragraph(intro)
    for section in sections:
        document.add_paragraph().add_run(section.title).bold = True
        for line in section.lines or [none]:
            document.add_paragraph(line, style="List Bullet")
    return _save(document)


# The written answer to a correction or a deletion (owner-facing: Chinese, as the letters).

FIELDS_ZH = {"name": "姓名", "phone": "电话", "phone_alt": "其他电话"}


@dataclass
class AnswerLetter:
    letterhead: str
    title: str
    salutation: str
    paragraphs: list[str]
    signature: list[str]


def answer_letter(req: PersonalDataRequest) -> AnswerLetter:
    """The letter answering a closed correction or deletion request."""
    household = req.household
    office = household.office
    dated = timezone.localdate(req.closed_at) if req.closed_at else timezone.localdate()
    name = req.owner.name if req.owner and req.owner.name else "业主"
    received = zh_date(req.received_on)
    paragraphs = []
    if req.kind == PersonalDataRequest.Kind.CORRECT:
        title = "关于更正个人信息的答复"
        paragraphs.append(f"您于{received}提出更正个人信息的请求，本服务处已予更正：")
        for change in correction_changes(req):
            label = FIELDS_ZH.get(change.field, change.field)
            paragraphs.append(f"{label}：{change.after}")
        paragraphs.append("更正前的信息作为历史记录保存，仅用于核对，不再用于联系。")
    elif req.status == PersonalDataRequest.Status.REFUSED:
        title = "关于删除个人信息请求的答复"
        with translation.override("zh-hans"):
            reason = _(req.answer) if req.answer else ""
        paragraphs += [
            f"您于{received}提出删除个人信息的请求。经核查，本服务处暂不能删除，理由如下：",
            reason,
            "依照《中华人民共和国个人信息保护法》第四十七条，处理目的实现、不再需要或者保存期限届满后，"
            "本服务处将删除您的联系信息（姓名、电话、备注），并保留删除记录；费用账目继续保存。",
            "如您对本答复有异议，欢迎与我们联系；您也可以依法向人民法院提起诉讼"
            "（《个人信息保护法》第五十条）。",
        ]
    else:
        title = "关于删除个人信息的答复"
        paragraphs += [
            f"您于{received}提出删除个人信息的请求。本服务处已删除您的联系信息"
            "（姓名、电话、备注，包括其历史记录），并保留了删除记录。",
            "费用账目（月份、金额、缴费记录）及书面催缴的编号和日期继续保存，不含您的姓名和电话。",
        ]
    return AnswerLetter(
        letterhead=office.name,
        title=title,
        salutation=f"尊敬的{name}（{household.unit_code} 业主）：",
        paragraphs=paragraphs,
        signature=[office.name, zh_date(dated)],
    )


def answer_docx(req: PersonalDataRequest) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    letter = answer_letter(req)
    document = _document()
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.add_run(letter.letterhead).bold = True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(letter.title)
    run.bold, run.font.size = True, Pt(16)
    document.add_paragraph(letter.salutation)
    for paragraph in letter.paragraphs:
        _indented(document, paragraph)
    for line in letter.signature:
        document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _save(document)


def _save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
