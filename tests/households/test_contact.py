import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.models import Case, Notification, PromiseToPay
from households.contact import (
    MAX_EVIDENCE_BYTES,
    PromiseInput,
    UnlawfulMethodError,
    attempt_log,
    contact_status,
    household_set_written_only,
)
from households.models import AttemptEvidence, ContactAttempt, ContactPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday; the clock is frozen here so "now" and the allowed hours are known.
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\n"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def log(world, at=NOON, **kw):
    kw.setdefault("channel", "phone_call")
    kw.setdefault("person_contacted", "owner")
    kw.setdefault("outcome", "no_answer")
    return attempt_log(case=world.case_a, made_by=world.collector_a, occurred_at=at, **kw)


def test_a_lawful_call_is_saved_without_breaches(world):
    attempt = log(world, notes="无人接听，稍后再打")
    assert attempt.breaches == [] and attempt.flagged_terms == []
    assert not Notification.objects.exists()


def test_a_call_at_22_30_is_saved_as_an_hours_breach_and_the_manager_is_told(world):
    late = NOON.replace(hour=22, minute=30) - datetime.timedelta(days=1)
    attempt = log(world, at=late)
    assert attempt.pk and attempt.breaches == ["hours"]
    note = Notification.objects.get(recipient=world.manager)
    assert note.kind == Notification.Kind.BREACH and "C6-101" in note.title
    assert not Notification.objects.filter(recipient=world.other_manager).exists()


def test_the_third_call_of_a_day_breaches_the_daily_limit(world):
    log(world, at=NOON.replace(hour=9))
    log(world, at=NOON.replace(hour=10))
    assert log(world, at=NOON.replace(hour=11)).breaches == ["calls_per_day"]


def test_the_office_policy_decides_the_limits(world):
    ContactPolicy.objects.create(office=world.office, calls_per_day=1)
    log(world, at=NOON.replace(hour=9))
    assert log(world, at=NOON.replace(hour=10)).breaches == ["calls_per_day"]


def test_a_written_only_household_gets_breaches_for_calls_but_not_for_letters(world):
    household_set_written_only(
        household=world.house_a, since=NOON.date(), reason="业主要求书面联系", by=world.collector_a
    )
    assert log(world).breaches == ["written_only"]
    letter = log(world, channel="written_demand", outcome="delivered")
    assert letter.breaches == []


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("channel", "cut_water", "utility_cutoff"),
        ("channel", "停电", "utility_cutoff"),
        ("channel", "banner", "public_shaming"),
        ("outcome", "employer", "workplace_contact"),
    ],
)
def test_an_unlawful_method_is_refused_with_its_rule_and_nothing_is_saved(
    world, field, value, rule
):
    posted = {"channel": "phone_call", "outcome": "no_answer", field: value}
    with pytest.raises(UnlawfulMethodError) as error:
        log(world, posted=posted)
    assert [f.code for f in error.value.forbidden] == [rule]
    assert str(error.value.forbidden[0].reason)
    assert not ContactAttempt.objects.exists()


def test_notes_that_mention_unlawful_methods_are_saved_and_flagged(world):
    attempt = log(world, notes="业主不交就停水", next_step="去单位蹲守")
    assert attempt.breaches == []
    assert attempt.flagged_terms == ["停水", "去单位", "蹲守"]
    assert Notification.objects.get(recipient=world.manager).kind == Notification.Kind.FLAG


def test_an_attempt_cannot_be_in_the_future(world):
    with pytest.raises(ValidationError) as error:
        log(world, at=NOON + datetime.timedelta(hours=1))
    assert error.value.error_dict["occurred_at"][0].code == "future"
    assert not ContactAttempt.objects.exists()


def test_a_back_dated_attempt_is_allowed(world):
    attempt = log(world, at=NOON - datetime.timedelta(days=2))
    assert attempt.occurred_at < attempt.recorded_at


def test_a_visit_needs_the_number_of_staff(world):
    with pytest.raises(ValidationError) as error:
        log(world, channel="home_visit")
    assert "staff_count" in error.value.error_dict
    assert log(world, channel="home_visit", staff_count=4).breaches == ["visit_staff_max"]


def test_an_unrelated_person_told_of_the_debt_is_a_breach(world):
    attempt = log(
        world, person_contacted="unrelated", outcome="talked", third_party_told_of_debt=True
    )
    assert attempt.breaches == ["third_party_disclosure"]


def test_a_promise_is_recorded_with_the_attempt_and_the_case_becomes_promised(world):
    attempt = log(
        world,
        outcome="promised",
        promise=PromiseInput(amount=D("500.00"), due_date=NOON.date() + datetime.timedelta(days=7)),
    )
    promise = PromiseToPay.objects.get()
    assert promise.attempt == attempt and promise.amount == D("500.00")
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.PROMISED


def test_a_promised_outcome_needs_the_amount_and_date(world):
    with pytest.raises(ValidationError) as error:
        log(world, outcome="promised")
    assert "promise_amount" in error.value.error_dict


def test_evidence_photos_and_pdfs_are_kept(world):
    files = [SimpleUploadedFile("notice.png", PNG), SimpleUploadedFile("receipt.pdf", PDF)]
    attempt = log(world, channel="payment_notice", outcome="delivered", evidence=files)
    kept = list(
        AttemptEvidence.objects.filter(attempt=attempt).values_list("content_type", flat=True)
    )
    assert kept == ["image/png", "application/pdf"]


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("virus.png", b"MZ\x90\x00 not a picture"), "file_type"),
        (SimpleUploadedFile("big.pdf", PDF + b"0" * MAX_EVIDENCE_BYTES), "file_too_large"),
    ],
)
def test_other_files_are_refused_and_nothing_is_saved(world, upload, code):
    with pytest.raises(ValidationError) as error:
        log(world, evidence=[upload])
    assert error.value.error_dict["evidence"][0].code == code
    assert not ContactAttempt.objects.exists()


def test_contact_status_says_why_not_and_from_when(world):
    log(world, at=NOON.replace(hour=9))
    log(world, at=NOON.replace(hour=10))
    status = contact_status(world.house_a)
    assert not status.allowed
    assert [r.code for r in status.reasons] == ["calls_per_day"]
    assert status.allowed_from == datetime.datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI)


def test_contact_status_for_a_quiet_household_is_allowed(world):
    assert contact_status(world.house_a).allowed
