"""What the owner does on the statement page besides reading it (issue 17.2, 17.4, 17.5):
dispute months, an amount or the service; ask about their personal information. (Proposing
instalments is escalation.plan_proposals; asking for written contact only is
statement_links.statement_ask_written_only.)

Each action goes through the same function staff use (households.disputes.dispute_record,
escalation.personal_data.request_record) with the statement as its source and no staff
member; each is logged as a StatementEvent on the case timeline. The same submission twice
within a minute (a double tap, a reload) records it once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.models import Case
from escalation.models import StatementEvent, StatementLink
from escalation.personal_data import request_record
from households.disputes import dispute_record
from households.models import (
    Dispute,
    DisputeKind,
    DisputeSource,
    Owner,
    PersonalDataRequest,
)

# The same form sent again within this many seconds (a double tap, a reload) is the same
# submission: recorded once, with the case row locked while it is looked for.
SAME_SUBMISSION_SECONDS = 60


def lock_case(case_id: int) -> None:
    """Hold the case's row until the transaction ends: two taps at once look in turn."""
    Case.objects.select_for_update().filter(pk=case_id).first()


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def unpaid_periods(case: Case):
    """The unpaid months the statement shows, which the owner may dispute, oldest first."""
    return case.periods().filter(amount_paid__lt=F("amount_due")).order_by("month")


def receipt_words(words: str, number: str, day: datetime.date | None) -> str:
    """The owner's words with the receipt they name, for an "I paid this" dispute."""
    words = (words or "").strip()
    number = (number or "").strip()
    if not number and day is None:
        return words
    parts = []
    if number:
        parts.append(_("receipt no. %(number)s") % {"number": number})
    if day is not None:
        parts.append(_("paid on %(day)s") % {"day": day.isoformat()})
    return f"{words}\n({'; '.join(parts)})" if words else f"({'; '.join(parts)})"


def statement_dispute(
    *,
    link: StatementLink,
    kind: str,
    months: Iterable = (),
    amount: Decimal | None = None,
    receipt_number: str = "",
    receipt_date: datetime.date | None = None,
    cause: str | None = None,
    words: str = "",
    file=None,
    now: datetime.datetime | None = None,
) -> tuple[Dispute, bool]:
    """The owner disputes something on the statement: recorded as a dispute from the
    statement (collection on it pauses from now), logged, the office manager told.

    Months must be unpaid months of this household; anything else is refused as a whole.
    Returns (dispute, created): the same dispute sent twice within a minute is one."""
    now = now or timezone.now()
    case = link.case
    ids = set()
    for m in months:
        try:
            ids.add(int(m))
        except (TypeError, ValueError):
            raise _error(
                "months", _("Choose months from this statement only."), "other_household"
            ) from None
    if ids - set(unpaid_periods(case).filter(pk__in=ids).values_list("pk", flat=True)):
        raise _error("months", _("Choose months from this statement only."), "other_household")
    if kind == DisputeKind.AMOUNT:
        words = receipt_words(words, receipt_number, receipt_date)
    with transaction.atomic():
        lock_case(case.pk)
        since = now - datetime.timedelta(seconds=SAME_SUBMISSION_SECONDS)
        for earlier in Dispute.objects.filter(
            case=case,
            source=DisputeSource.STATEMENT,
            recorded_at__gte=since,
            kind=kind,
            words=(words or "").strip(),
        ).prefetch_related("months"):
            if {p.pk for p in earlier.months.all()} == ids:
                return earlier, False
        dispute = dispute_record(
            case=case,
            kind=kind,
            months=sorted(ids),
            amount=amount,
            cause=cause or None,
            words=words,
            source=DisputeSource.STATEMENT,
            by=None,
            file=file,
            now=now,
        )
        StatementEvent.objects.create(link=link, kind=StatementEvent.Kind.DISPUTED, at=now)
    return dispute, True


def statement_data_request(
    *,
    link: StatementLink,
    kind: str,
    words: str = "",
    name: str = "",
    phone: str = "",
    now: datetime.datetime | None = None,
) -> tuple[PersonalDataRequest, bool]:
    """The owner asks to see, correct or delete their personal information: a request
    received through the statement (escalation.personal_data.request_record), answered by the
    office manager within 15 days. A correction is for the household's first-listed owner
    (the page names no one); the office manager checks it with the owner before applying it.
    Returns (request, created): the same kind asked twice within a minute is one."""
    now = now or timezone.now()
    household = link.case.household
    if kind not in PersonalDataRequest.Kind.values:
        raise _error(
            "kind",
            _("Choose what you would like: to see, correct or delete your information."),
            "kind",
        )
    owner = None
    corrections = {}
    if kind == PersonalDataRequest.Kind.CORRECT:
        corrections = {"name": name, "phone": phone}
        if not any(v.strip() for v in corrections.values()):
            raise _error(
                "phone",
                _("Enter the name or phone number as it should be, so that we can correct it."),
                "nothing",
            )
        owner = Owner.objects.filter(household=household).order_by("relation", "pk").first()
        if owner is None:
            raise _error(
                "kind",
                _("No owner is on record for this unit: call or visit the office instead."),
                "no_owner",
            )
    with transaction.atomic():
        lock_case(link.case_id)
        since = now - datetime.timedelta(seconds=SAME_SUBMISSION_SECONDS)
        earlier = PersonalDataRequest.objects.filter(
            household=household,
            kind=kind,
            received_via=PersonalDataRequest.Received.STATEMENT,
            recorded_at__gte=since,
        ).first()
        if earlier is not None:
            return earlier, False
        request = request_record(
            household=household,
            kind=kind,
            received_via=PersonalDataRequest.Received.STATEMENT,
            received_on=timezone.localdate(now),
            by=None,
            owner=owner,
            words=(words or "").strip(),
            corrections=corrections,
        )
        StatementEvent.objects.create(link=link, kind=StatementEvent.Kind.DATA_REQUEST, at=now)
    return request, True
