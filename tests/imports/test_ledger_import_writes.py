"""The ledger import's batch writes (issue 14, item 9): what they write is what one save per
object wrote (history rows with the user included), re-importing writes nothing, and the
queries stay the same whether a file has 1 row or 50."""

import datetime
import re
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.credit import credit_balance, household_balance
from arrears.models import Case, DebtPeriod
from households.models import Household, Owner
from imports import ledger_import as li
from tests.conftest import record_payment
from tests.imports.test_ledger_import import huating, in_english, run, xlsx  # noqa: F401

HEADERS = ["房号", "业主", "业主电话", "房屋动态", "建筑面积", "起始月份", "截止月份",
           "每月金额", "欠费原因", "欠费类型", "小组", "责任人"]  # fmt: skip
MODELS = (Household, Owner, DebtPeriod, Case)


def rows(n, *, start=0, phone="13900000000", reason="家中被盗", months=("2014-01", "2015-05")):
    return [
        [
            f"{9 + (start + i) // 100}-{(start + i) % 100 + 101}",
            f"业主{start + i}",
            phone,
            "入住",
            100 + start + i,
            months[0],
            months[1],
            200,
            reason,
            "特殊拒交",
            "A",
            None,
        ]
        for i in range(n)
    ]


def book(data):
    return xlsx(data, headers=HEADERS)


def history_count() -> int:
    return sum(m.history.count() for m in MODELS)


def tracked(obj, model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in model.history.model.tracked_fields}


def test_every_object_written_has_one_history_row_with_the_user_and_its_values(huating):
    report = run(huating, book(rows(3)))
    assert report.written
    for model in MODELS:
        objects = list(model.objects.filter(pk__in=_imported(model, huating)))
        assert objects
        for obj in objects:
            (record,) = obj.history.all()
            assert (record.history_type, record.history_user, record.history_change_reason) == (
                "+",
                huating.h_manager,
                None,
            )
            assert tracked(record, model) == tracked(obj, model)


def _imported(model, world):
    households = Household.objects.filter(office=world.h_office, unit_code__startswith="9-")
    if model is Household:
        return households.values("pk")
    if model is Case:
        return Case.objects.filter(household__in=households).values("pk")
    return model.objects.filter(household__in=households).values("pk")


def test_the_batch_writes_what_a_save_per_object_wrote(huating):
    run(huating, book(rows(2)))
    household = Household.objects.get(office=huating.h_office, unit_code="9-101")
    assert (household.building, household.area_m2, household.occupancy) == (
        "9",
        Decimal("100.00"),
        "occupied",
    )
    assert list(household.owners.values_list("name", "phone")) == [("业主0", "13900000000")]
    periods = household.debt_periods.order_by("month")
    assert periods.count() == 17
    assert {(p.amount_due, p.amount_paid) for p in periods} == {
        (Decimal("200.00"), Decimal("0.00"))
    }
    case = Case.objects.get(household=household, campaign=huating.h_campaign)
    assert (case.category, case.reason, case.team.code, case.status) == (
        "grievance",
        "家中被盗",
        "A",
        "open",
    )


def test_a_changed_owner_phone_and_reason_are_updated_with_history_rows(huating):
    run(huating, book(rows(2)))
    before = history_count()
    report = run(huating, book(rows(2, phone="13711112222", reason="房屋漏水")))
    assert (report.households_updated, report.cases_updated) == (2, 2)
    owner = Owner.objects.get(household__unit_code="9-101", household__office=huating.h_office)
    assert owner.phone == "13711112222"
    latest = owner.history.first()
    assert (latest.history_type, latest.history_user, latest.phone) == (
        "~",
        huating.h_manager,
        "13711112222",
    )
    case = Case.objects.get(household=owner.household)
    assert case.reason == "房屋漏水"
    assert case.history.first().history_type == "~"
    assert history_count() == before + 4  # two owners, two cases; nothing else


def test_re_importing_the_same_file_writes_no_row_at_all(huating):
    run(huating, book(rows(5)))
    before = history_count()
    report = run(huating, book(rows(5)))
    assert report.written
    assert (report.households_created, report.periods_created, report.cases_created) == (0, 0, 0)
    assert (report.households_updated, report.periods_updated, report.cases_updated) == (0, 0, 0)
    assert history_count() == before


