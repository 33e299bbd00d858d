"""Logging contact attempts, and whether a household may be contacted now.

The lawful-contact rule in code: an attempt that uses a method of DESIGN.md §5.2 is refused
and nothing is saved; an attempt that breaks the office's policy (§5.3) is saved as it
happened, marked with the rules it broke, excluded from scoring and shown to the manager.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop, ngettext, pgettext_lazy

from arrears import case_figures
from arrears.access import may_withdraw_written_only
from arrears.credited import case_team_now
from arrears.messages import Flags, Lines, Message
from arrears.models import Case, Notification, PromiseToPay
from arrears.notifications import notify, office_managers
from arrears.people import person_name
from arrears.text_flags import flags_notify
from arrears.unlawful import Forbidden, flagged_terms, forbidden_in
from households.contact_policy import (
    DISPUTED,
    EXEMPTED_RULE,
    HOME_VISIT,
    OFFICE_MEETING,
    PAPER_CHANNELS,
    PHONE_CALL,
    SEARCH_HORIZON,
    SMS,
    WECHAT,
    WRITTEN_ONLY,
    Attempt,
    Availability,
    Rules,
    check_attempt,
    contact_availability,
)
from households.disputes import household_pause, household_pauses
from households.evidence import validate_evidence
from households.models import (
    AttemptEvidence,
    Channel,
    ContactAttempt,
    ContactPolicy,
    ExemptionReview,
    Household,
    Outcome,
    WrittenOnlyWithdrawal,
)

CLOCK_SKEW = datetime.timedelta(minutes=5)
# Enough history for every rolling window the policy looks at (7 days, quiet period).
HISTORY_DAYS = 31


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


def household_rules(household: Household) -> Rules:
    """The office's contact rules for `household`, for forms that state them in advance."""
    return _rules_for(household)


def _written_only_since(
    household: Household, at: datetime.datetime | None = None
) -> datetime.date | None:
    """Since when the owner wants written contact only; None if they do not.

    With `at` (an attempt logged afterwards), a request the owner has since withdrawn in
    writing still counts for a moment inside it: backdating does not escape the request.
    """
    if at is not None:
        day = timezone.localdate(at)
        withdrawn = (
            WrittenOnlyWithdrawal.objects.filter(
                household_id=household.pk, request_since__lte=day, withdrawn_on__gt=day
            )
            .order_by("request_since")
            .values_list("request_since", flat=True)
            .first()
        )
        if withdrawn is not None:
            return withdrawn
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
        key=a.pk,
        owner_walked_in=a.owner_walked_in,
        delivered_in_person=a.delivered_in_person,
    )


def household_history(
    household_ids: Iterable[int], around: datetime.datetime
) -> dict[int, list[Attempt]]:
    """Each household's attempts in the weeks before `around` (one query for all)."""
    since = around - datetime.timedelta(days=HISTORY_DAYS)
    history: dict[int, list[Attempt]] = {}
    rows = ContactAttempt.objects.filter(
        household_id__in=list(household_ids), occurred_at__gte=since, corrections__isnull=True
    ).order_by("occurred_at", "pk")
    for a in rows:
        history.setdefault(a.household_id, []).append(as_policy_attempt(a))
    return history


# The three ways of reaching the owner that the policy limits, each answered on its own.
# A message is SMS and WeChat together (they share one count); a visit is probed as a home
# visit with the recommended number of staff.
CALL, MESSAGE, VISIT = "call", "message", "visit"
_PROBE_CHANNEL = {CALL: PHONE_CALL, MESSAGE: SMS, VISIT: HOME_VISIT}
ANSWER_FOR_CHANNEL = {PHONE_CALL: CALL, SMS: MESSAGE, WECHAT: MESSAGE, HOME_VISIT: VISIT}
_LABELS = {
    CALL: pgettext_lazy("contact channel", "Call"),
    MESSAGE: pgettext_lazy("contact channel", "Message"),
    VISIT: pgettext_lazy("contact channel", "Visit"),
}
ALLOWED, LATER, WRITTEN_ONLY_STATE, NOT_SOON = "allowed", "later", "written_only", "not_soon"
DISPUTED_STATE = "disputed"


