"""Promises to pay: kept or broken is worked out from payments, never set by hand.

A promise is kept when the household's payments (not reversed) from the moment it was
recorded up to the end of the promised day reach the promised amount; it is broken when that day has
passed without it; until then it is pending.
"""

import datetime
from decimal import Decimal

from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import (
    CharField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from arrears.models import Payment, PromiseToPay
from arrears.money import MONEY, ZERO

KEPT, BROKEN, PENDING = "kept", "broken", "pending"
LABELS = {KEPT: _("kept"), BROKEN: _("broken"), PENDING: _("pending")}


def promise_state(
    *, amount: Decimal, due_date: datetime.date, paid_since: Decimal, today: datetime.date
) -> str:
    if paid_since >= amount:
        return KEPT
    return BROKEN if today > due_date else PENDING


def paid_between(household_ref: str, start_ref: str, due_ref: str) -> Subquery:
    """Payments from the promise until the end of its day that were never reversed: a
    reversed payment did not keep a promise, whenever the reversal was entered."""
    payments = (
        Payment.objects.filter(
            household=OuterRef(household_ref),
            kind=Payment.Kind.PAYMENT,
            reversed_by__isnull=True,
            paid_at__gte=OuterRef(start_ref),
            paid_at__date__lte=OuterRef(due_ref),
        )
        .order_by()
        .values("household")
    )
    return Subquery(payments.annotate(v=Sum("amount")).values("v")[:1], output_field=MONEY)


def with_promise_state(cases: QuerySet, *, today: datetime.date) -> QuerySet:
    """Annotate cases with their latest promise: promise_amount, promise_due, promise_state."""
    latest = PromiseToPay.objects.filter(case=OuterRef("pk")).order_by("-recorded_at", "-pk")
    return cases.annotate(
        promise_amount=Subquery(latest.values("amount")[:1], output_field=MONEY),
        promise_due=Subquery(latest.values("due_date")[:1]),
        promise_recorded_at=Subquery(latest.values("recorded_at")[:1]),
    ).annotate(
        promise_paid=Coalesce(
            paid_between("household", "promise_recorded_at", "promise_due"),
            Value(ZERO, output_field=MONEY),
        ),
        promise_state=Switch(
            When(promise_due__isnull=True, then=Value("")),
            When(promise_paid__gte=F("promise_amount"), then=Value(KEPT)),
            When(promise_due__lt=today, then=Value(BROKEN)),
            default=Value(PENDING),
            output_field=CharField(),
        ),
    )


def promises_with_state(promises: QuerySet, *, today: datetime.date) -> QuerySet:
    """Each promise with paid_since and state, for timelines and lists."""
    return promises.annotate(
        paid_since=Coalesce(
            paid_between("case__household", "recorded_at", "due_date"),
            Value(ZERO, output_field=MONEY),
        )
    ).annotate(
        state=Switch(
            When(paid_since__gte=F("amount"), then=Value(KEPT)),
            When(due_date__lt=today, then=Value(BROKEN)),
            default=Value(PENDING),
            output_field=CharField(),
        )
    )
