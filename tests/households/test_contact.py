import datetime
import threading
import time
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from arrears.models import Case, DebtPeriod, Notification, PromiseToPay
from households.contact import (
    PromiseInput,
    UnlawfulMethodError,
    attempt_log,
    contact_answers,
    household_set_written_only,
)
from households.evidence import MAX_EVIDENCE_BYTES
from households.models import AttemptEvidence, ContactAttempt, ContactPolicy
from tests.conftest import PNG, record_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday; the clock is frozen here so "now" and the allowed hours are known.
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)
PDF = b"%PDF-1.4\n%\xe2\xe3\n"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def log(world, at=NOON, **kw):
    kw.setdefault("channel", "phone_call")
    kw.setdefault("person_contacted", "owner")
    kw.setdefault("outcome", "no_answer")
    return attempt_log(case=world.case_a, by=world.collector_a, occurred_at=at, **kw)


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


def test_a_solo_visit_keeps_the_advice_it_did_not_follow_and_is_no_breach(world):
    attempt = log(world, channel="home_visit", staff_count=1)
    attempt.refresh_from_db()
    assert (attempt.breaches, attempt.warnings) == ([], ["visit_staff_recommended"])
    assert not Notification.objects.exists()  # advice, not a breach: nobody is alarmed


def test_a_call_keeps_no_visit_advice(world):
    assert log(world).warnings == []


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


def test_contact_answers_say_why_not_and_from_when(world):
    log(world, at=NOON.replace(hour=9))
    log(world, at=NOON.replace(hour=10))
    answers = contact_answers([world.house_a], now=NOON)[world.house_a.pk]
    assert not answers.call.allowed
    assert [r.code for r in answers.call.reasons] == ["calls_per_day"]
    assert answers.call.allowed_from == datetime.datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI)
    # Two calls say nothing about messages or visits.
    assert answers.message.allowed and answers.visit.allowed


def test_contact_answers_for_a_quiet_household_allow_all_three(world):
    assert contact_answers([world.house_a], now=NOON)[world.house_a.pk].all_allowed


# --- The same minute twice (issue 11, item 3) ------------------------------------------


def test_three_calls_at_the_same_minute_the_third_is_a_breach(world):
    ten = NOON.replace(hour=10)
    assert log(world, at=ten).breaches == []
    assert log(world, at=ten).breaches == []
    assert log(world, at=ten).breaches == ["calls_per_day"]


def test_two_messages_at_the_same_minute_the_second_is_a_breach(world):
    ten = NOON.replace(hour=10)
    assert log(world, at=ten, channel="sms", message_has_opt_out=True).breaches == []
    second = log(world, at=ten, channel="wechat", message_has_opt_out=True)
    assert second.breaches == ["messages_per_day"]


def test_two_visits_at_the_same_minute_the_second_is_a_breach(world):
    ten = NOON.replace(hour=10)
    assert log(world, at=ten, channel="home_visit", staff_count=2).breaches == []
    second = log(world, at=ten, channel="home_visit", staff_count=2)
    assert second.breaches == ["visits_per_7_days"]


def test_the_history_tells_saved_attempts_apart_by_their_key(world):
    from households.contact import household_history

    ten = NOON.replace(hour=10)
    first, second = log(world, at=ten), log(world, at=ten)
    history = household_history([world.house_a.pk], NOON)[world.house_a.pk]
    assert [a.key for a in history] == [first.pk, second.pk]


# --- Exemptions on the record (issue 11, item 4) ---------------------------------------


def yesterday(hour, minute=0):
    return NOON.replace(hour=hour, minute=minute) - datetime.timedelta(days=1)


def test_the_owners_request_needs_the_owners_words(world):
    with pytest.raises(ValidationError) as error:
        log(world, at=yesterday(21, 30), at_owners_request=True)
    assert "owners_request_note" in error.value.message_dict
    assert not ContactAttempt.objects.exists()


