"""The owner's personal data after collection (PIPL arts. 44–47): contact data kept only as
long as it is needed.

What is erased: each owner's name, phones and note, and the household's note, in the rows
and in their history rows (simple_history), so no earlier version keeps them; the names a
letter was addressed to and the name of who signed for it (in the letter rows and theirs);
the name and phones an owner gave in a correction request. What is kept: the unit code, the
area, the ledger (months, amounts, payments), the contact attempts (the record of how the
office collected) and each letter's reference, dates, months, amounts and delivery: the
ledger and the record that written demands were made. A letter of a household that may be
erased proves nothing any more (nothing is owed, no legal action is open), so the names on it
are no longer needed (PIPL art. 47); its salutation reads 业主 when shown again.
When: a household whose months are all paid, whose every case's campaign has closed and
that has no legal action open, once the office's retention period (Office.retention_years,
default 3) has passed since the latest of: its last payment, its last contact attempt, its
campaign's close. Each erasure leaves an append-only PersonalDataErasure row.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.messages import Message
from arrears.models import (
    Campaign,
    Case,
    DebtPeriod,
    DifficultIssue,
    Notification,
    Office,
    Payment,
    PromiseToPay,
)
from arrears.notifications import notify, office_managers
from escalation.models import LegalAction, Letter, PaymentPlan, StatementEvent
from households.models import (
    AttemptEvidence,
    ContactAttempt,
    Dispute,
    Household,
    Owner,
    PersonalDataErasure,
    PersonalDataRequest,
)

CORRECTABLE = ("name", "phone", "phone_alt")
SENT_HOW_MAX = PersonalDataRequest._meta.get_field("sent_how").max_length

OWNER_FIELDS = ("name", "phone", "phone_alt", "note")
HOUSEHOLD_FIELDS = ("note",)
LETTER_FIELDS = ("owners", "proof_detail")
ERASED_FIELDS = (
    [f"owner.{f}" for f in OWNER_FIELDS]
    + [f"household.{f}" for f in HOUSEHOLD_FIELDS]
    + [f"letter.{f}" for f in LETTER_FIELDS]
    + ["data_request.corrections"]
)
# A legal action in these stages is over: nothing more is filed or enforced.
LEGAL_OVER = (LegalAction.Stage.PAID, LegalAction.Stage.CLOSED)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, month=3, day=1)


def campaign_closed_at(campaign_ids) -> dict[int, datetime.datetime]:
    """When each campaign last became closed (from its history)."""
    closed: dict[int, datetime.datetime] = {}
    rows = (
        Campaign.history.filter(id__in=list(campaign_ids))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "status", "history_date")
    )
    for campaign_id, status, when in rows:
        if status != Campaign.Status.CLOSED:
            closed.pop(campaign_id, None)
        else:
            closed.setdefault(campaign_id, when)
    return closed


def still_needed(household: Household) -> str:
    """Why this household's contact data is still needed, or "" when it is not."""
    if DebtPeriod.objects.filter(household=household, amount_paid__lt=F("amount_due")).exists():
        return _("The household still owes fees: its contact data is needed to collect them.")
    if LegalAction.objects.filter(case__household=household).exclude(stage__in=LEGAL_OVER).exists():
        return _("A legal action is open for this household: its records are needed for it.")
    if (
        Case.objects.filter(household=household)
        .exclude(campaign__status=Campaign.Status.CLOSED)
        .exists()
    ):
        return _("A campaign with this household is still running or planned.")
    return ""


def holds_contact_data():
    return (
        Q(owners__name__gt="")
        | Q(owners__phone__gt="")
        | Q(owners__phone_alt__gt="")
        | Q(owners__note__gt="")
        | Q(note__gt="")
    )


@dataclass
class Due:
    household: Household
    since: datetime.datetime
    erase_on: datetime.date


