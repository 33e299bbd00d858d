"""Written payment notices (催缴通知书) and formal demands with a deadline (催告函).

What a letter says is assembled here, once, so the printed page, the .docx and a batch say
the same thing. A letter is written in Chinese whatever language the screen is in: it goes
to the owner. Courts have dismissed fee claims where no written demand could be proven, so a
demand gives at least MIN_DEADLINE_DAYS to pay; once issued, a letter keeps the months and
amounts it stated (`snapshot`), however the ledger moves on.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.ledger import MonthRange, ledger_ranges
from arrears.models import Case
from arrears.money import ZERO
from escalation.statement_qr import qr_data_uri, qr_png, statement_url
from households.disputes import ALL_MONTHS, disputed_months

NOTICE, DEMAND, ANSWER = "notice", "demand", "answer"
# The written answer to an owner's instalment proposal (issue 17.4): issued only by the
# manager's decision (escalation.plan_proposals), never from the case page's letter buttons.
# Likewise a dispute's answer (ANSWER) is written from its dispute (escalation.dispute_answers).
PLAN_REPLY = "plan_reply"
KINDS = {
    NOTICE: _("Payment notice (催缴通知书)"),
    DEMAND: _("Formal demand with a deadline (催告函)"),
}
TITLES = {
    NOTICE: "催缴通知书",
    DEMAND: "催告函",
    PLAN_REPLY: "分期缴费申请答复函",
    ANSWER: "异议答复函",
}
MIN_DEADLINE_DAYS = 15


def zh_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def zh_month(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月"


def zh_range(r: MonthRange) -> str:
    if r.count == 1:
        return zh_month(r.start)
    return f"{zh_month(r.start)}至{zh_month(r.end)}（{r.count}个月）"


def zh_money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


@dataclass(frozen=True)
class PlanReply:
    """What the answer to an instalment proposal says: the decision, the instalments as
    decided (none when declined), the reason, and the day the owner proposed."""

    outcome: str  # accepted, changed, declined
    proposed_on: datetime.date
    instalments: tuple[tuple[datetime.date, Decimal], ...] = ()
    reason: str = ""
    # Changed: the office's offer, to be accepted by this day (escalation.plan_offers).
    accept_by: datetime.date | None = None


@dataclass(frozen=True)
class Letter:
    """A letter's content: computed from the ledger for a preview, or read back from an
    issued letter's snapshot."""

    kind: str
    case: Case
    owners: list[str]
    ranges: list[MonthRange]
    total: Decimal
    dated: datetime.date
    deadline: datetime.date | None
    reference: str = ""
    # Months under an open dispute (issue 17.2): left out of the demand, named as under review.
    under_review: tuple[MonthRange, ...] = ()
    # The owner's statement link printed on an issued letter (issue 17.1), with its QR code.
    statement_url: str = ""
    # The answer to an instalment proposal (kind PLAN_REPLY only).
    plan_reply: PlanReply | None = None
    # An answer to a dispute: what was disputed, what was found, the outcome proposed (all
    # text, as issued; see escalation.dispute_answers.answer_content).
    answer: dict | None = None

    def statement_qr_png(self) -> bytes:
        return qr_png(self.statement_url)

    def statement_qr_data_uri(self) -> str:
        return qr_data_uri(self.statement_url)

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def total_text(self) -> str:
        return zh_money(self.total)

    @property
    def salutation(self) -> str:
        names = "、".join(self.owners) or "业主"
        return f"尊敬的{names}（{self.case.household.unit_code} 业主）："

    @property
    def rows(self) -> list[tuple[str, str, str, str]]:
        return [
            (zh_range(r), zh_money(r.due), zh_money(r.paid), zh_money(r.balance))
            for r in self.ranges
        ]

    def paragraphs(self) -> dict[str, list[str] | str]:
        """The letter's text in the order it is printed (the table goes after `intro`)."""
        office = self.case.campaign.office
        if self.kind == ANSWER:
            return self._answer_paragraphs(office)
        if self.kind == DEMAND:
            body = [
                "根据《中华人民共和国民法典》第九百四十四条，业主应当按照约定向物业服务人支付物业费；"
                "业主违反约定逾期不支付的，物业服务人可以催告其在合理期限内支付。"
                f"现特此催告，请您于{zh_date(self.deadline)}前缴清上述费用。",
                "逾期仍未缴纳的，本服务处将依法通过调解、申请支付令或者提起诉讼等途径主张权利。"
                "如您对上述欠费有异议，请在上述期限内与我们联系核对。",
            ]
        elif self.kind == PLAN_REPLY:
            body = plan_reply_body(self.plan_reply)
        else:
            body = [
                "请您在方便时缴纳上述费用。如您对欠费有异议，或者需要分期缴纳，欢迎与我们联系协商。"
            ]
        if self.under_review:
            body.append(
                "您已对以下月份的费用提出异议，本服务处正在核查，将另行书面答复；本函不就其催缴："
                + "、".join(zh_range(r) for r in self.under_review)
                + "。"
            )
        return {
            "letterhead": office.name,
            "salutation": self.salutation,
            "intro": f"经核对，截至{zh_date(self.dated)}，您名下{self.case.household.unit_code}"
            "房屋尚欠物业服务费如下：",
            "body": body,
            "payment": "缴费方式：" + (office.payment_instructions or "请到物业服务中心前台缴纳。"),
            "contact": f"联系电话：{office.phone or '——'}　　地址：{office.address or '——'}",
            "signature": [office.name, zh_date(self.dated)],
            "statement": (
                "扫描二维码或打开以下链接，可查看您的欠费明细、缴费方式，"
                f"并可要求只以书面方式联系（链接90天内有效）：{self.statement_url}"
                if self.statement_url
                else ""
            ),
        }

    def _answer_paragraphs(self, office) -> dict[str, list[str] | str]:
        """The written answer to a dispute: what the owner disputed and said, what the office
        found, the outcome it proposes, and whom to contact. No staff names."""
        a = self.answer or {}
        intro = f"您于{a.get('recorded_on', '')}就{self.case.household.unit_code}房屋提出的异议" + (
            f"（{a['what']}）" if a.get("what") else ""
        )
        intro += "，本服务处已收悉并进行了核查。"
        if a.get("words"):
            intro += f"您的意见是：“{a['words']}”。"
        if self.ranges:
            intro += "涉及的月份及金额如下："
        body = [f"经核查：{a.get('found', '')}", f"处理意见：{a.get('proposed', '')}"]
        body.append(
            "在本函送达之前，本服务处未就上述异议事项向您催缴。"
            "如您对本答复仍有不同意见，请在收到本函后与我们联系。"
        )
        return {
            "letterhead": office.name,
            "salutation": self.salutation,
            "intro": intro,
            "body": body,
            "payment": "",
            "contact": f"联系电话：{office.phone or '——'}　　地址：{office.address or '——'}",
            "signature": [office.name, zh_date(self.dated)],
            "statement": (
                "扫描二维码或打开以下链接，可查看您的欠费明细（链接90天内有效）："
                f"{self.statement_url}"
                if self.statement_url
                else ""
            ),
        }


