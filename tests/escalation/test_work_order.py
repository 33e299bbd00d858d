"""A payment plan behind its instalments comes first on the collector's list, like a broken
promise; one with an instalment due today comes with the promises due."""

import datetime
from decimal import Decimal

import time_machine
from django.utils import timezone

from desk.case_queries import BROKEN_PROMISE, CONTACT_ALLOWED, PROMISE_DUE, cases_to_work
from escalation.plans import plan_record
from tests.conftest import record_payment


def _priority(world, case):
    return cases_to_work(world.collector_a).get(pk=case.pk).priority


def test_plans_order_the_work(world):
    today = timezone.localdate()
    assert _priority(world, world.case_a) == CONTACT_ALLOWED
    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=today,
        instalments=[
            (today, Decimal("300.00")),
            (today + datetime.timedelta(days=30), Decimal("300.00")),
        ],
    )
    assert _priority(world, world.case_a) == PROMISE_DUE
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert _priority(world, world.case_a) == BROKEN_PROMISE
    record_payment(world.house_a, "300.00", world.collector_a, paid_at=timezone.now())
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert _priority(world, world.case_a) != BROKEN_PROMISE


def test_the_case_list_query_count_does_not_grow_with_plans(
    client, world, django_assert_max_num_queries
):
    from tests.conftest import add_cases

    add_cases(world, 6, "P")
    today = timezone.localdate()
    for case in world.campaign.cases.all():
        plan_record(
            case=case, by=world.manager, agreed_on=today, instalments=[(today, Decimal("100.00"))]
        )
    client.force_login(world.collector_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/cases/?per_page=3")
    add_cases(world, 10, "Q")
    for case in world.campaign.cases.filter(payment_plans__isnull=True):
        plan_record(
            case=case, by=world.manager, agreed_on=today, instalments=[(today, Decimal("100.00"))]
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/cases/")
    assert len(many) == len(few)
