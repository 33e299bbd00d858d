"""Dates out of range and amounts that are not numbers are refused with a message, never a 500.

The inputs below are the ones that answered 500 before (issue 12)."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from arrears import inputs
from arrears.models import Summary
from households.models import ContactAttempt
from imports.ledger_import import LedgerFileError, parse_workbook
from tests.imports.test_ledger_import import FLAT_HEADERS, GOOD, xlsx

ABSURD_DAYS = ["9999-12-31", "0001-01-01"]


@pytest.fixture(autouse=True)
def in_english(settings, client):
    """The messages are asserted in English (their msgids); the product shows them in Chinese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


# --- the rules, without HTTP ----------------------------------------------------------------


def test_the_range_runs_from_2000_to_five_years_ahead():
    today = timezone.localdate()
    assert inputs.parse_day("2000-01-01") == inputs.EARLIEST_DATE
    assert inputs.parse_day(str(inputs.latest_date())) == inputs.latest_date()
    assert inputs.latest_date() == today.replace(year=today.year + 5)
    for text in ("1999-12-31", str(inputs.latest_date() + datetime.timedelta(days=1))):
        with pytest.raises(ValueError, match="Enter a date from 2000-01-01"):
            inputs.parse_day(text)


def test_the_29th_of_february_reaches_the_28th_five_years_on():
    assert inputs.latest_date(datetime.date(2028, 2, 29)) == datetime.date(2033, 2, 28)


@pytest.mark.parametrize("text", ["", "2026-13-01", "yesterday", None, "2026-03-16T10:00"])
def test_what_is_not_a_day_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        inputs.parse_day(text)


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-inf", "1e999999", "abc", ""])
def test_an_amount_that_is_not_a_finite_number_is_refused(text):
    with pytest.raises(ValueError, match="as a number"):
        inputs.parse_amount(text)


def test_the_money_field_refuses_nan_and_too_many_digits():
    field = inputs.MoneyField()
    assert field.clean("1234.50") == Decimal("1234.50")
    for text in ("NaN", "sNaN", "Infinity", "1e20", "12345678901.00"):
        with pytest.raises(ValidationError):
            field.clean(text)


def test_the_moment_field_refuses_year_one_and_9999():
    field = inputs.SaneDateTimeField(input_formats=["%Y-%m-%dT%H:%M"])
    for text in ("0001-01-01T00:00", "9999-12-31T23:59"):
        with pytest.raises(ValidationError, match="Enter a date from"):
            field.clean(text)


# --- the pages that answered 500 ------------------------------------------------------------


@pytest.mark.parametrize("day", ABSURD_DAYS)
def test_the_weekly_report_of_an_absurd_week_is_refused_with_the_range(client, world, day):
    client.force_login(world.director)
    response = client.get(reverse("weekly-report"), {"week_of": day})
    assert response.status_code == 400
    assert "Enter a date from 2000-01-01" in response.content.decode()


@pytest.mark.parametrize("day", ABSURD_DAYS)
def test_run_now_for_an_absurd_day_is_refused_with_the_range(client, world, day):
    client.force_login(world.director)
    response = client.post(reverse("summary-run"), {"kind": "daily_office", "date": day})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Enter a date from 2000-01-01" in page
    assert not Summary.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "0001-01-01T10:00", "9999-12-31T23:59"])
def test_an_attempt_dated_in_year_one_is_refused_on_the_form(client, world, when):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {
            "channel": "phone_call",
            "person_contacted": "owner",
            "outcome": "no_answer",
            "occurred_at": when,
        },
    )
    assert response.status_code in (200, 400)  # the form again, with the error under the field
    assert "Enter a date from 2000-01-01" in response.content.decode()
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize(
    "line", ["2026-12-15 NaN", "2026-12-15 sNaN", "2026-12-15 Infinity", "0001-01-01 500"]
)
def test_a_plan_with_an_instalment_that_is_not_a_number_is_refused(client, world, line):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("plan-new", args=[world.case_a.pk]),
        {"agreed_on": str(timezone.localdate()), "instalments": line},
    )
    assert response.status_code == 400
    assert "Line 1" in response.content.decode()
    assert not world.case_a.payment_plans.exists()


@pytest.mark.parametrize("day", ABSURD_DAYS)
def test_an_absurd_date_in_the_payment_list_filter_is_answered(client, world, day):
    client.force_login(world.manager)
    for name in ("payment-list", "attempt-list"):
        response = client.get(reverse(name), {"date_from": day, "date_to": day})
        assert response.status_code < 500


# --- a workbook damaged inside its zip -------------------------------------------------------


def _with_part(name: str, content: bytes) -> io.BytesIO:
    """A real workbook with one of its XML parts replaced."""
    good = xlsx([GOOD], headers=FLAT_HEADERS).getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, content if item.filename == name else src.read(item.filename))
    out.seek(0)
    return out


@pytest.mark.parametrize(
    "part",
    ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml", "xl/styles.xml"],
)
def test_broken_xml_inside_a_valid_zip_is_a_damaged_file(part):
    with pytest.raises(LedgerFileError, match="damaged"):
        parse_workbook(_with_part(part, b"<not xml"))


def test_ids_larger_than_the_database_stores_are_skipped():
    huge = str(inputs.MAX_ID + 1)
    assert inputs.parse_ids(["3", huge, "99999999999999999999", "x", "", "0", "-1", "١٢"]) == [3]
    assert inputs.parse_ids([str(inputs.MAX_ID)]) == [inputs.MAX_ID]


def test_a_letter_list_of_an_id_beyond_the_database_is_answered(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("letter-list"), {"id": "99999999999999999999"})
    assert response.status_code == 200


def test_a_batch_of_cases_beyond_the_database_is_answered(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("letter-batch"), {"kind": "demand", "case": ["99999999999999999999"]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("case-list")
    assert not world.case_a.letters.exists()


def test_marking_read_an_id_beyond_the_database_is_answered(client, world):
    client.force_login(world.manager)
    response = client.post(reverse("inbox-read"), {"id": "99999999999999999999"})
    assert response.status_code == 302


@pytest.mark.parametrize("value", ["1e999999", "NaN", "-Infinity", "99999999999999999999"])
def test_a_balance_filter_beyond_any_amount_is_refused_and_the_list_shown(client, world, value):
    client.force_login(world.manager)
    response = client.get(reverse("case-list"), {"balance_min": value})
    assert response.status_code == 200
    assert response.context["filter"].errors["balance_min"]
    assert world.case_a.household.unit_code in response.content.decode()