def plan_reply_body(reply: PlanReply) -> list[str]:
    """The answer to the owner's instalment proposal, in the letter's Chinese."""
    asked = f"您于{zh_date(reply.proposed_on)}通过对账单链接提出分期缴纳上述费用的申请，本服务处答复如下："
    schedule = [
        f"第{n}期：{zh_date(day)}前缴纳{zh_money(amount)}；"
        for n, (day, amount) in enumerate(reply.instalments, start=1)
    ]
    if reply.outcome == "declined":
        return [
            asked,
            f"经研究，本服务处暂不能同意您提出的分期方案。理由：{reply.reason}",
            "如您希望提出新的分期方案，或对上述欠费有异议，欢迎与我们联系协商。",
        ]
    if reply.outcome == "changed":
        head = "经研究，本服务处同意您分期缴纳，但建议对分期安排作如下调整："
        if reply.reason:
            head += f"（调整原因：{reply.reason}）"
        if reply.accept_by is not None:  # the office's offer: nothing is agreed until accepted
            return [
                asked,
                head,
                *schedule,
                f"如您同意上述分期安排，请于{zh_date(reply.accept_by)}前扫描本函二维码或打开"
                "本函所附对账单链接，点击“接受这些分期”；也可到本服务处当面确认。"
                "自您确认之日起，上述分期安排生效。逾期未确认的，本方案不再有效，"
                "您可以重新提出分期申请。",
            ]
    else:
        head = "经研究，本服务处同意您提出的分期方案，具体安排如下："
    return [
        asked,
        head,
        *schedule,
        "请按期缴纳。如某一期未能按时缴纳，请及时与我们联系；逾期未缴的，本服务处将另行书面催缴。",
    ]


