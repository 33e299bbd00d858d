"""What a logged attempt claims without proving it: the rule the limitation clock reads.

Anyone can type on the contact form that a demand was delivered, a suit filed or a promise
made, dated as far back as they like; such an entry is kept and shown as *claimed, not proven*
and moves no limitation date (escalation.limitation_records applies this to whole households;
the contact form uses it to tell the collector at once).
"""

import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.backdating import is_backdated
from arrears.models import PromiseToPay
from households.models import AttemptEvidence, Channel, ContactAttempt, Outcome, PersonContacted

WRITTEN_DEMANDS = [Channel.PAYMENT_NOTICE, Channel.WRITTEN_DEMAND, Channel.LAWYER_LETTER]
FILINGS = [Channel.PAYMENT_ORDER, Channel.LAWSUIT, Channel.ARBITRATION]
OWNERS = [PersonContacted.OWNER, PersonContacted.CO_OWNER]
# An agreement recorded later than settings.BACKDATE_DAYS after the day it was made needs a
# file to count: the same limit as the backdating mark on attempts and payments.

WHY_NO_DELIVERY_RECORD = _(
    "Logged on the contact form: only a notice or demand issued here and recorded as delivered, "
    "with the signed receipt or the tracking record scanned, restarts the period."
)
WHY_NOT_LEGAL_STAGE = _(
    "Logged on the contact form: a payment order, suit or arbitration restarts the period only "
    "when its filing is recorded in the legal stage."
)
WHY_NOT_OWNER = _(
    "Given by someone who is not an owner: only the owner or a co-owner can acknowledge the debt."
)
WHY_NO_CONVERSATION = _("Recorded without the conversation in which it was made.")
WHY_PROMISE_LATE = _(
    "Recorded %(days)d days after the day it says it was made, with no file attached: it counts "
    "once the owner confirms it again (a new promise, a signed plan or a payment)."
)
WHY_PLAN_LATE = _(
    "Recorded %(days)d days after the day it says it was agreed, without the signed agreement: "
    "record the plan with a scan of the signed copy."
)


def written_rows(attempts):
    """Of `attempts`, written contact logged as delivered and filings logged as attempts, not
    withdrawn: (pk, household_id, channel, outcome, occurred_at, recorded_at, delivered_on,
    proven). A delivery is proven only by the letter's delivery record with its scan."""
    rows = (
        attempts.filter(corrections__isnull=True)
        .filter(Q(channel__in=WRITTEN_DEMANDS, outcome=Outcome.DELIVERED) | Q(channel__in=FILINGS))
        .annotate(scanned=Exists(AttemptEvidence.objects.filter(attempt=OuterRef("pk"))))
        .values_list(
            "pk",
            "household_id",
            "channel",
            "outcome",
            "occurred_at",
            "recorded_at",
            "letter_outcome__status",
            "letter_outcome__delivered_on",
            "scanned",
        )
    )
    delivered = _letter_delivered()
    for pk, household_id, channel, outcome, at, recorded, status, on, scanned in rows:
        proven = status == delivered and bool(on) and scanned
        yield pk, household_id, channel, outcome, at, recorded, on, proven


def promise_rows(promises):
    """Of `promises`: (household_id, attempt_id, made, typed, person, recorded, withdrawn,
    has_file) — the conversation that recorded each, whether a correcting entry withdrew it,
    and whether a file is attached to it."""
    attempt = OuterRef("attempt_id")
    return promises.annotate(
        withdrawn=Exists(ContactAttempt.objects.filter(corrects=attempt)),
        attempt_scanned=Exists(AttemptEvidence.objects.filter(attempt=attempt)),
    ).values_list(
        "case__household_id",
        "attempt_id",
        "attempt__occurred_at",
        "attempt__recorded_at",
        "attempt__person_contacted",
        "recorded_at",
        "withdrawn",
        "attempt_scanned",
    )


def written_why(channel: str, *, proven: bool) -> str | None:
    """Why written contact or a filing logged as an attempt proves nothing (None: it does).

    A delivery is proven only by the letter's delivery record with its scan; a filing never
    is here (the legal stage records it)."""
    if channel in FILINGS:
        return str(WHY_NOT_LEGAL_STAGE)
    return None if proven else str(WHY_NO_DELIVERY_RECORD)


def promise_why(
    person: str, *, made: datetime.datetime, typed: datetime.datetime, has_file: bool
) -> str | None:
    """Why a promise recorded with a conversation is not the owner's acknowledgement (None:
    it is)."""
    if person not in OWNERS:
        return str(WHY_NOT_OWNER)
    if is_backdated(made, typed) and not has_file:
        days = (timezone.localdate(typed) - timezone.localdate(made)).days
        return str(WHY_PROMISE_LATE) % {"days": days}
    return None


def _letter_delivered() -> str:
    # Letters are escalation's, a layer above: reached through the attempt's own relation.
    letter = ContactAttempt._meta.get_field("letter_outcome").related_model
    return letter.Status.DELIVERED


def attempt_claims(attempt: ContactAttempt) -> list[str]:
    """Why what this attempt records is claimed, not proven: nothing when it proves it."""
    whys = [
        written_why(channel, proven=proven)
        for _pk, _h, channel, _o, _at, _rec, _on, proven in written_rows(
            ContactAttempt.objects.filter(pk=attempt.pk)
        )
    ]
    for _h, _a, made, typed, person, _rec, withdrawn, has_file in promise_rows(
        PromiseToPay.objects.filter(attempt_id=attempt.pk)
    ):
        if not withdrawn:
            whys.append(promise_why(person, made=made, typed=typed, has_file=has_file))
    return [why for why in whys if why]