def test_credit_is_applied_only_to_households_that_have_some(huating, monkeypatch):
    run(huating, book(rows(3)))
    first = Household.objects.get(office=huating.h_office, unit_code="9-101")
    record_payment(
        first, str(household_balance(first) + 50), huating.h_manager, confirm_excess=True
    )
    Case.objects.filter(household__office=huating.h_office).update(status=Case.Status.OPEN)
    applied = []
    real = li.credit_apply
    monkeypatch.setattr(
        li, "credit_apply", lambda **kw: applied.append(kw["household"].pk) or real(**kw)
    )
    report = run(huating, book(rows(3, months=("2014-01", "2015-06"))))  # one more month each
    assert report.periods_created == 3
    assert applied == [first.pk]
    june = DebtPeriod.objects.get(household=first, month=datetime.date(2015, 6, 1))
    assert june.amount_paid == Decimal("50.00")
    assert credit_balance(first) == Decimal("0.00")
    assert [(r.history_type, r.history_user) for r in june.history.order_by("history_id")] == [
        ("+", huating.h_manager),
        ("~", huating.h_manager),  # the credit set against it, by the importing user
    ]


def _queries(world, data, **options) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = run(world, book(data), **options)
    assert report.ok, report.problems
    return len(queries)


def _statements(world, data, **options) -> tuple[list[str], int]:
    """The statements other than INSERTs, and the number of INSERTs: SQLite takes at most
    999 parameters a statement, so there a bulk_create of 50 cases of 25 columns is sent
    as two INSERTs (one on PostgreSQL)."""
    with CaptureQueriesContext(connection) as queries:
        report = run(world, book(data), **options)
    assert report.ok, report.problems
    # executemany is logged as "50 times: INSERT …": the same one statement.
    # PostgreSQL's server-side cursors (QuerySet.iterator) are numbered: one name for all.
    sql = [
        re.sub(r"_django_curs_\d+_\w+_\d+", "cursor", re.sub(r"^\d+ times: ", "", q["sql"]))[:60]
        for q in queries.captured_queries
    ]
    others = [s for s in sql if not s.startswith("INSERT") and "SAVEPOINT" not in s]
    return others, len(sql) - len(others)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_new_file_of_1_row_and_of_50_rows_cost_the_same_queries(huating, dry_run):
    one, one_inserts = _statements(huating, rows(1), dry_run=dry_run)
    fifty, fifty_inserts = _statements(huating, rows(50, start=1), dry_run=dry_run)
    assert fifty == one
    assert one_inserts <= fifty_inserts <= one_inserts + (0 if dry_run else 2)


def test_updating_1_row_and_50_rows_cost_the_same_queries(huating):
    run(huating, book(rows(51)))
    one = _queries(huating, rows(1, phone="13711112222", reason="改"))
    fifty = _queries(huating, rows(50, start=1, phone="13711112222", reason="改"))
    assert fifty == one


def test_a_batch_costs_the_same_queries_however_full(huating, monkeypatch):
    """Past one batch the queries grow by a constant per batch, not per row."""
    monkeypatch.setattr(li, "PROGRESS_EVERY", 10)
    ten = _queries(huating, rows(10))
    thirty = _queries(huating, rows(30, start=10))
    twenty_one = _queries(huating, rows(21, start=40))
    assert thirty - ten == twenty_one - ten > 0  # two more batches each


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (0, "9-" + "1" * 29, "房号"),
        (0, "9" * 21 + "-101", "building"),
    ],
)
def test_what_the_write_checks_is_caught_at_the_preview_first(huating, column, value, message):
    """The batch checks each field as full_clean did; values too long for their column are
    problems of the preview already, so a previewed file never fails at the commit."""
    data = rows(1)
    data[0][column] = value
    report = run(huating, book(data), dry_run=True)
    assert not report.ok
    assert message in report.problems[0]


def test_the_longest_values_the_preview_lets_through_are_written(huating):
    data = rows(1)
    data[0][0] = "9" * 20 + "-" + "1" * 9  # 30 characters, a building of 20
    data[0][1] = "名" * 100  # the owner's column holds 100 characters
    data[0][8] = "因" * 300  # the reason's 300
    report = run(huating, book(data))
    assert report.written
    case = Case.objects.get(household__unit_code=data[0][0])
    assert len(case.reason) == 300
    assert len(case.household.owners.get().name) == 100


def test_validating_held_months_keeps_them_as_arrays_not_model_instances(huating):
    """The months held are loaded for comparison as arrays (about 32 bytes each): 200 rows
    of 60 months already held are checked well under 300 bytes a month."""
    data = rows(200, months=("2010-06", "2015-05"))
    run(huating, book(data))
    parsed = li.parse_workbook(book(data))
    tracemalloc.start()
    try:
        li.validate(
            parsed,
            office=huating.h_office,
            campaign=huating.h_campaign,
            today=datetime.date(2026, 11, 30),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300 * 12_000
