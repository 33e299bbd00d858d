"""The lists that show the newest first read their first page in index order instead of
sorting every row in scope (issue 15: the director's attempts list sorted 44,000 attempts
to show 50)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households.contact import attempt_log
from tests.conftest import make_office_with_campaign, record_payment

pytestmark = [
    pytest.mark.django_db,
    # SQLite plans without statistics and picks other orders on a few rows; the region's
    # database, where the time goes, is PostgreSQL.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # A table of a few rows is sorted whatever the indexes: with sorting made
        # prohibitive, a plan keeps its Sort only where no index gives the order.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def sorts(text: str) -> bool:
    return "Sort" in text


def page_query(client, user, url, table):
    """The query of `url` that reads its rows from `table` newest first."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    (sql,) = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    return sql


def log_attempts(world, n=3):
    for days in range(1, n + 1):
        attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=timezone.now().replace(hour=10) - datetime.timedelta(days=days),
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
        )


@pytest.mark.parametrize("who", ["manager", "director"])
def test_the_attempts_list_reads_the_newest_from_an_index(client, world, who):
    log_attempts(world)
    sql = page_query(client, world.roles[who], reverse("attempt-list"), "households_contactattempt")
    assert "ORDER BY" in sql
    assert not sorts(plan(sql)), plan(sql)


def test_the_exemptions_to_review_are_found_without_reading_every_attempt(world):
    from households import scoping

    log_attempts(world)
    qs = scoping.contact_attempts(world.manager).exemptions_to_review()
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows are read whole otherwise
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608
        text = "\n".join(row[0] for row in cursor.fetchall())
    # Only the attempts with an exemption: a partial index of them.
    assert "attempt_exempted" in text, text


def test_the_payments_list_of_several_offices_reads_the_newest_from_an_index(client, world):
    # One office's payments come in order from its (office, paid_at) index already.
    make_office_with_campaign(world.region, "mid", "中苑服务处")
    record_payment(world.house_a, "100.00", world.collector_a)
    record_payment(world.house_b, "100.00", world.collector_b)
    sql = page_query(client, world.director, reverse("payment-list"), "arrears_payment")
    assert "ORDER BY" in sql
    assert not sorts(plan(sql)), plan(sql)