def test_a_call_at_21_30_at_the_owners_request_is_an_exemption_on_the_record(world):
    attempt = log(
        world,
        at=yesterday(21, 30),
        at_owners_request=True,
        owners_request_note="白天上班，晚上九点半后打",
    )
    assert attempt.breaches == []
    assert attempt.exemptions == ["owners_requested_time"]
    assert attempt.owners_request_note == "白天上班，晚上九点半后打"
    note = Notification.objects.get(recipient=world.manager)
    assert note.kind == Notification.Kind.APPROVAL and "C6-101" in note.title
    assert "白天上班" in note.body
    assert ContactAttempt.objects.exemptions_to_review().get() == attempt


@pytest.mark.parametrize(
    ("channel", "hour", "minute", "extra"),
    [
        ("phone_call", 23, 30, {}),
        ("phone_call", 23, 55, {}),
        ("sms", 2, 0, {"message_has_opt_out": True}),
        ("home_visit", 3, 0, {"staff_count": 3}),
    ],
)
def test_the_owners_request_at_night_is_a_breach(world, channel, hour, minute, extra):
    attempt = log(
        world,
        at=yesterday(hour, minute),
        channel=channel,
        at_owners_request=True,
        owners_request_note="业主说随时可以联系",
        **extra,
    )
    assert attempt.breaches == ["hours"]
    assert attempt.exemptions == []


def test_the_owners_request_does_not_skip_the_quiet_period(world):
    log(world, at=yesterday(10), outcome="talked")
    attempt = log(world, at=NOON, at_owners_request=True, owners_request_note="业主让中午再打")
    assert attempt.breaches == ["quiet_after_conversation"]


@pytest.mark.parametrize(
    ("minutes", "breaches"), [(59, []), (60, []), (61, ["quiet_after_conversation"])]
)
def test_an_agreed_call_back_exempts_within_an_hour(world, minutes, breaches):
    log(world, at=yesterday(10), outcome="talked", callback_at=yesterday(15))
    attempt = log(world, at=yesterday(15) + datetime.timedelta(minutes=minutes))
    assert attempt.breaches == breaches
    assert attempt.exemptions == ([] if breaches else ["agreed_callback"])


def test_walked_in_is_only_for_office_meetings(world):
    with pytest.raises(ValidationError) as error:
        log(world, owner_walked_in=True)
    assert "owner_walked_in" in error.value.message_dict


def test_handed_over_in_person_is_only_for_papers(world):
    with pytest.raises(ValidationError) as error:
        log(world, delivered_in_person=True)
    assert "delivered_in_person" in error.value.message_dict


# --- Hours for every channel that reaches the owner (issue 11, item 5) ---------------


def test_a_meeting_at_the_office_at_22_00_is_a_breach(world):
    attempt = log(world, at=yesterday(22), channel="office_meeting", outcome="talked")
    assert attempt.breaches == ["hours"]


def test_an_owner_who_walked_in_at_22_00_is_exempt_and_on_the_record(world):
    attempt = log(
        world, at=yesterday(22), channel="office_meeting", outcome="talked", owner_walked_in=True
    )
    assert attempt.breaches == [] and attempt.exemptions == ["owner_walked_in"]
    assert attempt.owner_walked_in


def test_a_notice_handed_over_at_night_is_a_breach(world):
    attempt = log(
        world,
        at=yesterday(22, 30),
        channel="payment_notice",
        outcome="delivered",
        delivered_in_person=True,
    )
    assert attempt.breaches == ["hours"] and attempt.delivered_in_person


def test_a_notice_posted_is_not_held_to_the_hours(world):
    attempt = log(world, at=yesterday(22, 30), channel="payment_notice", outcome="sent")
    assert attempt.breaches == []


# --- The office manager's review --------------------------------------------------------


def exempt_call(world):
    return log(world, at=yesterday(21, 30), at_owners_request=True, owners_request_note="晚上打")


def test_the_manager_accepts_an_exemption(world):
    from households.contact import exemption_decide
    from households.models import IS_BREACH

    attempt = exempt_call(world)
    review = exemption_decide(attempt=attempt, decision="accept", by=world.manager)
    assert review.decision == "accept" and review.breaches == []
    assert not ContactAttempt.objects.exemptions_to_review().exists()
    assert not ContactAttempt.objects.filter(IS_BREACH).exists()