def _local(moment: datetime.datetime, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt)


@dataclass(frozen=True)
class ChannelAnswer:
    """One channel's answer, with the words the banner, the list and the log form show."""

    key: str
    availability: Availability
    now: datetime.datetime

    @property
    def label(self) -> str:
        return str(_LABELS[self.key])

    @property
    def channels(self) -> list[str]:
        """The ContactAttempt channels this answer is for (the log form highlights it)."""
        return [c for c, key in ANSWER_FOR_CHANNEL.items() if key == self.key]

    @property
    def allowed(self) -> bool:
        return self.availability.allowed

    @property
    def allowed_from(self) -> datetime.datetime | None:
        return self.availability.allowed_from

    @property
    def reasons(self) -> tuple:
        return self.availability.reasons

    @property
    def state(self) -> str:
        if self.allowed:
            return ALLOWED
        if any(r.code == WRITTEN_ONLY for r in self.reasons):
            return WRITTEN_ONLY_STATE
        if any(r.code == DISPUTED for r in self.reasons):
            return DISPUTED_STATE
        return LATER if self.allowed_from else NOT_SOON

    @property
    def because(self) -> str:
        return " ".join(str(r.message) for r in self.reasons)

    @property
    def text(self) -> str:
        """The whole answer: "allowed now", or from when and why."""
        state = self.state
        if state == ALLOWED:
            return _("allowed now")
        if state == WRITTEN_ONLY_STATE:
            return _("not by this channel: written contact only")
        if state == DISPUTED_STATE:
            return _("not until the written answer to the dispute is delivered: %(reasons)s") % {
                "reasons": self.because
            }
        if state == LATER:
            return _("from %(when)s, because: %(reasons)s") % {
                "when": _local(self.allowed_from, "%Y-%m-%d %H:%M"),
                "reasons": self.because,
            }
        days = SEARCH_HORIZON.days
        return ngettext(
            "not in the next %(days)d day, because: %(reasons)s",
            "not in the next %(days)d days, because: %(reasons)s",
            days,
        ) % {"days": days, "reasons": self.because}

    @property
    def short(self) -> str:
        """The answer in a few characters, for a list on a phone: ✓, a time today, or a date."""
        state = self.state
        if state == ALLOWED:
            return "✓"
        if state != LATER:
            return "✗"
        today = timezone.localdate(self.now)
        if timezone.localdate(self.allowed_from) == today:
            when = _local(self.allowed_from, "%H:%M")
        else:
            when = _local(self.allowed_from, "%m-%d %H:%M")
        return _("from %(when)s") % {"when": when}


@dataclass(frozen=True)
class ChannelAnswers:
    """May the household be called, messaged, visited now; each answered on its own."""

    call: Availability
    message: Availability
    visit: Availability
    now: datetime.datetime

    def items(self) -> list[ChannelAnswer]:
        return [ChannelAnswer(key, getattr(self, key), self.now) for key in _PROBE_CHANNEL]

    @property
    def all_allowed(self) -> bool:
        return self.call.allowed and self.message.allowed and self.visit.allowed

    @property
    def written_only(self) -> bool:
        """The owner asked for written contact only: none of the three, one reason."""
        return all(a.state == WRITTEN_ONLY_STATE for a in self.items())

    def for_channel(self, channel: str | None) -> ChannelAnswer | None:
        """The answer that covers a ContactAttempt channel; None for written and legal ones."""
        key = ANSWER_FOR_CHANNEL.get(channel or "")
        return ChannelAnswer(key, getattr(self, key), self.now) if key else None


