"""A week's key numbers per office, for the page the weekly workbook is downloaded from and
the director's desk: one query whatever the number of offices."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet

from arrears.case_figures import subquery_sum
from arrears.models import Clearance, DifficultIssue, Payment
from arrears.money import ZERO
from arrears.selectors import subquery_count
from households.models import IS_BREACH, ContactAttempt

FIGURES = ("collected", "cleared", "contacts", "breaches", "open_issues")


@dataclass
class Totals:
    collected: Decimal = ZERO
    cleared: int = 0
    contacts: int = 0
    breaches: int = 0
    open_issues: int = 0


def week_figures(offices: QuerySet, *, start: datetime.datetime, end: datetime.datetime) -> list:
    """The offices, each with what happened in [start, end): `collected` (paid to arrears,
    net of reversals, by the time paid), `cleared` (households cleared and still cleared at
    the end), `contacts` (contact attempts that stand), `breaches` (of those, the ones that
    broke the contact policy) and `open_issues` (difficult issues open at the end)."""
    payments = (
        Payment.objects.filter(office=OuterRef("pk"), paid_at__gte=start, paid_at__lt=end)
        .order_by()
        .values("office")
    )
    cleared = (
        Clearance.objects.filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gte=end),
            case__campaign__office=OuterRef("pk"),
            cleared_at__gte=start,
            cleared_at__lt=end,
        )
        .order_by()
        .values("case__campaign__office")
    )
    attempts = (
        ContactAttempt.objects.effective()
        .filter(household__office=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end)
        .order_by()
        .values("household__office")
    )
    issues = (
        DifficultIssue.objects.filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=end),
            case__campaign__office=OuterRef("pk"),
            raised_at__lt=end,
        )
        .order_by()
        .values("case__campaign__office")
    )
    return list(
        offices.annotate(
            # What went to debt periods: an excess over the balance is credit, not collection.
            collected=subquery_sum(payments.filter(kind=Payment.Kind.PAYMENT), "allocated")
            - subquery_sum(payments.filter(kind=Payment.Kind.REVERSAL), "allocated"),
            cleared=subquery_count(cleared, "case"),
            contacts=subquery_count(attempts),
            breaches=subquery_count(attempts.filter(IS_BREACH)),
            open_issues=subquery_count(issues),
        ).order_by("name")
    )


def totals(rows) -> Totals:
    total = Totals()
    for row in rows:
        for name in FIGURES:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total