def due_for_erasure(office: Office, now=None) -> list[Due]:
    """The office's households whose retention period is over, with when it began."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    households = (
        Household.objects.filter(office=office, cases__isnull=False)
        .filter(holds_contact_data())
        .exclude(debt_periods__amount_paid__lt=F("debt_periods__amount_due"))
        .exclude(cases__campaign__status__in=[Campaign.Status.RUNNING, Campaign.Status.PLANNED])
        .exclude(pk__in=LegalAction.objects.exclude(stage__in=LEGAL_OVER).values("case__household"))
        .distinct()
    )
    households = list(households)
    if not households:
        return []
    ids = [h.pk for h in households]
    paid = dict(
        Payment.objects.filter(household__in=ids)
        .values_list("household")
        .annotate(m=Max("paid_at"))
    )
    contacted = dict(
        ContactAttempt.objects.filter(household__in=ids)
        .values_list("household")
        .annotate(m=Max("occurred_at"))
    )
    campaigns: dict[int, set[int]] = {}
    for household_id, campaign_id in Case.objects.filter(household__in=ids).values_list(
        "household", "campaign"
    ):
        campaigns.setdefault(household_id, set()).add(campaign_id)
    closed = campaign_closed_at({c for cs in campaigns.values() for c in cs})
    due = []
    for household in households:
        moments = [paid.get(household.pk), contacted.get(household.pk)]
        moments += [closed.get(c) for c in campaigns.get(household.pk, ())]
        moments = [m for m in moments if m is not None]
        if not moments:
            continue
        since = max(moments)
        erase_on = add_years(timezone.localdate(since), office.retention_years)
        if today >= erase_on:
            due.append(Due(household, since, erase_on))
    return due


@transaction.atomic
def erase_contact_data(*, household: Household, reason: str, by=None, now=None, request=None):
    """Blank the owners' names, phones and notes and the household's note, in the rows and
    their history rows; record it. Returns the record, or None when nothing was held."""
    owners = Owner.objects.filter(household=household)
    if not Household.objects.filter(holds_contact_data(), pk=household.pk).exists():
        return None
    owner_ids = list(owners.values_list("pk", flat=True))
    blank_owner = dict.fromkeys(OWNER_FIELDS, "")
    owners.update(**blank_owner)
    Household.objects.filter(pk=household.pk).update(note="")
    history_rows = Owner.history.filter(id__in=owner_ids).update(**blank_owner)
    history_rows += Household.history.filter(id=household.pk).update(note="")
    letters = Letter.objects.filter(case__household=household)
    letter_ids = list(letters.values_list("pk", flat=True))
    letters.update(owners=[], proof_detail="")
    history_rows += Letter.history.filter(id__in=letter_ids).update(owners=[], proof_detail="")
    requests = PersonalDataRequest.objects.filter(household=household)
    request_ids = list(requests.values_list("pk", flat=True))
    requests.update(corrections={})
    history_rows += PersonalDataRequest.history.filter(id__in=request_ids).update(corrections={})
    return PersonalDataErasure.objects.create(
        household=household,
        reason=reason,
        fields=ERASED_FIELDS,
        owners=len(owner_ids),
        history_rows=history_rows,
        erased_at=now or timezone.now(),
        by=by,
        request=request,
    )


def erase_expired(now=None) -> int:
    """The scheduled job: erase every office's households past retention. Safe to run twice
    (a household already erased holds nothing more and is not selected again)."""
    count = 0
    for office in Office.objects.all():
        for due in due_for_erasure(office, now):
            if erase_contact_data(
                household=due.household, reason=PersonalDataErasure.Reason.RETENTION, now=now
            ):
                count += 1
    return count


# The owner's requests (arts. 44–47).


@transaction.atomic
def request_record(
    *,
    household: Household,
    kind: str,
    received_via: str,
    received_on: datetime.date,
    by,
    owner: Owner | None = None,
    words: str = "",
    corrections: dict | None = None,
) -> PersonalDataRequest:
    """Record a request; the answer is due 15 days after receipt; the office manager hears."""
    corrections = {k: v.strip() for k, v in (corrections or {}).items() if k in CORRECTABLE}
    corrections = {k: v for k, v in corrections.items() if v}
    if kind == PersonalDataRequest.Kind.CORRECT:
        if owner is None:
            raise ValidationError(_("Choose the owner whose contact data is to be corrected."))
        if not corrections:
            raise ValidationError(
                _("Enter the name or phone number as the owner gives it, to correct it.")
            )
    if owner is not None and owner.household_id != household.pk:
        raise ValidationError(_("Choose an owner of this household."))
    if received_on > timezone.localdate():
        raise ValidationError(
            _("Enter the day the request was received: it cannot be later than today.")
        )
    request = PersonalDataRequest(
        household=household,
        owner=owner,
        kind=kind,
        received_via=received_via,
        received_on=received_on,
        due_on=received_on + datetime.timedelta(days=PersonalDataRequest.DAYS_TO_ANSWER),
        words=words,
        corrections=corrections,
        recorded_by=by,
    )
    request._history_user = by
    request.save()
    notify(
        recipients=office_managers(household.office),
        kind=Notification.Kind.APPROVAL,
        title=Message(
            gettext_noop("A personal-information request to answer by %(due)s (%(unit)s)"),
            due=request.due_on.isoformat(),
            unit=household.unit_code,
        ),
        body=words,
        url=reverse("data-request-detail", args=[request.pk]),
    )
    return request


def _how(how: str, missing: str) -> str:
    """How a written answer was sent: said, and short enough to keep."""
    how = how.strip()
    if not how:
        raise ValidationError(missing)
    if len(how) > SENT_HOW_MAX:
        raise ValidationError(
            _("Say how it was sent in at most %(max)d characters.") % {"max": SENT_HOW_MAX}
        )
    return how


def _close(request, *, by, status, answer=""):
    request.status = status
    request.answer = answer
    request.closed_by = by
    request.closed_at = timezone.now()
    request._history_user = by
    request.save()


def _open(request) -> PersonalDataRequest:
    request = PersonalDataRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != PersonalDataRequest.Status.OPEN:
        raise ValidationError(_("This request is already answered; reload the page to see how."))
    return request


@transaction.atomic
def request_correct(*, request: PersonalDataRequest, by) -> PersonalDataRequest:
    """Apply the owner's corrected contact data (the owner's history keeps the change) and
    close the request."""
    request = _open(request)
    if request.kind != PersonalDataRequest.Kind.CORRECT or request.owner is None:
        raise ValidationError(_("Only a correction request changes contact data."))
    owner = Owner.objects.select_for_update().get(pk=request.owner_id)
    if owner.household_id != request.household_id:  # never another household's owner
        raise ValidationError(_("Choose an owner of this household."))
    for field, value in request.corrections.items():
        if field in CORRECTABLE:
            setattr(owner, field, value)
    owner._history_user = by
    owner._change_reason = f"data request {request.pk}"
    owner.save()
    request.correction = Owner.history.filter(id=owner.pk).order_by("-history_id").first()
    _close(request, by=by, status=PersonalDataRequest.Status.DONE)
    return request


@dataclass
class Change:
    field: str
    before: str
    after: str


def correction_changes(request: PersonalDataRequest) -> list[Change]:
    """What the correction changed: its history row against the one before it (the old
    value stays there)."""
    row = request.correction
    if row is None:
        return []
    before = (
        Owner.history.filter(id=row.id, history_id__lt=row.history_id)
        .order_by("-history_id")
        .first()
    )
    changes = []
    for field in CORRECTABLE:
        old = getattr(before, field, "") if before else ""
        new = getattr(row, field)
        if old != new:
            changes.append(Change(field, old, new))
    return changes


@transaction.atomic
def request_delete(*, request: PersonalDataRequest, by) -> PersonalDataRequest:
    """Erase what is not needed now; refuse, with the reason, while it is still needed."""
    request = _open(request)
    if request.kind != PersonalDataRequest.Kind.DELETE:
        raise ValidationError(_("Only a deletion request erases contact data."))
    reason = still_needed(request.household)
    if reason:
        _close(request, by=by, status=PersonalDataRequest.Status.REFUSED, answer=reason)
        return request
    erase_contact_data(
        household=request.household,
        reason=PersonalDataErasure.Reason.REQUEST,
        by=by,
        request=request,
    )
    _close(request, by=by, status=PersonalDataRequest.Status.DONE)
    return request


def requests_of(offices):
    """Open requests first, the most overdue first; then answered ones, newest first."""
    return (
        PersonalDataRequest.objects.filter(household__office__in=offices)
        .select_related("household", "owner", "closed_by__staff_profile", "sent_by__staff_profile")
        .order_by(
            F("closed_at").asc(nulls_first=True),
            "due_on",
            "-pk",
        )
    )


@dataclass
class HeldData:
    """Everything held about a household's owners, for the answer to an access request."""

    household: Household
    owners: list
    owner_history: list
    attempts: list
    evidence: list
    promises: list
    letters: list
    disputes: list
    issues: list
    plans: list
    statement_views: list
    payments: list
    periods: list
    requests: list
    erasures: list
    generated_at: datetime.datetime


