"""A week's key numbers per office, for the page the weekly workbook is downloaded from and
the director's desk: three queries whatever the number of offices."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)

from arrears.models import Clearance, DifficultIssue, Payment
from arrears.money import ZERO
from arrears.selectors import subquery_collected, subquery_count
from households.models import IS_BREACH, ContactAttempt, Household

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
    issues = (
        DifficultIssue.objects.filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=end),
            case__campaign__office=OuterRef("pk"),
            raised_at__lt=end,
        )
        .order_by()
        .values("case__campaign__office")
    )
    rows = list(
        offices.annotate(
            collected=subquery_collected(payments),
            cleared=subquery_count(cleared, "case"),
            open_issues=subquery_count(issues),
        ).order_by("name")
    )
    attempts = attempt_counts([o.pk for o in rows], start=start, end=end)
    for office in rows:
        office.contacts, office.breaches = attempts.get(office.pk, (0, 0))
    return rows


def totals(rows) -> Totals:
    total = Totals()
    for row in rows:
        for name in FIGURES:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total


class _AnyOf(Func):
    """`column = ANY(array)` (PostgreSQL)."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def attempt_counts(
    office_ids, *, start: datetime.datetime, end: datetime.datetime
) -> dict[int, tuple[int, int]]:
    """office id → (contact attempts that stand, of them breaches) in [start, end), in two
    queries: the window's attempts counted per household, then those households' offices.

    Grouped by office in one query, PostgreSQL hashed every household of the region to join a
    few hundred attempts (35 ms at 100,000 households); a subquery per office read each
    office's households (0.6 s). A week's attempts touch a few thousand households at most."""
    per_household = (
        ContactAttempt.objects.effective()
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("household_id")
        .annotate(contacts=Count("pk"), breaches=Count("pk", filter=IS_BREACH))
        .order_by()
    )
    counts = {row["household_id"]: (row["contacts"], row["breaches"]) for row in per_household}
    result: dict[int, tuple[int, int]] = {}
    if not counts:
        return result
    offices = Household.objects.filter(office_id__in=list(office_ids)).order_by()
    ids = list(counts)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.fields import ArrayField

        # "id = ANY(%s)", one array parameter: thousands of IN (%s, …) took 70 ms to plan.
        array = Value(ids, output_field=ArrayField(BigIntegerField()))
        offices = offices.filter(_AnyOf(F("pk"), array))
    else:
        offices = offices.filter(pk__in=ids)
    for household_id, office_id in offices.values_list("pk", "office_id"):
        contacts, breaches = counts[household_id]
        before = result.get(office_id, (0, 0))
        result[office_id] = (before[0] + contacts, before[1] + breaches)
    return result
