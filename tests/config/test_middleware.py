"""A write that cannot get the database gives a 'busy, try again' page, not a 500.

Another connection (another thread: Django gives each its own) holds the write lock, as a
long import or a second office PC would; the request's own connection waits a short while.
"""

import datetime
import html
import re
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from arrears.models import DebtPeriod, Payment
from config.middleware import DatabaseBusyMiddleware, database_busy
from households.models import Household

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_wait():
    """The request's connection gives up on a held lock after a fraction of a second."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("timeout")
    if connection.vendor == "sqlite":
        options["timeout"] = 0.3
        connection.close()
    else:  # PostgreSQL waits for ever unless told: a lock timeout makes it give up too
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
    yield
    if connection.vendor == "sqlite":
        if before is None:
            options.pop("timeout", None)
        else:
            options["timeout"] = before
    connection.close()


class WriteLock:
    """Another connection holding the lock a payment needs until release()."""

    def __init__(self, household):
        self.held = threading.Event()
        self.done = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._hold, args=(household.pk,))

    def _hold(self, household_pk):
        try:
            # SQLite: BEGIN IMMEDIATE, the file's write lock; PostgreSQL: the row's lock.
            with transaction.atomic():
                Household.objects.select_for_update().get(pk=household_pk)
                self.held.set()
                self.done.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.errors.append(exc)
            self.held.set()
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(10) and not self.errors, self.errors
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(10)


def payment_data():
    paid_at = timezone.localtime() - datetime.timedelta(hours=1)
    return {
        "amount": "123.45",
        "paid_at": paid_at.strftime("%Y-%m-%d %H:%M"),
        "method": "cash",
        "receipt_no": "R-BUSY-1",
        "note": "前台现金 <b>&",
    }


def hidden_fields(page):
    fields = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    return [(html.unescape(name), html.unescape(value)) for name, value in fields]


def test_a_payment_under_a_held_lock_gets_the_busy_page_with_its_entries(client, world, short_wait):
    client.force_login(world.collector_a)
    url = reverse("payment-new", args=[world.case_a.pk])
    data = payment_data()

    with WriteLock(world.house_a):
        response = client.post(url, data)
        assert response.status_code == 503
        # Nothing half-saved: no payment, no month marked paid.
        assert not Payment.objects.exists()
        assert not DebtPeriod.objects.filter(amount_paid__gt=0).exists()

    page = response.content.decode()
    assert response["Retry-After"]
    assert "no-store" in response["Cache-Control"]
    assert f'action="{url}"' in page and 'method="post"' in page
    resent = dict(hidden_fields(page))
    assert {k: resent[k] for k in data} == data  # every entry, markup and all, kept as typed
    assert "csrfmiddlewaretoken" in page
    assert "123.45" in page and "<b>&" not in page  # shown, escaped
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)

    # The lock is gone: "try again" sends the same entries and the payment is recorded once.
    retry = client.post(url, {k: v for k, v in hidden_fields(page)})
    assert retry.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.receipt_no) == (Decimal("123.45"), "R-BUSY-1")


def test_the_busy_page_is_in_the_readers_language(client, world, short_wait):
    client.force_login(world.collector_a)
    client.cookies["django_language"] = "en"
    with WriteLock(world.house_a):
        response = client.post(reverse("payment-new", args=[world.case_a.pk]), payment_data())
    page = response.content.decode()
    assert response.status_code == 503
    assert "Try again" in page and "nothing was saved" in page


def test_a_contact_attempt_under_a_held_lock_gets_the_busy_page(client, world, short_wait):
    from households.models import ContactAttempt

    client.force_login(world.collector_a)
    url = reverse("attempt-new", args=[world.case_a.pk])
    occurred = timezone.localtime() - datetime.timedelta(minutes=5)
    data = {
        "channel": "payment_notice",
        "person_contacted": "owner",
        "outcome": "delivered",
        "occurred_at": occurred.strftime("%Y-%m-%d %H:%M"),
        "notes": "催费通知已送达 busy-test",
    }
    with WriteLock(world.house_a):
        response = client.post(url, data)
        assert response.status_code == 503
        assert not ContactAttempt.objects.exists()
    assert dict(hidden_fields(response.content.decode()))["notes"] == data["notes"]
    assert client.post(url, data).status_code == 302
    assert ContactAttempt.objects.get().notes == data["notes"]


# --- which errors are "busy" -------------------------------------------------------------


class FakeCause(Exception):
    def __init__(self, sqlstate):
        self.sqlstate = sqlstate


def pg_error(sqlstate):
    error = OperationalError("canceling statement due to lock timeout")
    error.__cause__ = FakeCause(sqlstate)
    return error


@pytest.mark.parametrize(
    ("exception", "busy"),
    [
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked: arrears_payment"), True),
        (pg_error("55P03"), True),  # lock_not_available
        (OperationalError("no such table: arrears_payment"), False),
        (OperationalError("unable to open database file"), False),
        (pg_error("08006"), False),  # connection failure: not busy, a real outage
        (ValueError("database is locked"), False),
    ],
)
def test_only_a_lock_that_timed_out_counts_as_busy(exception, busy):
    assert database_busy(exception) is busy


def test_other_errors_and_reads_are_left_to_django():
    middleware = DatabaseBusyMiddleware(lambda request: None)
    factory = RequestFactory()
    locked = OperationalError("database is locked")
    assert middleware.process_exception(factory.get("/cases/"), locked) is None
    post = factory.post("/cases/1/payments/new/", {"amount": "1"})
    assert middleware.process_exception(post, OperationalError("no such table: x")) is None


def test_passwords_are_not_written_into_the_page(client, world, short_wait):
    middleware = DatabaseBusyMiddleware(lambda request: None)
    request = RequestFactory().post(
        "/login/", {"username": "manager", "password": "s3cret-pw", "next": "/"}
    )
    request.user = world.manager
    response = middleware.process_exception(request, OperationalError("database is locked"))
    page = response.content.decode()
    assert response.status_code == 503
    assert "s3cret-pw" not in page and "manager" in page


def test_the_embedded_database_waits_with_wal_and_immediate_transactions():
    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        assert "transaction_mode" not in options
        return
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
