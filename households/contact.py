"""Logging contact attempts, and whether a household may be contacted now.

The lawful-contact rule in code: an attempt that uses a method of DESIGN.md §5.2 is refused
and nothing is saved; an attempt that breaks the office's policy (§5.3) is saved as it
happened, marked with the rules it broke, excluded from scoring and shown to the manager.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import Case, Notification, PromiseToPay
from arrears.notifications import notify, office_managers

from .contact_policy import Attempt, Availability, Rules, check_attempt, contact_availability
from .models import AttemptEvidence, Channel, ContactAttempt, ContactPolicy, Household, Outcome
from .text_flags import describe
from .unlawful import Forbidden, flagged_terms, forbidden_in

CLOCK_SKEW = datetime.timedelta(minutes=5)
# Enough history for every rolling window the policy looks at (7 days, quiet period).
HISTORY_DAYS = 31
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 5
# Checked against the file's first bytes, not its name or the browser's word for it.
EVIDENCE_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


class UnlawfulMethodError(ValidationError):
    """A method that does not exist in this product was posted; nothing was saved."""

    def __init__(self, forbidden: Sequence[Forbidden]):
        self.forbidden = list(forbidden)
        super().__init__([ValidationError(str(f.reason), code=f.code) for f in self.forbidden])


def _rules_for(household: Household) -> Rules:
    policy = ContactPolicy.objects.filter(office_id=household.office_id).first()
    return Rules.from_policy(policy)


def _written_only_since(household: Household) -> datetime.date | None:
    return household.written_only_since if household.written_contact_only else None


def as_policy_attempt(a: ContactAttempt) -> Attempt:
    return Attempt(
        occurred_at=a.occurred_at,
        channel=a.channel,
        person_contacted=a.person_contacted,
        outcome=a.outcome,
        at_owners_request=a.at_owners_request,
        staff_count=a.staff_count,
        message_has_opt_out=a.message_has_opt_out is not False,
        third_party_told_of_debt=a.third_party_told_of_debt,
        callback_at=a.callback_at,
    )


def household_history(
    household_ids: Iterable[int], around: datetime.datetime
) -> dict[int, list[Attempt]]:
    """Each household's attempts in the weeks before `around` (one query for all)."""
    since = around - datetime.timedelta(days=HISTORY_DAYS)
    history: dict[int, list[Attempt]] = {}
    rows = ContactAttempt.objects.filter(
        household_id__in=list(household_ids), occurred_at__gte=since, corrections__isnull=True
    ).order_by("occurred_at")
    for a in rows:
        history.setdefault(a.household_id, []).append(as_policy_attempt(a))
    return history


def contact_status(household: Household, *, now: datetime.datetime | None = None) -> Availability:
    """Whether a call is allowed now, and if not, why and from when (the case page banner)."""
    now = now or timezone.now()
    history = household_history([household.pk], now).get(household.pk, [])
    return contact_availability(
        now,
        history=history,
        rules=_rules_for(household),
        written_only_since=_written_only_since(household),
    )