def contact_answers(
    households: Iterable[Household], *, now: datetime.datetime
) -> dict[int, ChannelAnswers]:
    """Call, message and visit now, per household: three queries for any number of them
    (history, policies, disputes), six when some of them have disputes.

    The one place that wires households, their history and their office's policy into
    `contact_availability`: the case banner, the case list and the log form all use it.
    """
    households = list({h.pk: h for h in households}.values())
    history = household_history({h.pk for h in households}, now)
    rules = {
        p.office_id: Rules.from_policy(p)
        for p in ContactPolicy.objects.filter(office_id__in={h.office_id for h in households})
    }
    pauses = household_pauses({h.pk for h in households}, now)
    answers = {}
    for household in households:
        kwargs = {
            "history": history.get(household.pk, []),
            "rules": rules.get(household.office_id, Rules()),
            "written_only_since": _written_only_since(household),
            "disputed_since": pauses.get(household.pk),
        }
        by_key = {
            key: contact_availability(now, channel=channel, **kwargs)
            for key, channel in _PROBE_CHANNEL.items()
        }
        answers[household.pk] = ChannelAnswers(**by_key, now=now)
    return answers


@dataclass(frozen=True)
class PromiseInput:
    amount: Decimal
    due_date: datetime.date


def attempt_log(
    *,
    case: Case,
    by,
    occurred_at: datetime.datetime,
    channel: str,
    person_contacted: str,
    outcome: str,
    notes: str = "",
    next_step: str = "",
    next_step_date: datetime.date | None = None,
    at_owners_request: bool = False,
    owners_request_note: str = "",
    owner_walked_in: bool = False,
    delivered_in_person: bool = False,
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
            _(
                "Enter how many staff went on the visit, as many as really went: the record must be true."
            ),
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
    owners_request_note = owners_request_note.strip()
    if at_owners_request and not owners_request_note:
        raise _field_error(
            "owners_request_note",
            _(
                "Quote the owner's request in their words (who asked, when, for what time), "
                "or untick “At a time the owner asked for”."
            ),
            "owners_request_note",
        )
    if owner_walked_in and channel != OFFICE_MEETING:
        raise _field_error(
            "owner_walked_in",
            _(
                "Only a meeting at the management office can be one the owner came to on their "
                "own: choose that channel or untick the box."
            ),
            "owner_walked_in",
        )
    if delivered_in_person and channel not in PAPER_CHANNELS:
        raise _field_error(
            "delivered_in_person",
            _(
                "Only a payment notice, a written demand, a lawyer's letter or the committee's "
                "urging can be handed over in person: choose that channel."
            ),
            "delivered_in_person",
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
            owner_walked_in=owner_walked_in,
            delivered_in_person=delivered_in_person,
        )
        history = household_history([household.pk], occurred_at).get(household.pk, [])
        verdict = check_attempt(
            proposed,
            history=history,
            rules=_rules_for(household),
            written_only_since=_written_only_since(household, occurred_at),
            disputed_since=household_pause(household.pk, occurred_at),
        )
        flags = flagged_terms(notes, next_step)
        # Credited to the team holding the case as it is recorded, read now: not from a case
        # loaded before a manager moved it (arrears.credited).
        team_id = case_team_now(case.pk)
        attempt = ContactAttempt.objects.create(
            household=household,
            case=case,
            made_by=by,
            team_id=team_id,
            occurred_at=occurred_at,
            recorded_at=now if occurred_at <= now else occurred_at,
            channel=channel,
            person_contacted=person_contacted,
            outcome=outcome,
            notes=notes.strip(),
            next_step=next_step.strip(),
            next_step_date=next_step_date,
            at_owners_request=at_owners_request,
            owners_request_note=owners_request_note,
            owner_walked_in=owner_walked_in,
            delivered_in_person=delivered_in_person,
            staff_count=staff_count,
            message_has_opt_out=message_has_opt_out,
            third_party_told_of_debt=third_party_told_of_debt,
            callback_at=callback_at,
            breaches=verdict.breach_codes,
            warnings=verdict.warning_codes,
            exemptions=verdict.exemption_codes,
            flagged_terms=flags,
        )
        case_figures.contact_made(household.pk, occurred_at)
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
                recorded_by=by,
                team_id=team_id,
            )
            case_figures.refresh_cases(Case.objects.filter(pk=case.pk))
            if case.status == Case.Status.OPEN:
                case.status = Case.Status.PROMISED
                case._history_user = by
                case.save(update_fields=["status"])
        _tell_managers(case, attempt, verdict.breaches, flags, verdict.exemptions)
    return attempt