def unpaid_ranges(case: Case, at=None) -> tuple[list[MonthRange], list[MonthRange]]:
    """(months demanded, months under an open dispute at `at`) of the case's unpaid months."""
    periods = [
        (month, due, paid)
        for month, due, paid in case.periods()
        .order_by("month")
        .values_list("month", "amount_due", "amount_paid")
        if paid < due
    ]
    disputed = disputed_months(case.household_id, at or timezone.now())
    if disputed is ALL_MONTHS:
        return [], ledger_ranges(periods)
    return (
        ledger_ranges([p for p in periods if p[0] not in disputed]),
        ledger_ranges([p for p in periods if p[0] in disputed]),
    )


def letter_for(
    case: Case, *, kind: str, dated: datetime.date, deadline_days: int = MIN_DEADLINE_DAYS
) -> Letter:
    """The letter for a case's unpaid months in its campaign, as of `dated`."""
    if kind not in KINDS:
        raise ValueError(f"unknown letter {kind!r}")
    if kind == DEMAND and deadline_days < MIN_DEADLINE_DAYS:
        raise ValueError(f"a demand gives at least {MIN_DEADLINE_DAYS} days to pay")
    ranges, under_review = unpaid_ranges(case)
    return Letter(
        kind=kind,
        case=case,
        owners=list(case.household.owners.values_list("name", flat=True)),
        ranges=ranges,
        total=sum((r.balance for r in ranges), ZERO),
        dated=dated,
        deadline=dated + datetime.timedelta(days=deadline_days) if kind == DEMAND else None,
        under_review=tuple(under_review),
    )


def _range_data(r: MonthRange, **extra) -> dict:
    return {
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "count": r.count,
        "due": str(r.due),
        "paid": str(r.paid),
        **extra,
    }


def snapshot(letter: Letter) -> list[dict]:
    """The months a letter states; those under review marked so (never in its total)."""
    return [_range_data(r) for r in letter.ranges] + [
        # The demo loader passes a plain namespace of ranges, with nothing under review.
        _range_data(r, under_review=True)
        for r in getattr(letter, "under_review", ())
    ]


def _range_of(p: dict) -> MonthRange:
    return MonthRange(
        datetime.date.fromisoformat(p["start"]),
        datetime.date.fromisoformat(p["end"]),
        p["count"],
        Decimal(p["due"]),
        Decimal(p["paid"]),
    )


def issued_letter(record) -> Letter:
    """The content of an issued letter (escalation.models.Letter), exactly as it was issued."""
    ranges = [_range_of(p) for p in record.periods if not p.get("under_review")]
    under_review = tuple(_range_of(p) for p in record.periods if p.get("under_review"))
    return Letter(
        kind=record.kind,
        case=record.case,
        owners=list(record.owners),
        ranges=ranges,
        total=record.total,
        dated=record.dated,
        deadline=record.deadline,
        reference=record.reference,
        under_review=under_review,
        statement_url=_statement_url(record),
        answer=getattr(record, "answer", None) or None,
        plan_reply=_plan_reply(record),
    )


def _plan_reply(record) -> PlanReply | None:
    """The decision an instalment-proposal answer states, from its append-only record."""
    if record.kind != PLAN_REPLY:
        return None
    decision = record.plan_decision
    return PlanReply(
        outcome=decision.outcome,
        proposed_on=timezone.localdate(decision.proposal.proposed_at),
        instalments=tuple(
            (datetime.date.fromisoformat(i["due_date"]), Decimal(i["amount"]))
            for i in decision.instalments
        ),
        reason=decision.reason,
        accept_by=decision.accept_by,
    )


def _statement_url(record) -> str:
    """The address of the statement link issued with the letter (prefetch `statement_links`
    for a list), or "" for a letter issued before links existed."""
    links = sorted(record.statement_links.all(), key=lambda link: link.pk)
    return statement_url(links[0]) if links else ""
