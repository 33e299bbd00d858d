"""The desks' figures at the size of a region (issue 15): the same figures as the per-office
and per-team subqueries they replace, read in one pass whatever the number of offices."""

import datetime
import re

import pytest
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from arrears.case_figures import EARLIEST
from arrears.case_figures import subquery_sum as _sum
from arrears.models import Case, DebtPeriod, DifficultIssue, Office, Payment
from arrears.selectors import office_figures
from arrears.selectors import subquery_count as _count
from desk.load import generate_load
from desk.views import _team_figures
from teams.models import Team

pytestmark = pytest.mark.django_db

FIGURES = ("balance", "households_owing", "collected", "cases_total", "cases_cleared")
FIGURES += ("issues_open",)


def per_office_figures(offices, *, since):
    """office_figures as it was before issue 15: a correlated subquery per figure and office
    (the debt-period table scanned twice per office). The reference the new one must equal."""
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
        collected=_sum(received.filter(kind=Payment.Kind.PAYMENT), "allocated")
        - _sum(received.filter(kind=Payment.Kind.REVERSAL), "allocated"),
        cases_total=_count(cases),
        cases_cleared=_count(cases.filter(status=Case.Status.CLEARED)),
        issues_open=_count(issues),
    )


def per_team_figures(teams):
    """_team_figures as it was: teams joined to every month of every case's household."""
    periods = "cases__household__debt_periods"
    in_campaign = Q(**{f"{periods}__month__lte": F("campaign__arrears_through")}) & Q(
        **{f"{periods}__month__gte": Coalesce(F("campaign__arrears_from"), EARLIEST)}
    )
    return teams.annotate(
        case_count=Count("cases", distinct=True),
        cleared_count=Count("cases", filter=Q(cases__status=Case.Status.CLEARED), distinct=True),
        balance=Sum(F(f"{periods}__amount_due") - F(f"{periods}__amount_paid"), filter=in_campaign),
    ).order_by("code")


@pytest.fixture
def region():
    """Three offices of the load generator: partly paid months, payments and reversals,
    cleared cases, open issues: every figure has something to count."""
    generate_load(offices=3, households_per_office=80, seed=15, region_code="lf", summary_days=0)
    return Office.objects.filter(region__code="lf")


def _figures(offices):
    # SQLite sums money as floats (72523.0700000001): compare to the cent, as the desk shows.
    return {o.code: tuple(round(getattr(o, name), 2) for name in FIGURES) for o in offices}


def test_the_one_pass_office_figures_equal_the_per_office_ones(region):
    since = timezone.now() - datetime.timedelta(days=30)
    expected = _figures(per_office_figures(region.select_related("region"), since=since))
    assert len(expected) == 3 and all(f[0] > 0 and f[2] > 0 for f in expected.values())
    assert _figures(office_figures(region, since=since)) == expected
    # The same when the user sees one office only, and the same order as before.
    one = region.filter(code="lf-02")
    assert _figures(office_figures(one, since=since)) == _figures(
        per_office_figures(one, since=since)
    )
    assert [o.code for o in office_figures(region, since=since)] == list(expected)


def test_the_office_figures_read_the_unpaid_months_once_not_per_office(region):
    since = timezone.now() - datetime.timedelta(days=7)
    with CaptureQueriesContext(connection) as three:
        list(office_figures(region, since=since))
    with CaptureQueriesContext(connection) as one:
        list(office_figures(region.filter(code="lf-01"), since=since))
    assert len(three) == len(one)
    reading = [q["sql"] for q in three if "arrears_debtperiod" in q["sql"]]
    # One query reads the months, once, and not as a subquery of each office's row.
    assert len(reading) == 1
    assert reading[0].count("arrears_debtperiod") == 1
    assert not re.search(r"arrears_office", reading[0])


def test_the_team_figures_equal_the_per_team_ones(region):
    teams = Team.objects.filter(campaign__office__region__code="lf")

    def figures(rows):
        return {t.pk: (t.case_count, t.cleared_count, round(t.balance or 0, 2)) for t in rows}

    expected = figures(per_team_figures(teams))
    assert len(expected) == 12 and sum(row[2] for row in expected.values()) > 0
    assert figures(_team_figures(teams)) == expected
