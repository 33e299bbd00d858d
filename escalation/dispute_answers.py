"""The office side of a dispute after it was recorded (issue 17.2): the written answer as a
letter, and the office manager's resolution, an upheld dispute becoming a waiver for their
approval.

The answer is a Letter of kind "answer", issued, sent and delivered like the others
(escalation.letter_records): recording its delivery records the dispute's
`answer_delivered` step, and collection on the disputed months resumes from that moment
only. Upheld, rejected and settled are households.disputes steps; an upheld dispute proposes
a Waiver (basis "dispute") that changes the ledger only once approved
(escalation.proceedings.waiver_decide takes it off the disputed months first).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.access import may_resolve_dispute
from arrears.cases import case_balance
from arrears.ledger import MonthRange
from arrears.models import DebtPeriod, Office, Payment
from arrears.money import ZERO
from arrears.text_flags import refuse_approved
from arrears.unlawful import flagged_terms
from escalation.letter_records import reference_next
from escalation.letters import zh_date, zh_money
from escalation.models import Letter, Waiver
from escalation.proceedings import ask_waiver_approval
from escalation.statement_links import link_issue
from households import disputes
from households.models import Dispute, DisputeEvent, DisputeKind

PENDING_LETTER = (Letter.Status.ISSUED, Letter.Status.SENT)


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


# --- Reading ------------------------------------------------------------------------------


def dispute_queryset():
    """Disputes with what their page reads, in a constant number of queries."""
    return Dispute.objects.select_related(
        "household", "case__campaign__office", "recorded_by__staff_profile", "work_order"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=DisputeEvent.objects.select_related("recorded_by__staff_profile").order_by(
                "happened_at", "pk"
            ),
        ),
        Prefetch("months", queryset=DebtPeriod.objects.order_by("month")),
    )


def disputed_balance(dispute: Dispute) -> Decimal:
    """What is still owed on the months the dispute names (nothing when it names none)."""
    return sum((p.balance for p in dispute.months.all()), ZERO)


def proposed_waiver(dispute: Dispute) -> Decimal:
    """The amount an upheld dispute would waive unless the manager says otherwise: the
    disputed months' balance, or the amount the owner says was paid (never more than the
    case still owes). A service dispute naming no months proposes nothing: the manager
    enters what the office agrees to give up, if anything."""
    if dispute.months.all():
        return disputed_balance(dispute)
    if dispute.kind == DisputeKind.AMOUNT and dispute.amount:
        due, paid, _n = case_balance(dispute.case)
        return max(min(dispute.amount, due - paid), ZERO)
    return ZERO


def receipt_matches(dispute: Dispute) -> list[Payment]:
    """Payments of the household whose receipt number matches a receipt check's number:
    help for whoever checks the next one (one query)."""
    numbers = {e.receipt_number for e in dispute.events.all() if e.receipt_number}
    if not numbers:
        return []
    return list(
        Payment.objects.filter(household_id=dispute.household_id, receipt_no__in=numbers).order_by(
            "paid_at"
        )
    )


@dataclass(frozen=True)
class DisputePage:
    dispute: Dispute
    state: str
    months: list[MonthRange]
    disputed_balance: Decimal
    work_order: disputes.WorkOrderState | None
    receipt_check_due: bool
    letters: list[Letter]
    pending_letter: Letter | None
    waivers: list[Waiver]
    proposed_waiver: Decimal
    answered_at: datetime.datetime | None


def dispute_page(dispute: Dispute, *, today: datetime.date | None = None) -> DisputePage:
    """Everything the dispute page shows (the dispute from dispute_queryset)."""
    letters = list(
        Letter.objects.filter(dispute=dispute).select_related("issued_by").order_by("issued_at")
    )
    waivers = list(
        Waiver.objects.filter(dispute=dispute).select_related(
            "requested_by__staff_profile", "decided_by__staff_profile"
        )
    )
    state = disputes.status(dispute)
    return DisputePage(
        dispute=dispute,
        state=state,
        months=disputes.month_ranges_of(dispute),
        disputed_balance=disputed_balance(dispute),
        work_order=disputes.work_order_state(dispute, today),
        receipt_check_due=disputes.receipt_check_due(dispute),
        letters=letters,
        pending_letter=next((x for x in letters if x.status in PENDING_LETTER), None),
        waivers=waivers,
        proposed_waiver=proposed_waiver(dispute) if state != disputes.RESOLVED else ZERO,
        answered_at=disputes.answered_at(dispute),
    )


# --- The written answer -------------------------------------------------------------------


def _what(dispute: Dispute) -> str:
    """What the owner disputes, in the letter's Chinese (never the screen's language)."""
    if dispute.kind == DisputeKind.AMOUNT:
        return f"称已缴纳{zh_money(dispute.amount)}" if dispute.amount else "称已缴费"
    if dispute.kind == DisputeKind.SERVICE:
        causes = {
            "leak_unrepaired": "漏水未修",
            "facilities": "配套设施不完善",
            "security": "治安问题",
            "cleaning": "保洁问题",
            "renovation": "装修纠纷",
            "property_defect": "房屋质量问题",
            "other": "服务问题",
        }
        return f"物业服务：{causes.get(dispute.cause, '服务问题')}"
    return "部分月份的物业费"


def answer_content(dispute: Dispute, *, found: str, proposed: str) -> dict:
    """What the answer letter says about the dispute, kept with the letter as issued."""
    return {
        "dispute": dispute.pk,
        "recorded_on": zh_date(timezone.localdate(dispute.recorded_at)),
        "what": _what(dispute),
        "words": dispute.words,
        "found": found,
        "proposed": proposed,
    }


def _range_data(r: MonthRange) -> dict:
    return {
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "count": r.count,
        "due": str(r.due),
        "paid": str(r.paid),
    }


def dispute_answer_issue(
    *,
    dispute: Dispute,
    by,
    found: str,
    proposed: str,
    dated: datetime.date | None = None,
) -> Letter:
    """Issue the office's written answer to the dispute as a letter (异议答复函): the months
    disputed with their amounts, what the office found, the outcome it proposes and the
    office's contact. Print it, send it and record its delivery like any letter."""
    found, proposed = (found or "").strip(), (proposed or "").strip()
    dated = dated or timezone.localdate()
    if disputes.status(dispute) != disputes.OPEN:
        raise _error(
            "found", _("The written answer to this dispute is already delivered."), "answered"
        )
    if not found:
        raise _error(
            "found",
            _("Write what the office found (the receipt check, the repair, the records)."),
            "no_found",
        )
    if not proposed:
        raise _error(
            "proposed",
            _("Write the outcome the office proposes (e.g. the months waived, or why not)."),
            "no_proposed",
        )
    if dated < timezone.localdate(dispute.recorded_at):
        raise _error(
            "dated",
            _("The answer cannot be dated before the dispute was recorded: check the date."),
            "before",
        )
    case = dispute.case
    office = case.campaign.office
    ranges = disputes.month_ranges_of(dispute)
    with transaction.atomic():
        Office.objects.select_for_update().filter(pk=office.pk).first()
        if Letter.objects.filter(dispute=dispute, status__in=PENDING_LETTER).exists():
            raise _error(
                "found",
                _(
                    "An answer to this dispute is already issued and not yet delivered: record "
                    "its delivery or its return first."
                ),
                "pending",
            )
        record = Letter(
            case=case,
            kind=Letter.Kind.ANSWER,
            dispute=dispute,
            reference=reference_next(office, Letter.Kind.ANSWER, dated.year),
            dated=dated,
            deadline=None,
            total=disputed_balance(dispute),
            periods=[_range_data(r) for r in ranges],
            owners=list(case.household.owners.values_list("name", flat=True)),
            answer=answer_content(dispute, found=found, proposed=proposed),
            issued_by=by,
        )
        record._history_user = by
        record.save()
        link_issue(case=case, by=by, letter=record)
    return record