def test_an_exemption_marked_as_a_breach_counts_as_a_breach(world):
    from households.contact import exemption_decide

    attempt = exempt_call(world)
    exemption_decide(
        attempt=attempt, decision="breach", note="业主未提出，属夜间催收", by=world.manager
    )
    attempt = ContactAttempt.objects.get(pk=attempt.pk)
    assert attempt.breaches == []  # the attempt as logged is unchanged
    assert attempt.all_breaches == ["hours"] and attempt.is_breach
    assert list(ContactAttempt.objects.breached()) == [attempt]


def test_marking_as_a_breach_needs_a_note(world):
    from households.contact import exemption_decide

    with pytest.raises(ValidationError) as error:
        exemption_decide(attempt=exempt_call(world), decision="breach", by=world.manager)
    assert "note" in error.value.message_dict


def test_an_exemption_is_reviewed_once(world):
    from households.contact import exemption_decide

    attempt = exempt_call(world)
    exemption_decide(attempt=attempt, decision="accept", by=world.manager)
    with translation.override("en"), pytest.raises(ValidationError, match="already reviewed"):
        exemption_decide(attempt=attempt, decision="breach", note="改判", by=world.manager)


def test_an_attempt_without_exemptions_cannot_be_reviewed(world):
    from households.contact import exemption_decide

    with translation.override("en"), pytest.raises(ValidationError, match="no exemption"):
        exemption_decide(attempt=log(world), decision="accept", by=world.manager)


def test_a_posted_decision_that_is_not_offered_is_refused(world):
    from households.contact import exemption_decide

    with pytest.raises(ValidationError) as error:
        exemption_decide(attempt=exempt_call(world), decision="ignore", by=world.manager)
    assert "decision" in error.value.message_dict


def test_a_reviewed_breach_voids_the_clearance_in_scoring(world):
    from households.contact import exemption_decide
    from teams.standings import load_facts

    attempt = exempt_call(world)
    owed = sum(
        DebtPeriod.objects.filter(household=world.house_a).values_list("amount_due", flat=True)
    )
    record_payment(world.house_a, str(owed), world.collector_a)
    facts = load_facts(world.campaign)
    assert facts.clearances and not facts.clearances[0].breached_before
    exemption_decide(attempt=attempt, decision="breach", note="夜间催收", by=world.manager)
    assert load_facts(world.campaign).clearances[0].breached_before


# --- Two sessions at once (needs PostgreSQL's row locks) --------------------------------


def _run_in_thread(name, fn, errors):
    from django.db import connections

    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append((name, exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_visits_saved_at_once_from_two_sessions_the_second_is_a_breach(world, monkeypatch):
    from django.db import connection

    from households import contact

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://… (.ci/run does)")
    first_inside, release_first = threading.Event(), threading.Event()
    real_check = contact.check_attempt

    def check_pausing_first(*args, **kwargs):
        # "first" holds the household's lock here until the test sees "second" waiting for it.
        if threading.current_thread().name == "first":
            first_inside.set()
            assert release_first.wait(20), "test never released the first visit"
        return real_check(*args, **kwargs)

    monkeypatch.setattr(contact, "check_attempt", check_pausing_first)
    ten = NOON.replace(hour=10)
    visit = lambda: log(world, at=ten, channel="home_visit", staff_count=2)  # noqa: E731
    errors = []
    first = _run_in_thread("first", visit, errors)
    assert first_inside.wait(20)
    second = _run_in_thread("second", visit, errors)
    waiting = False
    deadline = time.monotonic() + 20
    with connection.cursor() as cursor:
        while time.monotonic() < deadline and not waiting:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0] == 1
            time.sleep(0.05)
    release_first.set()
    first.join(30)
    second.join(30)
    assert not errors, errors
    assert waiting, "the second visit never waited for the first one's lock"
    visits = list(ContactAttempt.objects.order_by("pk").values_list("breaches", flat=True))
    assert visits == [[], ["visits_per_7_days"]]
