"""The steps of a dispute after it was recorded (issue 17.2): where a service complaint goes
in each office, the department's "done", the receipt check, the answer's boundaries."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from arrears.models import DebtPeriod
from households import disputes
from households.models import Dispute, DisputeEvent, DisputeRoute

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False) as traveller, translation.override("en"):
        yield traveller


def record(world, case=None, **kw):
    fields = {
        "case": case or world.case_a,
        "kind": "service",
        "cause": "leak_unrepaired",
        "words": "漏水三年没人修",
        "source": "visit",
        "by": world.collector_a,
    }
    fields.update(kw)
    return disputes.dispute_record(**fields)


def fresh(dispute):
    return (
        Dispute.objects.prefetch_related("events").select_related("work_order").get(pk=dispute.pk)
    )


# --- routing ------------------------------------------------------------------------------


def test_an_office_without_its_own_routes_uses_the_defaults(world):
    assert disputes.route_for(world.office.pk, "leak_unrepaired") == ("engineering", 7)
    order = record(world).work_order
    assert order.department == "engineering" and order.due_date == datetime.date(2026, 12, 2)


def test_an_offices_own_route_sends_the_complaint_elsewhere_with_its_days(world):
    DisputeRoute.objects.create(
        office=world.office, cause="leak_unrepaired", department="customer_service", days=3
    )
    order = record(world).work_order
    assert order.department == "customer_service"
    assert order.due_date == datetime.date(2026, 11, 28)
    # The other office keeps the default.
    assert disputes.route_for(world.other_office.pk, "leak_unrepaired") == ("engineering", 7)
    rows = {r["cause"].value: r for r in disputes.office_routes(world.office.pk)}
    assert rows["leak_unrepaired"]["own"] and rows["leak_unrepaired"]["days"] == 3
    assert not rows["cleaning"]["own"] and rows["cleaning"]["department"] == "cleaning"


@pytest.mark.parametrize("days", [0, 91])
def test_a_route_gives_between_1_and_90_days(world, days):
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeRoute.objects.create(
            office=world.office, cause="cleaning", department="cleaning", days=days
        )


def test_one_route_per_cause_and_office(world):
    DisputeRoute.objects.create(office=world.office, cause="cleaning", department="cleaning")
    with pytest.raises(IntegrityError), transaction.atomic():
        DisputeRoute.objects.create(office=world.office, cause="cleaning", department="security")


# --- the work order -----------------------------------------------------------------------


def test_done_is_a_new_step_once_and_the_work_order_is_never_edited(world, frozen):
    dispute = record(world)
    state = disputes.work_order_state(fresh(dispute))
    assert state.done_at is None and not state.overdue
    # On its due date it is not overdue yet; the day after it is.
    assert not disputes.work_order_state(fresh(dispute), datetime.date(2026, 12, 2)).overdue
    assert disputes.work_order_state(fresh(dispute), datetime.date(2026, 12, 3)).overdue
    disputes.dispute_work_done(dispute=fresh(dispute), by=world.manager, note="工程部已修复")
    state = disputes.work_order_state(fresh(dispute), datetime.date(2026, 12, 30))
    assert state.done_at == NOON and not state.overdue
    with pytest.raises(ValidationError, match="already reported done"):
        disputes.dispute_work_done(dispute=fresh(dispute), by=world.manager)
    assert fresh(dispute).work_order.due_date == datetime.date(2026, 12, 2)
    assert disputes.status(fresh(dispute)) == disputes.OPEN  # fixing is not answering


def test_only_a_service_dispute_has_a_work_order_to_report_done(world):
    month = DebtPeriod.objects.filter(household=world.house_a).first()
    dispute = record(world, kind="months", cause=None, months=[month])
    with pytest.raises(ValidationError, match="Only a service dispute"):
        disputes.dispute_work_done(dispute=fresh(dispute), by=world.manager)


# --- the receipt check --------------------------------------------------------------------


def amount_dispute(world):
    return record(world, kind="amount", cause=None, amount=Decimal("300.00"), words="我交过了")


def test_the_receipt_check_is_the_managers_to_do_until_recorded(world):
    dispute = amount_dispute(world)
    assert disputes.receipt_check_due(fresh(dispute))
    event = disputes.dispute_receipt_check(
        dispute=fresh(dispute),
        by=world.manager,
        found=False,
        receipt_number="R-1001",
        receipt_date=datetime.date(2015, 3, 2),
        note="收费系统、银行流水均无此款",
    )
    assert event.kind == DisputeEvent.Kind.RECEIPT_NOT_FOUND
    assert event.receipt_number == "R-1001" and event.receipt_date == datetime.date(2015, 3, 2)
    assert not disputes.receipt_check_due(fresh(dispute))
    # A second check (a new receipt) is a new step; the first stays.
    disputes.dispute_receipt_check(
        dispute=fresh(dispute), by=world.manager, found=True, receipt_number="R-1002"
    )
    assert [e.kind for e in fresh(dispute).events.all()] == ["receipt_missing", "receipt_found"]


def test_a_receipt_check_needs_the_receipt_and_an_amount_dispute(world):
    dispute = amount_dispute(world)
    with pytest.raises(ValidationError) as caught:
        disputes.dispute_receipt_check(dispute=fresh(dispute), by=world.manager, found=True)
    assert "receipt_number" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        disputes.dispute_receipt_check(
            dispute=fresh(dispute),
            by=world.manager,
            found=True,
            receipt_date=datetime.date(2026, 11, 26),  # tomorrow
        )
    assert "receipt_date" in caught.value.message_dict
    service = record(world)
    with pytest.raises(ValidationError, match="amount dispute"):
        disputes.dispute_receipt_check(
            dispute=fresh(service), by=world.manager, found=True, receipt_number="R-1"
        )
    assert not DisputeEvent.objects.exists()


# --- the answer's boundaries --------------------------------------------------------------


def test_an_answer_delivered_in_the_same_minute_as_the_dispute_ends_the_pause_then(world):
    every = list(DebtPeriod.objects.filter(household=world.house_a))
    dispute = record(world, kind="months", cause=None, months=every)
    assert disputes.household_pause(world.house_a.pk, NOON) == NOON
    disputes.dispute_answer_delivered(dispute=fresh(dispute), by=world.manager, at=NOON)
    assert disputes.status(fresh(dispute)) == disputes.ANSWERED
    assert disputes.household_pause(world.house_a.pk, NOON) is None
    with pytest.raises(ValidationError, match="before the dispute"):
        other = record(world)
        disputes.dispute_answer_delivered(
            dispute=fresh(other), by=world.manager, at=NOON - datetime.timedelta(seconds=1)
        )


def test_nothing_more_is_recorded_on_a_resolved_dispute(world):
    dispute = amount_dispute(world)
    disputes.dispute_answer_delivered(dispute=fresh(dispute), by=world.manager)
    disputes.dispute_resolve(
        dispute=fresh(dispute), outcome="rejected", by=world.manager, note="无"
    )
    with pytest.raises(ValidationError, match="already resolved"):
        disputes.dispute_receipt_check(
            dispute=fresh(dispute), by=world.manager, found=True, receipt_number="R-9"
        )
    assert not disputes.receipt_check_due(fresh(dispute))