# --- The office manager's resolution ------------------------------------------------------


def dispute_decide(
    *,
    dispute: Dispute,
    by,
    outcome: str,
    note: str = "",
    amount: Decimal | None = None,
    at: datetime.datetime | None = None,
) -> tuple[DisputeEvent, Waiver | None]:
    """Upheld, rejected (with the reason) or settled (with what was agreed), by the office
    manager, after the written answer was delivered. Upheld proposes a waiver of `amount`
    (default: proposed_waiver) for the manager's approval; 0 waives nothing (a fixed service
    complaint). Nothing changes on the ledger here."""
    if not may_resolve_dispute(by, dispute):
        raise PermissionDenied
    note = (note or "").strip()
    refuse_approved("note", note)
    upheld = outcome == DisputeEvent.Kind.UPHELD
    with transaction.atomic():
        dispute = dispute_queryset().select_for_update(of=("self",)).get(pk=dispute.pk)
        waiver_amount = ZERO
        if upheld:
            waiver_amount = proposed_waiver(dispute) if amount is None else amount
            due, paid, _n = case_balance(dispute.case)
            if waiver_amount < 0:
                raise _error("amount", _("Enter an amount of 0 or more."), "negative")
            if waiver_amount > due - paid:
                raise _error(
                    "amount",
                    _(
                        "The waiver (%(amount)s) is more than the case still owes "
                        "(%(owed)s): enter %(owed)s or less."
                    )
                    % {"amount": waiver_amount, "owed": due - paid},
                    "too_large",
                )
        event = disputes.dispute_resolve(dispute=dispute, outcome=outcome, by=by, note=note, at=at)
        waiver = None
        if upheld and waiver_amount > 0:
            waiver = Waiver(
                case=dispute.case,
                dispute=dispute,
                action=None,
                basis=Waiver.Basis.DISPUTE,
                amount=waiver_amount,
                reason=(
                    _("Dispute upheld (%(what)s): %(note)s")
                    % {"what": dispute.get_kind_display(), "note": note}
                )[:300],
                flagged_terms=flagged_terms(note),
                requested_by=by,
            )
            waiver._history_user = by
            waiver.save()
            ask_waiver_approval(waiver, url=reverse("dispute-detail", args=[dispute.pk]))
    return event, waiver
