"""Issuing letters and recording what happened to them: sent, delivered with proof, returned.

Each step that reaches the owner is also a contact attempt on the case (channel: written
notice or demand), logged through households.contact like any other, so the timeline, the
policy and the limitation clock see it: the delivery attempt is dated the day of delivery,
which is when a demand interrupts the limitation period (Civil Code art. 195).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import Case, Office
from arrears.money import ZERO
from escalation.letters import (
    DEMAND,
    MIN_DEADLINE_DAYS,
    PLAN_REPLY,
    PlanReply,
    letter_for,
    snapshot,
    unpaid_ranges,
)
from escalation.letters import Letter as LetterContent
from escalation.models import Letter
from escalation.statement_links import link_issue
from households.contact import attempt_log
from households.disputes import dispute_answer_delivered
from households.models import Channel, Outcome, PersonContacted

CHANNEL = {
    Letter.Kind.NOTICE: Channel.PAYMENT_NOTICE,
    Letter.Kind.DEMAND: Channel.WRITTEN_DEMAND,
    # The answer to an instalment proposal states the debt and asks for it: a written notice.
    Letter.Kind.PLAN_REPLY: Channel.PAYMENT_NOTICE,
    # The answer to a dispute is written contact, not a demand: its delivery restarts no
    # limitation period.
    Letter.Kind.ANSWER: Channel.DISPUTE_ANSWER,
}
# The letter in a reference: N notices, D demands, P plan answers, A answers to disputes.
PREFIX = {
    Letter.Kind.NOTICE: "N",
    Letter.Kind.DEMAND: "D",
    Letter.Kind.PLAN_REPLY: "P",
    Letter.Kind.ANSWER: "A",
}
MAILED = {Letter.Method.REGISTERED_MAIL, Letter.Method.EMS}


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def reference_next(office: Office, kind: str, year: int) -> str:
    """The next reference of that kind for the office (hold the office row locked)."""
    return _reference(office, kind, year)


def _reference(office: Office, kind: str, year: int) -> str:
    """CG-2026-D0007: office code, year, N for notices, D for demands, P for answers to an
    instalment proposal or A for answers to a dispute, a running number. The caller holds the
    office row locked, so two clerks never get the same number."""
    prefix = f"{office.code.upper()}-{year}-{PREFIX[kind]}"
    taken = Letter.objects.filter(reference__startswith=prefix).aggregate(n=Count("pk"))["n"]
    return f"{prefix}{taken + 1:04d}"


def letter_issue(
    *,
    case: Case,
    kind: str,
    by,
    dated: datetime.date | None = None,
    deadline_days: int = MIN_DEADLINE_DAYS,
) -> Letter:
    """Record a letter as issued, with a reference and the months and amounts it states."""
    dated = dated or timezone.localdate()
    if kind == DEMAND and deadline_days < MIN_DEADLINE_DAYS:
        raise _error(
            "deadline_days",
            _("A demand gives the owner at least %(n)d days to pay: enter %(n)d or more.")
            % {"n": MIN_DEADLINE_DAYS},
            "deadline",
        )
    content = letter_for(case, kind=kind, dated=dated, deadline_days=deadline_days)
    if content.total <= 0:
        raise ValidationError(
            _("%(unit)s owes nothing in this campaign: there is nothing to demand.")
            % {"unit": case.household.unit_code},
            code="nothing_owed",
        )
    office = case.campaign.office
    with transaction.atomic():
        Office.objects.select_for_update().filter(pk=office.pk).first()
        record = Letter.objects.create(
            case=case,
            kind=kind,
            reference=_reference(office, kind, dated.year),
            dated=dated,
            deadline=content.deadline,
            total=content.total,
            periods=snapshot(content),
            owners=content.owners,
            issued_by=by,
        )
        # Each letter carries its own link to the owner's statement (issue 17.1).
        link_issue(case=case, by=by, letter=record)
        return record


def plan_reply_issue(*, case: Case, by, reply: PlanReply) -> Letter:
    """Issue the written answer to an owner's instalment proposal (issue 17.4), dated today,
    with the months still unpaid and its own statement link; delivered like any letter."""
    dated = timezone.localdate()
    ranges, under_review = unpaid_ranges(case)
    content = LetterContent(
        kind=PLAN_REPLY,
        case=case,
        owners=list(case.household.owners.values_list("name", flat=True)),
        ranges=ranges,
        total=sum((r.balance for r in ranges), ZERO),
        dated=dated,
        deadline=None,
        under_review=tuple(under_review),
        plan_reply=reply,
    )
    office = case.campaign.office
    with transaction.atomic():
        Office.objects.select_for_update().filter(pk=office.pk).first()
        record = Letter.objects.create(
            case=case,
            kind=PLAN_REPLY,
            reference=_reference(office, PLAN_REPLY, dated.year),
            dated=dated,
            deadline=None,
            total=content.total,
            periods=snapshot(content),
            owners=content.owners,
            issued_by=by,
        )
        link_issue(case=case, by=by, letter=record)
        return record


@dataclass(frozen=True)
class Batch:
    letters: list[Letter]
    skipped: list[Case]  # nothing owed


def letters_issue_batch(
    *, cases: Iterable[Case], kind: str, by, deadline_days: int = MIN_DEADLINE_DAYS
) -> Batch:
    """One letter per selected case that still owes something, all dated today."""
    letters, skipped = [], []
    dated = timezone.localdate()
    for case in cases:
        try:
            letters.append(
                letter_issue(case=case, kind=kind, by=by, dated=dated, deadline_days=deadline_days)
            )
        except ValidationError as error:
            if getattr(error, "code", None) != "nothing_owed":
                raise
            skipped.append(case)
    return Batch(letters, skipped)


def _moment(day: datetime.date) -> datetime.datetime:
    """A past day as a moment: noon, so it is inside allowed hours and in no doubt about
    its date; today as now, so it is never in the future."""
    if day >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def _check_day(field: str, day: datetime.date, *, not_before: datetime.date, what: str) -> None:
    if day > timezone.localdate():
        raise _error(
            field, _("The date cannot be in the future: enter the day it happened."), "future"
        )
    if day < not_before:
        raise _error(
            field,
            _("The date is before the letter was %(what)s (%(day)s): check it.")
            % {"what": what, "day": not_before.isoformat()},
            "too_early",
        )


def _locked(letter: Letter) -> Letter:
    """The letter as stored now, locked: a page or a caller may hold an older copy, and two
    clerks recording the same delivery must not both succeed."""
    return (
        Letter.objects.select_for_update(of=("self",))
        .select_related("case__household", "dispute")
        .get(pk=letter.pk)
    )


def _log(letter: Letter, *, by, day: datetime.date, outcome: str, notes: str, evidence=()):
    """The letter's step as a written contact attempt on the case's timeline."""
    return attempt_log(
        case=letter.case,
        by=by,
        occurred_at=_moment(day),
        channel=CHANNEL[letter.kind],
        person_contacted=PersonContacted.OWNER,
        outcome=outcome,
        notes=notes,
        evidence=evidence,
    )


def _save(letter: Letter, by) -> Letter:
    letter._history_user = by
    letter.save()
    return letter


@transaction.atomic
def letter_record_dispatch(
    *, letter: Letter, by, method: str, sent_on: datetime.date, tracking_number: str = ""
) -> Letter:
    """The letter left the office: by hand, registered mail, EMS or courier."""
    letter = _locked(letter)
    tracking_number = tracking_number.strip()
    if letter.status != Letter.Status.ISSUED:
        raise ValidationError(_("This letter has already been sent."), code="state")
    if method not in Letter.Method.values:
        raise _error("method", _("Choose how the letter was sent."), "method")
    if method in MAILED and not tracking_number:
        raise _error(
            "tracking_number",
            _("Enter the tracking number from the post office receipt: it is the proof."),
            "tracking",
        )
    _check_day("sent_on", sent_on, not_before=letter.dated, what=_("dated"))
    letter.sent_attempt = _log(
        letter,
        by=by,
        day=sent_on,
        outcome=Outcome.SENT,
        notes=_("%(ref)s sent: %(method)s %(tracking)s")
        % {
            "ref": letter.reference,
            "method": Letter.Method(method).label,
            "tracking": tracking_number,
        },
    )
    letter.status = Letter.Status.SENT
    letter.method, letter.sent_on, letter.tracking_number = method, sent_on, tracking_number
    return _save(letter, by)


@transaction.atomic
def letter_record_delivery(
    *,
    letter: Letter,
    by,
    delivered_on: datetime.date,
    proof: str,
    proof_detail: str,
    scans: Sequence[UploadedFile],
    method: str = "",
) -> Letter:
    """The letter reached the owner, with the proof: a signature or the tracking record, and
    a scan of it. A letter handed over in person is sent and delivered in one step."""
    letter = _locked(letter)
    proof_detail = proof_detail.strip()
    if letter.status not in (Letter.Status.ISSUED, Letter.Status.SENT):
        raise ValidationError(
            _("This letter's delivery or return is already recorded."), code="state"
        )
    if letter.status == Letter.Status.ISSUED and method != Letter.Method.IN_PERSON:
        raise _error(
            "method",
            _(
                "Record how the letter was sent first; only a letter handed over in person is "
                "sent and delivered at once."
            ),
            "not_sent",
        )
    if proof not in Letter.Proof.values:
        raise _error(
            "proof", _("Choose the proof of delivery: a signature or the tracking record."), "proof"
        )
    if proof == Letter.Proof.TRACKING and (letter.method or method) not in MAILED | {
        Letter.Method.COURIER
    }:
        raise _error(
            "proof",
            _("A letter handed over in person is proven by the owner's signature."),
            "proof",
        )
    if not proof_detail:
        raise _error(
            "proof_detail",
            _("Enter who signed for it, or what the tracking record says (date and status)."),
            "proof_detail",
        )
    if not scans:
        raise _error(
            "evidence",
            _("Attach a scan or photo of the signed receipt or of the tracking record."),
            "scan",
        )
    _check_day(
        "delivered_on", delivered_on, not_before=letter.sent_on or letter.dated, what=_("sent")
    )
    letter.outcome_attempt = _log(
        letter,
        by=by,
        day=delivered_on,
        outcome=Outcome.DELIVERED,
        notes=_("%(ref)s delivered: %(proof)s — %(detail)s")
        % {"ref": letter.reference, "proof": Letter.Proof(proof).label, "detail": proof_detail},
        evidence=scans,
    )
    if letter.status == Letter.Status.ISSUED:
        letter.method, letter.sent_on = method, delivered_on
    letter.status = Letter.Status.DELIVERED
    letter.delivered_on, letter.proof, letter.proof_detail = delivered_on, proof, proof_detail
    if letter.kind == Letter.Kind.ANSWER:
        # The written answer reached the owner: collection on the disputed months resumes
        # from this moment (never before the letter was issued, whatever the day's noon).
        dispute_answer_delivered(
            dispute=letter.dispute,
            by=by,
            at=max(_moment(delivered_on), letter.issued_at),
            note=_("%(ref)s delivered: %(proof)s — %(detail)s")
            % {"ref": letter.reference, "proof": Letter.Proof(proof).label, "detail": proof_detail},
        )
    return _save(letter, by)


@transaction.atomic
def letter_record_return(*, letter: Letter, by, returned_on: datetime.date, reason: str) -> Letter:
    """The letter came back: refused, moved away, nobody there. It proves nothing and
    interrupts nothing; the owner may need finding (see the unreachable playbook)."""
    letter = _locked(letter)
    reason = reason.strip()
    if letter.status != Letter.Status.SENT:
        raise ValidationError(_("Only a letter that was sent can come back."), code="state")
    if not reason:
        raise _error(
            "return_reason",
            _("Enter why it came back (e.g. “moved, unknown at this address”)."),
            "reason",
        )
    _check_day("returned_on", returned_on, not_before=letter.sent_on, what=_("sent"))
    letter.outcome_attempt = _log(
        letter,
        by=by,
        day=returned_on,
        outcome=Outcome.NOT_DELIVERED,
        notes=_("%(ref)s returned: %(reason)s") % {"ref": letter.reference, "reason": reason},
    )
    letter.status = Letter.Status.RETURNED
    letter.returned_on, letter.return_reason = returned_on, reason
    return _save(letter, by)


def effective_deadline(letter: Letter) -> datetime.date | None:
    """The day the owner may pay until: the letter's date, but never fewer than 15 days from
    the day it actually reached them (a demand that arrives late gives a reasonable period
    from its arrival, not from its printing)."""
    if letter.kind != DEMAND or letter.delivered_on is None:
        return None
    return max(letter.deadline, letter.delivered_on + datetime.timedelta(days=MIN_DEADLINE_DAYS))