def sniff_content_type(upload: UploadedFile) -> str | None:
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in EVIDENCE_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"  # iPhone photos
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_evidence(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(files) > MAX_EVIDENCE_FILES:
        raise _field_error(
            "evidence",
            _("Attach at most %(n)d files to one attempt.") % {"n": MAX_EVIDENCE_FILES},
            "too_many_files",
        )
    checked = []
    for upload in files:
        if upload.size > MAX_EVIDENCE_BYTES:
            raise _field_error(
                "evidence",
                _(
                    "%(name)s is larger than 10 MB: take the photo at a lower resolution or "
                    "scan the page again."
                )
                % {"name": upload.name},
                "file_too_large",
            )
        content_type = sniff_content_type(upload)
        if content_type is None:
            raise _field_error(
                "evidence",
                _("%(name)s is not a photo or a PDF: attach a JPEG, PNG, HEIC or PDF file.")
                % {"name": upload.name},
                "file_type",
            )
        checked.append((upload, content_type))
    return checked


@dataclass(frozen=True)
class PromiseInput:
    amount: Decimal
    due_date: datetime.date


def attempt_log(
    *,
    case: Case,
    made_by,
    occurred_at: datetime.datetime,
    channel: str,
    person_contacted: str,
    outcome: str,
    notes: str = "",
    next_step: str = "",
    next_step_date: datetime.date | None = None,
    at_owners_request: bool = False,
    staff_count: int | None = None,
    message_has_opt_out: bool | None = None,
    third_party_told_of_debt: bool = False,
    callback_at: datetime.datetime | None = None,
    promise: PromiseInput | None = None,
    evidence: Sequence[UploadedFile] = (),
    posted: dict | None = None,
) -> ContactAttempt:
    """Record one contact attempt on a case's household.

    `posted` is the raw request data, checked for unlawful methods before anything else.
    """
    forbidden = forbidden_in(
        posted
        if posted is not None
        else {"channel": channel, "outcome": outcome, "person_contacted": person_contacted}
    )
    if forbidden:
        raise UnlawfulMethodError(forbidden)
    if channel not in Channel.values or outcome not in Outcome.values:
        raise ValidationError(_("Choose a channel and an outcome from the lists."), code="choice")
    now = timezone.now()
    if occurred_at > now + CLOCK_SKEW:
        raise _field_error(
            "occurred_at",
            _("An attempt cannot be in the future: enter when it happened."),
            "future",
        )
    if channel == Channel.HOME_VISIT and not staff_count:
        raise _field_error(
            "staff_count",
            _("Enter how many staff went on the visit (2 recommended, at most 3)."),
            "staff_count",
        )
    if outcome == Outcome.PROMISED and promise is None:
        raise _field_error(
            "promise_amount",
            _("Enter the amount and the date the owner promised to pay."),
            "promise",
        )
    if promise is not None and promise.due_date < timezone.localdate(occurred_at):
        raise _field_error(
            "promise_date",
            _("The promised date must be on or after the day of the contact."),
            "promise_date",
        )
    checked_files = validate_evidence(list(evidence))
    if channel in (Channel.SMS, Channel.WECHAT) and message_has_opt_out is None:
        message_has_opt_out = False

    household = case.household
    with transaction.atomic():
        # Two people logging on the same household at once see each other's attempts.
        household = Household.objects.select_for_update().get(pk=household.pk)
        proposed = Attempt(
            occurred_at=occurred_at,
            channel=channel,
            person_contacted=person_contacted,
            outcome=outcome,
            at_owners_request=at_owners_request,
            staff_count=staff_count,
            message_has_opt_out=message_has_opt_out is not False,
            third_party_told_of_debt=third_party_told_of_debt,
            callback_at=callback_at,
        )
        history = household_history([household.pk], occurred_at).get(household.pk, [])
        verdict = check_attempt(
            proposed,
            history=history,
            rules=_rules_for(household),
            written_only_since=_written_only_since(household),
        )
        flags = flagged_terms(notes, next_step)
        attempt = ContactAttempt.objects.create(
            household=household,
            case=case,
            made_by=made_by,
            occurred_at=occurred_at,
            recorded_at=now if occurred_at <= now else occurred_at,
            channel=channel,
            person_contacted=person_contacted,
            outcome=outcome,
            notes=notes.strip(),
            next_step=next_step.strip(),
            next_step_date=next_step_date,
            at_owners_request=at_owners_request,
            staff_count=staff_count,
            message_has_opt_out=message_has_opt_out,
            third_party_told_of_debt=third_party_told_of_debt,
            callback_at=callback_at,
            breaches=[b.code for b in verdict.breaches],
            flagged_terms=flags,
        )
        for upload, content_type in checked_files:
            AttemptEvidence.objects.create(
                attempt=attempt,
                file=upload,
                original_name=upload.name[:200],
                content_type=content_type,
                size=upload.size,
            )
        if promise is not None:
            PromiseToPay.objects.create(
                case=case,
                amount=promise.amount,
                due_date=promise.due_date,
                attempt=attempt,
                recorded_by=made_by,
            )
            if case.status == Case.Status.OPEN:
                case.status = Case.Status.PROMISED
                case._history_user = made_by
                case.save(update_fields=["status"])
        _tell_managers(case, attempt, verdict.breaches, flags)
    return attempt


def _tell_managers(case, attempt, breaches, flags) -> None:
    if not breaches and not flags:
        return
    url = reverse("case-detail", args=[case.pk])
    unit = case.household.unit_code
    if breaches:
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.BREACH,
            title=_("Contact policy breach on %(unit)s") % {"unit": unit},
            body="\n".join(str(b.message) for b in breaches),
            url=url,
        )
    if flags:
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.FLAG,
            title=_("Note on %(unit)s flagged for review") % {"unit": unit},
            body=_("Mentions: %(terms)s") % {"terms": describe(flags)},
            url=url,
        )


def household_set_written_only(
    *, household: Household, since: datetime.date, reason: str, by
) -> Household:
    """The owner asked for written contact only: no calls, messages or visits from `since`."""
    if not reason.strip():
        raise _field_error("reason", _("Write the owner's reason, as they gave it."), "required")
    household.written_contact_only = True
    household.written_only_since = since
    household.written_only_reason = reason.strip()
    household._history_user = by
    household.save(
        update_fields=["written_contact_only", "written_only_since", "written_only_reason"]
    )
    return household


def household_clear_written_only(*, household: Household, by) -> Household:
    household.written_contact_only = False
    household._history_user = by
    household.save(update_fields=["written_contact_only"])
    return household