def _words(rule) -> Message | str:
    """A breach's or an exemption's message, to be put in the reader's language."""
    if rule.template is None:
        return rule.message
    return Message(rule.template, **(rule.params or {}))


def _tell_managers(case, attempt, breaches, flags, exemptions=()) -> None:
    if not breaches and not flags and not exemptions:
        return
    url = reverse("case-detail", args=[case.pk])
    unit = case.household.unit_code
    if breaches:
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.BREACH,
            title=Message(gettext_noop("Contact policy breach on %(unit)s"), unit=unit),
            body=Lines(_words(b) for b in breaches),
            url=url,
        )
    if flags:
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.FLAG,
            title=Message(gettext_noop("Note on %(unit)s flagged for review"), unit=unit),
            body=Message(gettext_noop("Mentions: %(terms)s"), terms=Flags(flags)),
            url=url,
        )
    if exemptions:
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.APPROVAL,
            title=Message(gettext_noop("Exemption to review on %(unit)s"), unit=unit),
            body=Lines(
                [_words(e) for e in exemptions]
                + ([attempt.owners_request_note] if attempt.owners_request_note else [])
            ),
            url=reverse("breach-list"),
        )


def exemption_decide(*, attempt: ContactAttempt, decision: str, note: str = "", by):
    """The office manager's review of an attempt's exemptions: a real exemption (accept), or
    a breach of the rules they set aside. Once per attempt; the attempt itself is unchanged."""
    note = note.strip()
    if decision not in ExemptionReview.Decision.values:
        raise _field_error(
            "decision", _("Choose: accept the exemption or mark it as a breach."), "decision"
        )
    if decision == ExemptionReview.Decision.BREACH and not note:
        raise _field_error(
            "note",
            _("Write why this was not a real exemption, so the collector can learn from it."),
            "note",
        )
    with transaction.atomic():
        attempt = ContactAttempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt.exemptions:
            raise ValidationError(_("This attempt claimed no exemption."), code="no_exemption")
        if ExemptionReview.objects.filter(attempt=attempt).exists():
            raise ValidationError(
                _("These exemptions were already reviewed: the review stands as recorded."),
                code="reviewed",
            )
        breaches = []
        if decision == ExemptionReview.Decision.BREACH:
            # The rules the exemptions set aside (an exemption and a breach of the same rule
            # never come together).
            breaches = list(dict.fromkeys(EXEMPTED_RULE[code] for code in attempt.exemptions))
        return ExemptionReview.objects.create(
            attempt=attempt, decision=decision, breaches=breaches, note=note, reviewed_by=by
        )


# The history row of a household whose request the owner withdrew in writing; any other
# change that lifted the request (before issue 11, a one-click "clear") shows as unproven.
WITHDRAWN_IN_WRITING = "written-only request withdrawn in writing by the owner"


WITHDRAW_REFUSAL = _lazy(
    "Only the office manager can lift an owner's request for written contact only, and only "
    "with the owner's signed, dated withdrawal in writing (Civil Code art. 1033: the owner's "
    "wish not to be disturbed stands until they withdraw it). Until then every call, message "
    "and visit is a breach: write instead, or ask your office manager."
)


