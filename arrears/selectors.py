"""Reads for lists and desks: each returns a queryset whose rows carry their figures as
database annotations, so a page makes the same few queries however many rows it shows."""

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from arrears.case_figures import subquery_sum
from arrears.models import Case, DebtorCategory, DebtPeriod, DifficultIssue, Payment
from arrears.money import CENT, ZERO

# Cases still to classify (待分类): a cleared or closed case needs no playbook any more.
TO_CLASSIFY = Q(category=DebtorCategory.UNCLASSIFIED) & ~Q(
    status__in=[Case.Status.CLEARED, Case.Status.CLOSED]
)


def subquery_count(qs: QuerySet, distinct_field: str = "pk"):
    """How many rows (or distinct `distinct_field`) of `qs`, a values() queryset grouped by
    the outer row, as a subquery of the outer row; zero where there are none."""
    counted = qs.annotate(v=Count(distinct_field, distinct=distinct_field != "pk")).values("v")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def subquery_collected(payments: QuerySet):
    """What `payments` (a values() queryset grouped by the outer row) put on debt periods,
    net of their reversals: an excess over the balance is credit, not collection."""
    return subquery_sum(payments.filter(kind=Payment.Kind.PAYMENT), "allocated") - subquery_sum(
        payments.filter(kind=Payment.Kind.REVERSAL), "allocated"
    )


def with_case_figures(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what their rows show beside their kept figures (owed, paid, balance,
    unpaid months, oldest unpaid month, last contact: arrears.case_figures)."""
    return qs.select_related(
        "household", "campaign", "campaign__office", "team", "responsible__staff_profile"
    ).annotate(
        # A subquery rather than Count(): no GROUP BY, so totals can be aggregated on top.
        open_issues=subquery_count(
            DifficultIssue.objects.filter(case=OuterRef("pk"), status=DifficultIssue.Status.OPEN)
            .order_by()
            .values("case")
        ),
    )


def _unpaid_by_office(office_ids) -> dict[int, tuple[Decimal, int]]:
    """office id → (outstanding balance, households owing), in one pass over the unpaid months.

    The months are summed per household first (the partial index debt_period_unpaid holds
    them in household order, amounts included), then the ~15% of households that owe are
    joined to their offices. The per-office subqueries this replaces read the whole index
    twice for every office (issue 15: 20 offices, 2.3 s); Django has no derived tables, hence
    the SQL, which SQLite and PostgreSQL both run.
    """
    if not office_ids:
        return {}
    quote = connection.ops.quote_name
    household = DebtPeriod._meta.get_field("household")
    periods, households = DebtPeriod._meta.db_table, household.related_model._meta.db_table
    sql = f"""
        SELECT h.{quote("office_id")}, SUM(owing.balance), COUNT(*)
        FROM (
            SELECT {quote(household.column)} AS household_id,
                   SUM({quote("amount_due")} - {quote("amount_paid")}) AS balance
            FROM {quote(periods)}
            WHERE {quote("amount_paid")} < {quote("amount_due")}
            GROUP BY {quote(household.column)}
        ) owing
        JOIN {quote(households)} h ON h.{quote("id")} = owing.household_id
        WHERE h.{quote("office_id")} IN ({", ".join(["%s"] * len(office_ids))})
        GROUP BY h.{quote("office_id")}
    """  # noqa: S608 (names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(office_ids))
        # SQLite sums decimals as floats: back to yuan and fen, as Django's Sum() does.
        return {
            office: (Decimal(str(balance)).quantize(CENT), households)
            for office, balance, households in cursor.fetchall()
        }


def office_figures(offices: QuerySet, *, since: datetime.datetime) -> list:
    """The offices, each with: households in arrears, outstanding balance, open and cleared
    cases, collected since `since` (net of reversals), open difficult issues.

    Two queries whatever the number of offices: the offices with the figures an index finds
    per office (payments since `since`, cases, issues), then the unpaid months in one pass.
    """
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
    rows = list(
        offices.annotate(
            collected=subquery_collected(received),
            cases_total=subquery_count(cases),
            cases_cleared=subquery_count(cases.filter(status=Case.Status.CLEARED)),
            issues_open=subquery_count(issues),
        )
    )
    unpaid = _unpaid_by_office([o.pk for o in rows])
    for office in rows:
        office.balance, office.households_owing = unpaid.get(office.pk, (ZERO, 0))
    return rows
