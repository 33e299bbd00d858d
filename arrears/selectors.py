"""Reads for lists and desks: each returns a queryset whose rows carry their figures as
database annotations, so a page makes the same few queries however many rows it shows."""

import datetime

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from arrears.case_figures import EARLIEST  # noqa: F401  (the desk's team figures use it)
from arrears.models import Case, DebtorCategory, DebtPeriod, DifficultIssue, Payment
from arrears.money import MONEY, ZERO

NO_MONEY = Value(ZERO, output_field=MONEY)
# Cases still to classify (待分类): a cleared or closed case needs no playbook any more.
TO_CLASSIFY = Q(category=DebtorCategory.UNCLASSIFIED) & ~Q(
    status__in=[Case.Status.CLEARED, Case.Status.CLOSED]
)


def _sum(qs: QuerySet, expr, output=MONEY):
    return Coalesce(
        Subquery(qs.annotate(v=Sum(expr)).values("v")[:1], output_field=output),
        Value(0, output_field=output) if output is not MONEY else NO_MONEY,
    )


def _count(qs: QuerySet, distinct_field: str = "pk"):
    counted = qs.annotate(v=Count(distinct_field, distinct=distinct_field != "pk")).values("v")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def with_case_figures(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what their rows show beside their kept figures (owed, paid, balance,
    unpaid months, oldest unpaid month, last contact: arrears.case_figures)."""
    return qs.select_related(
        "household", "campaign", "campaign__office", "team", "responsible__staff_profile"
    ).annotate(
        # A subquery rather than Count(): no GROUP BY, so totals can be aggregated on top.
        open_issues=_count(
            DifficultIssue.objects.filter(case=OuterRef("pk"), status=DifficultIssue.Status.OPEN)
            .order_by()
            .values("case")
        ),
    )


def office_figures(offices: QuerySet, *, since: datetime.datetime) -> QuerySet:
    """Per office: households in arrears, outstanding balance, open and cleared cases,
    collected since `since` (net of reversals), open difficult issues."""
    outstanding = (
        DebtPeriod.objects.filter(household__office=OuterRef("pk"), amount_paid__lt=F("amount_due"))
        .order_by()
        .values("household__office")
    )
    received = (
        Payment.objects.filter(office=OuterRef("pk"), paid_at__gte=since)
        .order_by()
        .values("office")
    )
    cases = (
        Case.objects.filter(campaign__office=OuterRef("pk")).order_by().values("campaign__office")
    )
    issues = (
        DifficultIssue.objects.filter(
            case__campaign__office=OuterRef("pk"), status=DifficultIssue.Status.OPEN
        )
        .order_by()
        .values("case__campaign__office")
    )
    return offices.annotate(
        balance=_sum(outstanding, F("amount_due") - F("amount_paid")),
        households_owing=_count(outstanding, "household"),
        # What went to debt periods: an excess over the balance is credit, not collection.
        collected=_sum(received.filter(kind=Payment.Kind.PAYMENT), "allocated")
        - _sum(received.filter(kind=Payment.Kind.REVERSAL), "allocated"),
        cases_total=_count(cases),
        cases_cleared=_count(cases.filter(status=Case.Status.CLEARED)),
        issues_open=_count(issues),
    )
