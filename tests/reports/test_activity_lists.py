import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households.contact import attempt_log
from tests.conftest import add_cases, record_payment


def rows_of(response):
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return list(ws.iter_rows(min_row=2, values_only=True))


@pytest.fixture
def activity(world):
    record_payment(world.house_a, "300.00", world.collector_a, receipt_no="A-1", method="wechat")
    record_payment(world.house_b, "100.00", world.collector_b, receipt_no="B-1", method="cash")
    record_payment(world.other_house, "50.00", world.other_collector, receipt_no="O-1")
    night = timezone.localtime().replace(hour=23, minute=0) - datetime.timedelta(days=1)
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=night,
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )
    attempt_log(
        case=world.case_b,
        by=world.collector_b,
        occurred_at=night.replace(hour=10),
        channel="sms",
        person_contacted="owner",
        outcome="no_answer",
        message_has_opt_out=True,
    )
    return world


def test_the_manager_sees_the_offices_payments_and_filters_them(client, activity):
    client.force_login(activity.manager)
    response = client.get(reverse("payment-list"))
    assert {r.record.receipt_no for r in response.context["table"].page.object_list} == {
        "A-1",
        "B-1",
    }
    response = client.get(reverse("payment-list"), {"method": "wechat"})
    assert [r.record.receipt_no for r in response.context["table"].page.object_list] == ["A-1"]


def test_the_payments_download_has_the_same_filtered_rows(client, activity):
    client.force_login(activity.manager)
    response = client.get(reverse("payment-list"), {"method": "cash", "export": "xlsx"})
    assert response.status_code == 200
    assert [(r[1], r[2], r[4]) for r in rows_of(response)] == [("C13-103", 100, "B-1")]


def test_a_collector_sees_only_their_teams_payments(client, activity):
    client.force_login(activity.collector_b)
    response = client.get(reverse("payment-list"), {"export": "xlsx"})
    assert [r[4] for r in rows_of(response)] == ["B-1"]


def test_breaches_only_and_the_attempts_download(client, activity):
    client.force_login(activity.manager)
    response = client.get(reverse("attempt-list"), {"breaches_only": "on"})
    assert [r.record.household.unit_code for r in response.context["table"].page.object_list] == [
        "C6-101"
    ]
    rows = rows_of(client.get(reverse("attempt-list"), {"breaches_only": "on", "export": "xlsx"}))
    assert len(rows) == 1 and rows[0][1] == "C6-101" and "08:00" in rows[0][9]


@pytest.mark.parametrize("name", ["payment-list", "attempt-list"])
def test_gate_staff_and_role_less_users_get_403(client, activity, name):
    for who in ("site", "nobody"):
        client.force_login(activity.roles[who])
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["payment-list", "attempt-list"])
def test_the_lists_make_the_same_queries_for_more_rows(client, activity, name):
    client.force_login(activity.manager)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        return len(queries)

    few = count()
    add_cases(activity, 15, "M")
    from arrears.models import Case

    for case in Case.objects.filter(household__unit_code__startswith="M"):
        record_payment(case.household, "10.00", activity.collector_a, case=case)
        attempt_log(
            case=case,
            by=activity.collector_a,
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            channel="payment_notice",
            person_contacted="owner",
            outcome="delivered",
        )
    assert count() == few