def held_data(household: Household) -> HeldData:
    """Everything held about the household's owners (no staff names: the owner's data)."""
    return HeldData(
        household=household,
        owners=list(Owner.objects.filter(household=household)),
        owner_history=list(
            Owner.history.filter(household_id=household.pk).order_by("history_date", "history_id")
        ),
        attempts=list(
            ContactAttempt.objects.filter(household=household).order_by("occurred_at", "pk")
        ),
        evidence=list(
            AttemptEvidence.objects.filter(attempt__household=household)
            .select_related("attempt")
            .order_by("uploaded_at", "pk")
        ),
        promises=list(
            PromiseToPay.objects.filter(case__household=household).order_by("due_date", "pk")
        ),
        letters=list(Letter.objects.filter(case__household=household).order_by("dated", "pk")),
        disputes=list(
            Dispute.objects.filter(household=household)
            .prefetch_related("months", "events")
            .order_by("recorded_at", "pk")
        ),
        issues=list(
            DifficultIssue.objects.filter(case__household=household).order_by("raised_at", "pk")
        ),
        plans=list(
            PaymentPlan.objects.filter(case__household=household).order_by("agreed_on", "pk")
        ),
        statement_views=list(
            StatementEvent.objects.filter(link__case__household=household).order_by("at", "pk")
        ),
        payments=list(Payment.objects.filter(household=household).order_by("paid_at", "pk")),
        periods=list(DebtPeriod.objects.filter(household=household).order_by("month")),
        requests=list(
            PersonalDataRequest.objects.filter(household=household).order_by("received_on", "pk")
        ),
        erasures=list(PersonalDataErasure.objects.filter(household=household)),
        generated_at=timezone.now(),
    )


