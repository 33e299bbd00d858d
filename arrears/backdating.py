"""Backdated entries (补录): an attempt or payment dated well before it was entered.

People enter a day's work late, and a payment received by bank transfer may be typed in a
week later: that is allowed, and the entry keeps the date it names. But a date can also be
used to buy points — a payment dated into a month whose assessment is closed would turn that
month's −20 into +20. So an entry dated more than `settings.BACKDATE_DAYS` days (7 by
default) before it was entered is *backdated*:

- it is marked on the case timeline, in the monthly assessment and in the 18:00 report;
- for scoring, a clearance made by a backdated payment counts at the moment the payment was
  entered (its month, its week), unless the office manager of the payment's office approved
  the earlier month (`backdate_approve`, a `BackdateApproval` that is never edited).

The comparison is exact: dated at 10:00 and entered 7 × 24 hours later is not backdated, one
second more is.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from arrears.access import may_approve_backdate
from arrears.inputs import too_long
from arrears.models import BackdateApproval, Payment


def backdate_limit() -> datetime.timedelta:
    return datetime.timedelta(days=settings.BACKDATE_DAYS)


def is_backdated(dated: datetime.datetime, recorded: datetime.datetime) -> bool:
    """Whether an entry dated `dated` and entered at `recorded` is backdated."""
    return recorded - dated > backdate_limit()


def backdated_q(dated_field: str, recorded_field: str = "recorded_at") -> Q:
    """The same test in SQL, for a model with a date field and a recorded-at field."""
    return Q(**{f"{dated_field}__lt": F(recorded_field) - backdate_limit()})


def scoring_moment(
    *, dated: datetime.datetime, recorded: datetime.datetime, approved: bool
) -> datetime.datetime:
    """When an entry counts for scoring: its own date, or when it was entered if it is
    backdated and the earlier month was not approved."""
    return recorded if is_backdated(dated, recorded) and not approved else dated


def backdate_approve(*, payment: Payment, by, note: str) -> BackdateApproval:
    """Let a backdated payment count in the month it is dated. Once; never undone by an edit."""
    if not may_approve_backdate(by, payment):
        raise PermissionDenied
    errors = {}
    if payment.kind != Payment.Kind.PAYMENT or not is_backdated(
        payment.paid_at, payment.recorded_at
    ):
        errors["payment"] = ValidationError(
            _(
                "Only a payment dated more than %(days)d days before it was entered needs "
                "approval; this one already counts in the month it is dated."
            ),
            code="not_backdated",
            params={"days": settings.BACKDATE_DAYS},
        )
    note = note.strip()
    limit = BackdateApproval._meta.get_field("note").max_length
    if len(note) > limit:
        errors["note"] = ValidationError(too_long(note, limit=limit, what=_("The reason")))
    elif not note:
        errors["note"] = ValidationError(
            _(
                "Say why the payment belongs to the earlier month (e.g. the bank statement "
                "shows it arrived then)."
            ),
            code="required",
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return BackdateApproval.objects.create(payment=payment, approved_by=by, note=note)
    except IntegrityError:
        raise ValidationError(
            _("The earlier month was already approved for this payment."), code="already"
        ) from None