def household_set_written_only(
    *, household: Household, since: datetime.date, reason: str, by
) -> Household:
    """The owner asked for written contact only: no calls, messages or visits from `since`."""
    if not reason.strip():
        raise _field_error("reason", _("Write the owner's reason, as they gave it."), "required")
    if since > timezone.localdate():
        raise _field_error("since", _("Enter the day the owner asked, today or earlier."), "future")
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if household.written_contact_only:
            # Moving the date later would let contact already made fall outside the request.
            raise _field_error(
                "since",
                _(
                    "The owner's request for written contact only is already recorded (since "
                    "%(since)s). It stays until the owner withdraws it in writing."
                )
                % {"since": f"{household.written_only_since:%Y-%m-%d}"},
                "already",
            )
        household.written_contact_only = True
        household.written_only_since = since
        household.written_only_reason = reason.strip()
        household._history_user = by
        household.save(
            update_fields=["written_contact_only", "written_only_since", "written_only_reason"]
        )
        _tell_of_flags(
            household, _lazy("Reason for written contact only"), household.written_only_reason
        )
    return household


def _tell_of_flags(household: Household, what, text: str) -> None:
    """Free text kept on the household (history holds it) that names an unlawful method."""
    case = Case.objects.filter(household=household).order_by("-pk").first()
    flags_notify(
        office=household.office,
        unit=household.unit_code,
        what=what,
        terms=flagged_terms(text),
        url=reverse("case-detail", args=[case.pk]) if case else "",
    )


def household_withdraw_written_only(
    *,
    household: Household,
    withdrawn_on: datetime.date,
    evidence: UploadedFile | None,
    note: str = "",
    by,
) -> WrittenOnlyWithdrawal:
    """The owner withdrew their written-only request in writing: record the dated letter
    (a scan or photo, checked like evidence), lift the request and tell the office managers.

    Only the office manager of the household's office or an administrator may do this.
    """
    if not may_withdraw_written_only(by, household):
        raise PermissionDenied(WITHDRAW_REFUSAL)
    if evidence is None:
        raise _field_error(
            "evidence",
            _("Attach a scan or photo of the owner's signed, dated withdrawal."),
            "required",
        )
    ((upload, content_type),) = validate_evidence([evidence])
    if withdrawn_on > timezone.localdate():
        raise _field_error(
            "withdrawn_on",
            _("Enter the date on the owner's letter, today or earlier."),
            "future",
        )
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if not household.written_contact_only:
            raise ValidationError(
                _("The owner has no written-only request to withdraw."), code="not_written_only"
            )
        if withdrawn_on < household.written_only_since:
            raise _field_error(
                "withdrawn_on",
                _(
                    "The owner asked for written contact only on %(since)s: a withdrawal "
                    "must be dated that day or later. Check the date on the letter."
                )
                % {"since": f"{household.written_only_since:%Y-%m-%d}"},
                "before_request",
            )
        withdrawal = WrittenOnlyWithdrawal.objects.create(
            household=household,
            withdrawn_on=withdrawn_on,
            request_since=household.written_only_since,
            request_reason=household.written_only_reason,
            file=upload,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            note=note.strip(),
            recorded_by=by,
        )
        household.written_contact_only = False
        household._history_user = by
        household._change_reason = WITHDRAWN_IN_WRITING
        household.save(update_fields=["written_contact_only"])
        _tell_managers_of_withdrawal(household, withdrawal)
        _tell_of_flags(household, _lazy("Note on a written-only withdrawal"), withdrawal.note)
    return withdrawal


def _tell_managers_of_withdrawal(household: Household, withdrawal: WrittenOnlyWithdrawal) -> None:
    case = Case.objects.filter(household=household).order_by("-pk").first()
    notify(
        recipients=office_managers(household.office),
        kind=Notification.Kind.FLAG,
        title=Message(
            gettext_noop("%(unit)s: the owner withdrew written contact only in writing"),
            unit=household.unit_code,
        ),
        body=Message(
            gettext_noop(
                "Withdrawal dated %(on)s, recorded by %(by)s with a scan (%(file)s). Calls, "
                "messages and visits are allowed again within the contact policy."
            ),
            on=f"{withdrawal.withdrawn_on:%Y-%m-%d}",
            by=person_name(withdrawal.recorded_by),
            file=withdrawal.original_name,
        ),
        url=reverse("case-detail", args=[case.pk]) if case else "",
    )
