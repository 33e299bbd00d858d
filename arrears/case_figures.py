"""Each case's figures kept on the case: owed, paid and balance of the campaign's months,
unpaid months, the oldest unpaid month, the last contact, and what orders the case list
(the due date of the latest promise while it is not kept; the due date of the first
instalment of the latest payment plan that payments do not cover yet).

Lists order and total by these figures. Computed on every request, they cost a handful of
correlated subqueries per case in scope (15,000 cases for a director of 20 offices) before
the first 25 rows can be taken. So they are columns, and every service that changes what
they are made of (a month's amount due or paid, a case's campaign window, a contact
attempt) calls `refresh` for the households it touched, inside its own transaction.

`drift` recomputes them from the ledger and the attempts and lists every difference:
`manage.py case_figures` prints it (and `--fix` rewrites the columns), and the test suite
checks it after every test that used the database, so a write path that forgets to refresh
fails the test that exercises it.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import (
    DateField,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from arrears.models import KEPT_FIGURES
from arrears.money import CENT, MONEY, ZERO
from arrears.promises import paid_between

MONEY_FIELDS = ("owed", "paid", "balance")
FIELDS = KEPT_FIGURES
EARLIEST = Value(datetime.date(1900, 1, 1), output_field=DateField())
CHUNK = 2000  # households per read when many are refreshed at once


def _campaign_periods(period_model, *, unpaid_only=False) -> QuerySet:
    """Debt periods of the outer case's household within its campaign's months."""
    qs = period_model.objects.filter(
        household=OuterRef("household"),
        month__lte=OuterRef("campaign__arrears_through"),
        month__gte=Coalesce(OuterRef("campaign__arrears_from"), EARLIEST),
    )
    if unpaid_only:
        qs = qs.filter(amount_paid__lt=F("amount_due"))
    return qs.order_by().values("household")


def subquery_sum(qs: QuerySet, expr, output=MONEY):
    """The sum of `expr` over `qs` (a values() queryset grouped by the outer row), as a
    subquery of the outer row; zero where there is nothing to sum."""
    zero = Value(ZERO if output is MONEY else 0, output_field=output)
    return Coalesce(Subquery(qs.annotate(v=Sum(expr)).values("v")[:1], output_field=output), zero)


def computed(cases: QuerySet, registry=apps) -> QuerySet:
    """`cases` with each figure computed from the ledger, as `computed_<figure>`. The models
    come from `registry` so that a migration can pass its historical ones. Attempts and
    plans are the households' and escalation's apps: named here, not imported."""
    period_model = registry.get_model("arrears", "DebtPeriod")
    attempt_model = registry.get_model("households", "ContactAttempt")
    periods = _campaign_periods(period_model)
    unpaid = _campaign_periods(period_model, unpaid_only=True)
    last_contact = (
        attempt_model.objects.filter(household=OuterRef("household"))
        .order_by()
        .values("household")
        .annotate(v=Max("occurred_at"))
        .values("v")[:1]
    )
    return _with_plan(_with_promise(cases, registry), registry).annotate(
        computed_owed=subquery_sum(periods, "amount_due", MONEY),
        computed_paid=subquery_sum(periods, "amount_paid", MONEY),
        computed_balance=F("computed_owed") - F("computed_paid"),
        computed_unpaid_months=subquery_sum(unpaid, Value(1), IntegerField()),
        computed_oldest_unpaid=Subquery(unpaid.annotate(v=Min("month")).values("v")[:1]),
        computed_last_contact_at=Subquery(last_contact),
    )


def _with_promise(cases: QuerySet, registry) -> QuerySet:
    # Kept or not does not change with the date: only with payments (arrears.promises).
    latest = (
        registry.get_model("arrears", "PromiseToPay")
        .objects.filter(case=OuterRef("pk"))
        .order_by("-recorded_at", "-pk")
    )
    cases = cases.annotate(
        computed_promise_amount=Subquery(latest.values("amount")[:1], output_field=MONEY),
        computed_promise_due=Subquery(latest.values("due_date")[:1]),
        computed_promise_at=Subquery(latest.values("recorded_at")[:1]),
    )
    paid = paid_between("household", "computed_promise_at", "computed_promise_due")
    return cases.annotate(
        computed_open_promise_due=Switch(
            When(computed_promise_amount__lte=Coalesce(paid, ZERO), then=None),
            default=F("computed_promise_due"),
            output_field=DateField(),
        )
    )


def _with_plan(cases: QuerySet, registry) -> QuerySet:
    """The first instalment of the latest plan that the payments since its agreement do not
    cover: the plan is behind the day after it falls due (escalation.plans.with_plan_state).
    """
    Payment = registry.get_model("arrears", "Payment")
    plans = registry.get_model("escalation", "PaymentPlan").objects
    instalments = registry.get_model("escalation", "Instalment").objects
    latest = plans.filter(case=OuterRef("pk")).order_by("-agreed_on", "-pk")
    paid = (
        Payment.objects.filter(
            household=OuterRef("household"),
            kind="payment",  # Payment.Kind.PAYMENT: historical models have no choices classes
            reversed_by__isnull=True,
            paid_at__date__gte=OuterRef("computed_plan_agreed_on"),
        )
        .order_by()
        .values("household")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    so_far = (
        instalments.filter(plan=OuterRef("plan"), due_date__lte=OuterRef("due_date"))
        .order_by()
        .values("plan")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    uncovered = (
        instalments.filter(plan=OuterRef("computed_plan_id"))
        .annotate(so_far=Subquery(so_far, output_field=MONEY))
        .filter(so_far__gt=OuterRef("computed_plan_paid"))
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return cases.annotate(
        computed_plan_id=Subquery(latest.values("pk")[:1]),
        computed_plan_agreed_on=Subquery(latest.values("agreed_on")[:1]),
    ).annotate(
        computed_plan_paid=Coalesce(
            Subquery(paid, output_field=MONEY), Value(ZERO, output_field=MONEY)
        ),
        computed_plan_unpaid_due=Subquery(uncovered),
    )


def _differences(cases: QuerySet, registry=apps) -> Iterable[tuple[int, dict, dict]]:
    """(case id, stored figures, computed figures) of every case whose figures differ."""
    names = [f"computed_{f}" for f in FIELDS]
    rows = computed(cases.order_by(), registry).values_list("pk", *FIELDS, *names)
    for pk, *values in rows.iterator(chunk_size=CHUNK):
        stored = dict(zip(FIELDS, values[: len(FIELDS)], strict=True))
        fresh = dict(zip(FIELDS, values[len(FIELDS) :], strict=True))
        for name in MONEY_FIELDS:  # SQLite sums decimals as floats: 8730.45000000001
            fresh[name] = Decimal(fresh[name]).quantize(CENT)
        if stored != fresh:
            yield pk, stored, fresh


def _write(cases: QuerySet, model, registry=apps) -> int:
    """Write the computed figures of these cases where they differ, in one statement: the
    database computes and compares them itself (UPDATE … FROM the computing query), so a
    50,000-row import does not carry every case's figures to Python and back."""
    names = [f"computed_{f}" for f in FIELDS]
    source = computed(cases.order_by(), registry).annotate(case_id=F("pk"))
    sql, params = source.values("case_id", *names).query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)

    def fresh(name):
        column = f"x.{quote('computed_' + name)}"
        # SQLite sums decimals as floats (8730.45000000001): stored to the cent.
        return f"ROUND({column}, 2)" if name in MONEY_FIELDS else column

    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    statement = (
        f"UPDATE {table} SET {', '.join(f'{quote(f)} = {fresh(f)}' for f in FIELDS)} "  # noqa: S608
        f"FROM ({sql}) AS x WHERE {table}.{quote('id')} = x.{quote('case_id')} AND ("
        + " OR ".join(f"{table}.{quote(f)} {differs} {fresh(f)}" for f in FIELDS)
        + ")"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def refresh(households: Iterable[int] | QuerySet | None) -> int:
    """Recompute the figures of every case of these households (ids, or a queryset of
    households or of their ids); None means every case. Returns how many cases changed.
    Call it inside the transaction that changed the ledger, after the change."""
    Case = apps.get_model("arrears", "Case")
    if households is None:
        with transaction.atomic():
            return _write(Case.objects.all(), Case)
    if isinstance(households, QuerySet):
        return _write(Case.objects.filter(household__in=households), Case)
    ids = sorted(set(households))
    return sum(
        _write(Case.objects.filter(household__in=ids[i : i + CHUNK]), Case)
        for i in range(0, len(ids), CHUNK)
    )


def refresh_cases(cases: QuerySet) -> int:
    """Recompute the figures of these cases (a case newly created, or whose campaign's
    months changed)."""
    return _write(cases, cases.model)


def contact_made(household_id: int, moment: datetime.datetime) -> None:
    """A contact attempt was recorded: an attempt only adds, so the last contact moves
    forward or stays (one statement rather than a refresh)."""
    Case = apps.get_model("arrears", "Case")
    Case.objects.filter(household_id=household_id).filter(
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=moment)
    ).update(last_contact_at=moment)


@dataclass(frozen=True)
class Drift:
    case_id: int
    field: str
    stored: object
    computed: object


def drift(cases: QuerySet | None = None) -> list[Drift]:
    """Every figure of these cases (all by default) that differs from the ledger."""
    if cases is None:
        cases = apps.get_model("arrears", "Case").objects.all()
    return [
        Drift(pk, f, stored[f], fresh[f])
        for pk, stored, fresh in _differences(cases)
        for f in FIELDS
        if stored[f] != fresh[f]
    ]


def rebuild_in_migration(apps_registry, schema_editor) -> None:
    """Fill the columns of every existing case (migration arrears 0006)."""
    Case = apps_registry.get_model("arrears", "Case")
    _write(Case.objects.all(), Case, apps_registry)