@transaction.atomic
def request_access_sent(*, request: PersonalDataRequest, by, how: str) -> PersonalDataRequest:
    """The office manager reviewed the document of what is held and sent it: how (registered
    mail and its number, handed over at the office …) is the answer on record."""
    request = _open(request)
    if request.kind != PersonalDataRequest.Kind.ACCESS:
        raise ValidationError(
            _("Only a request to see what is held is answered with the document.")
        )
    how = _how(
        how,
        _(
            "Say how the document was sent, e.g. registered mail and its number, or handed over at the office."
        ),
    )
    request.sent_how, request.sent_by, request.sent_at = how, by, timezone.now()
    _close(request, by=by, status=PersonalDataRequest.Status.DONE, answer=how)
    return request


@transaction.atomic
def request_answer_sent(*, request: PersonalDataRequest, by, how: str) -> PersonalDataRequest:
    """The written answer to a correction or a deletion (done, or refused with the reason)
    was reviewed and sent by the office manager: how, by whom and when are kept."""
    request = PersonalDataRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == PersonalDataRequest.Status.OPEN:
        raise ValidationError(_("Answer the request first; then send the written answer."))
    if request.sent_at is not None:
        raise ValidationError(_("The written answer was already sent; reload the page."))
    how = _how(
        how,
        _(
            "Say how the answer was sent, e.g. registered mail and its number, or handed over at the office."
        ),
    )
    request.sent_how, request.sent_by, request.sent_at = how, by, timezone.now()
    request._history_user = by
    request.save()
    return request
