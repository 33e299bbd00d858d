"""Issuing letters and recording what became of them: sent, delivered with proof, returned.
Each step that reaches the owner is a contact attempt dated the day it happened; only a
delivery interrupts the limitation period."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from escalation.letter_records import (
    effective_deadline,
    letter_issue,
    letter_record_delivery,
    letter_record_dispatch,
    letter_record_return,
    letters_issue_batch,
)
from escalation.letters import issued_letter, letter_for
from escalation.limitation import DEMAND_DELIVERED
from escalation.limitation_records import unpaid_clocks
from escalation.models import Letter
from households.contact import household_set_written_only
from households.models import Channel, ContactAttempt, Outcome, PersonContacted
from tests.conftest import record_payment
from tests.escalation.conftest import TODAY, at, days, scan

pytestmark = pytest.mark.usefixtures("frozen", "media")

M = Decimal


def field_of(error: ValidationError) -> list[str]:
    return sorted(error.message_dict)


def code_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        (errors,) = error.error_dict.values()
        return errors[0].code
    return error.code


def issue(case, by, kind="demand", **kw):
    return letter_issue(case=case, kind=kind, by=by, **kw)


def deliver_in_person(letter, by, on=TODAY, **kw):
    kw.setdefault("proof", Letter.Proof.SIGNATURE)
    kw.setdefault("proof_detail", "业主本人签收")
    kw.setdefault("scans", [scan()])
    return letter_record_delivery(letter=letter, by=by, delivered_on=on, method="in_person", **kw)


def send_by_ems(letter, by, on=TODAY):
    return letter_record_dispatch(
        letter=letter, by=by, method=Letter.Method.EMS, sent_on=on, tracking_number="EA123456789CN"
    )


def local_day(attempt: ContactAttempt) -> datetime.date:
    return timezone.localdate(attempt.occurred_at)


# --- issuing -----------------------------------------------------------------------------------


def test_references_run_per_office_year_and_kind(world):
    refs = [
        issue(world.case_a, world.manager, "notice").reference,
        issue(world.case_b, world.manager, "notice").reference,
        issue(world.case_a, world.manager, "demand").reference,
        issue(world.other_case, world.other_manager, "notice").reference,
    ]
    assert refs == ["NORTH-2026-N0001", "NORTH-2026-N0002", "NORTH-2026-D0001", "SOUTH-2026-N0001"]


def test_a_new_year_starts_the_numbers_again(world):
    issue(world.case_a, world.manager, "demand")
    with time_machine.travel(at(datetime.date(2027, 1, 4)), tick=False):
        assert issue(world.case_a, world.manager, "demand").reference == "NORTH-2027-D0001"
        assert issue(world.case_b, world.manager, "demand").reference == "NORTH-2027-D0002"


def test_an_issued_letter_states_the_unpaid_months_and_the_deadline(world):
    letter = issue(world.case_a, world.manager, deadline_days=20)
    assert letter.status == Letter.Status.ISSUED and letter.dated == TODAY
    assert letter.deadline == TODAY + days(20)
    assert letter.total == M("1700.00") and letter.owners == ["张静"]
    assert letter.periods == [
        {"start": "2014-01-01", "end": "2015-05-01", "count": 17, "due": "1700.00", "paid": "0.00"}
    ]
    assert letter.issued_by == world.manager
    assert not ContactAttempt.objects.exists()  # issuing reaches nobody


def test_a_notice_has_no_deadline_whatever_days_are_asked(world):
    assert issue(world.case_a, world.manager, "notice", deadline_days=5).deadline is None


def test_the_letter_stays_as_issued_after_a_payment(world):
    letter = issue(world.case_a, world.manager)
    record_payment(world.house_a, "300.00", world.collector_a)
    letter.refresh_from_db()
    assert letter.total == M("1700.00")
    content = issued_letter(letter)
    assert [(r.start, r.count, r.balance) for r in content.ranges] == [
        (datetime.date(2014, 1, 1), 17, M("1700.00"))
    ]
    assert content.reference == letter.reference
    # A new letter today says what is owed now.
    assert letter_for(world.case_a, kind="demand", dated=TODAY).total == M("1400.00")


def test_nothing_owed_nothing_issued(world):
    record_payment(world.house_a, "1700.00", world.collector_a)
    with pytest.raises(ValidationError) as refused:
        issue(world.case_a, world.manager)
    assert refused.value.code == "nothing_owed"
    assert not Letter.objects.exists()


def test_a_demand_giving_less_than_15_days_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        issue(world.case_a, world.manager, deadline_days=14)
    assert field_of(refused.value) == ["deadline_days"]
    assert not Letter.objects.exists()
    assert issue(world.case_a, world.manager, deadline_days=15).deadline == TODAY + days(15)


def test_a_batch_skips_the_cases_that_owe_nothing(world):
    record_payment(world.house_b, "1700.00", world.collector_b)
    batch = letters_issue_batch(cases=[world.case_a, world.case_b], kind="notice", by=world.manager)
    assert [x.case for x in batch.letters] == [world.case_a]
    assert batch.skipped == [world.case_b]


# --- dispatch ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["ems", "registered_mail"])
def test_mail_needs_a_tracking_number(world, method):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        letter_record_dispatch(
            letter=letter, by=world.collector_a, method=method, sent_on=TODAY, tracking_number="   "
        )
    assert field_of(refused.value) == ["tracking_number"]
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and not ContactAttempt.objects.exists()


@pytest.mark.parametrize("method", ["courier", "in_person"])
def test_a_courier_or_a_hand_delivery_needs_no_tracking_number(world, method):
    letter = issue(world.case_a, world.manager, "notice")
    letter = letter_record_dispatch(
        letter=letter, by=world.collector_a, method=method, sent_on=TODAY
    )
    assert (letter.status, letter.method, letter.sent_on) == (Letter.Status.SENT, method, TODAY)


def test_dispatch_logs_a_sent_attempt_on_the_day_it_was_sent(world):
    letter = issue(world.case_a, world.manager, dated=TODAY - days(5))
    letter = send_by_ems(letter, world.collector_a, on=TODAY - days(2))
    attempt = letter.sent_attempt
    assert (attempt.channel, attempt.outcome) == (Channel.WRITTEN_DEMAND, Outcome.SENT)
    assert attempt.person_contacted == PersonContacted.OWNER
    assert attempt.case == world.case_a and attempt.made_by == world.collector_a
    assert local_day(attempt) == TODAY - days(2)
    assert letter.reference in attempt.notes and "EA123456789CN" in attempt.notes
    assert attempt.breaches == []


def test_a_notice_is_logged_on_the_payment_notice_channel(world):
    letter = send_by_ems(issue(world.case_a, world.manager, "notice"), world.collector_a)
    assert letter.sent_attempt.channel == Channel.PAYMENT_NOTICE
    assert local_day(letter.sent_attempt) == TODAY


def test_dispatch_in_the_future_is_refused(world):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        send_by_ems(letter, world.collector_a, on=TODAY + days(1))
    assert code_of(refused.value) == "future"


def test_dispatch_before_the_letters_date_is_refused(world):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        send_by_ems(letter, world.collector_a, on=TODAY - days(1))
    assert field_of(refused.value) == ["sent_on"] and code_of(refused.value) == "too_early"


def test_a_letter_is_sent_only_once(world):
    letter = send_by_ems(issue(world.case_a, world.manager), world.collector_a)
    with pytest.raises(ValidationError) as refused:
        send_by_ems(letter, world.collector_a)
    assert refused.value.code == "state"
    assert ContactAttempt.objects.count() == 1


def test_a_letter_is_sent_only_once_even_from_a_stale_copy(world):
    letter = issue(world.case_a, world.manager)
    stale = Letter.objects.get(pk=letter.pk)
    send_by_ems(letter, world.collector_a)
    with pytest.raises(ValidationError):
        letter_record_dispatch(
            letter=stale,
            by=world.collector_b,
            method="courier",
            sent_on=TODAY,
            tracking_number="SF1",
        )
    assert ContactAttempt.objects.count() == 1


# --- delivery ----------------------------------------------------------------------------------


def test_a_letter_handed_over_in_person_is_sent_and_delivered_at_once(world):
    letter = issue(world.case_a, world.manager, dated=TODAY - days(3))
    letter = deliver_in_person(letter, world.collector_a, on=TODAY - days(1))
    assert letter.status == Letter.Status.DELIVERED
    assert (letter.method, letter.sent_on, letter.delivered_on) == (
        "in_person",
        TODAY - days(1),
        TODAY - days(1),
    )
    assert (letter.proof, letter.proof_detail) == ("signature", "业主本人签收")
    attempt = letter.outcome_attempt
    assert (attempt.channel, attempt.outcome) == (Channel.WRITTEN_DEMAND, Outcome.DELIVERED)
    assert local_day(attempt) == TODAY - days(1)
    evidence = attempt.evidence.get()
    assert evidence.content_type == "image/png" and evidence.original_name == "receipt.png"
    assert ContactAttempt.objects.count() == 1  # one step, one attempt


def test_a_mailed_letter_is_delivered_with_the_tracking_record(world):
    letter = send_by_ems(issue(world.case_a, world.manager), world.collector_a)
    letter = letter_record_delivery(
        letter=letter,
        by=world.collector_a,
        delivered_on=TODAY,
        proof="tracking",
        proof_detail="EMS 妥投",
        scans=[scan("ems.png"), scan("ems2.png")],
    )
    assert letter.status == Letter.Status.DELIVERED and letter.method == "ems"
    assert letter.outcome_attempt.evidence.count() == 2
    assert ContactAttempt.objects.filter(outcome=Outcome.DELIVERED).count() == 1


@pytest.mark.parametrize("detail", ["", "   "])
def test_delivery_needs_who_signed_or_what_the_tracking_says(world, detail):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        deliver_in_person(letter, world.collector_a, proof_detail=detail)
    assert field_of(refused.value) == ["proof_detail"]


def test_delivery_needs_a_scan(world):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        deliver_in_person(letter, world.collector_a, scans=[])
    assert field_of(refused.value) == ["evidence"]
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and not ContactAttempt.objects.exists()


@pytest.mark.parametrize("method", ["", "ems", "courier"])
def test_a_letter_not_handed_over_must_be_recorded_as_sent_first(world, method):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        letter_record_delivery(
            letter=letter,
            by=world.collector_a,
            delivered_on=TODAY,
            proof="tracking",
            proof_detail="妥投",
            scans=[scan()],
            method=method,
        )
    assert code_of(refused.value) == "not_sent"


def test_tracking_proof_for_a_letter_handed_over_in_person_is_refused(world):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        deliver_in_person(letter, world.collector_a, proof="tracking")
    assert field_of(refused.value) == ["proof"]


def test_tracking_proof_for_a_letter_sent_by_hand_is_refused(world):
    letter = issue(world.case_a, world.manager)
    letter = letter_record_dispatch(
        letter=letter, by=world.collector_a, method="in_person", sent_on=TODAY
    )
    with pytest.raises(ValidationError) as refused:
        letter_record_delivery(
            letter=letter,
            by=world.collector_a,
            delivered_on=TODAY,
            proof="tracking",
            proof_detail="x",
            scans=[scan()],
        )
    assert field_of(refused.value) == ["proof"]


def test_delivery_before_the_letter_was_sent_is_refused(world):
    letter = issue(world.case_a, world.manager, dated=TODAY - days(5))
    letter = send_by_ems(letter, world.collector_a, on=TODAY - days(2))
    with pytest.raises(ValidationError) as refused:
        letter_record_delivery(
            letter=letter,
            by=world.collector_a,
            delivered_on=TODAY - days(3),
            proof="tracking",
            proof_detail="妥投",
            scans=[scan()],
        )
    assert field_of(refused.value) == ["delivered_on"] and code_of(refused.value) == "too_early"


def test_delivery_in_the_future_is_refused(world):
    letter = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        deliver_in_person(letter, world.collector_a, on=TODAY + days(1))
    assert code_of(refused.value) == "future"


def test_a_letter_is_delivered_only_once(world):
    letter = deliver_in_person(issue(world.case_a, world.manager), world.collector_a)
    with pytest.raises(ValidationError) as refused:
        deliver_in_person(letter, world.collector_a)
    assert refused.value.code == "state"


def test_a_returned_letter_cannot_be_delivered_from_a_stale_copy(world):
    letter = send_by_ems(issue(world.case_a, world.manager), world.collector_a)
    stale = Letter.objects.get(pk=letter.pk)
    letter_record_return(letter=letter, by=world.collector_a, returned_on=TODAY, reason="查无此人")
    with pytest.raises(ValidationError):
        letter_record_delivery(
            letter=stale,
            by=world.collector_b,
            delivered_on=TODAY,
            proof="tracking",
            proof_detail="妥投",
            scans=[scan()],
        )


def test_a_delivered_demand_restarts_the_limitation_clock_on_the_day_of_delivery(world, fresh_case):
    house = fresh_case.household_id
    assert unpaid_clocks([house])[house][0].clock.limit == datetime.date(2027, 1, 1)
    letter = send_by_ems(
        issue(fresh_case, world.manager, dated=TODAY - days(9)), world.manager, on=TODAY - days(8)
    )
    assert unpaid_clocks([house])[house][0].clock.limit == datetime.date(2027, 1, 1)  # sent only
    letter_record_delivery(
        letter=letter,
        by=world.manager,
        delivered_on=TODAY - days(6),
        proof="tracking",
        proof_detail="妥投",
        scans=[scan()],
    )
    clocks = unpaid_clocks([house])[house]
    assert {c.clock.limit for c in clocks} == {datetime.date(2029, 3, 10)}
    assert {c.clock.interrupted_by.kind for c in clocks} == {DEMAND_DELIVERED}


# --- return ------------------------------------------------------------------------------------


def test_only_a_letter_that_was_sent_can_come_back(world):
    issued = issue(world.case_a, world.manager)
    with pytest.raises(ValidationError) as refused:
        letter_record_return(letter=issued, by=world.collector_a, returned_on=TODAY, reason="拒收")
    assert refused.value.code == "state"
    delivered = deliver_in_person(issue(world.case_b, world.manager), world.collector_a)
    with pytest.raises(ValidationError) as refused:
        letter_record_return(
            letter=delivered, by=world.collector_a, returned_on=TODAY, reason="拒收"
        )
    assert refused.value.code == "state"


def test_a_return_needs_a_reason(world):
    letter = send_by_ems(issue(world.case_a, world.manager), world.collector_a)
    with pytest.raises(ValidationError) as refused:
        letter_record_return(letter=letter, by=world.collector_a, returned_on=TODAY, reason="  ")
    assert field_of(refused.value) == ["return_reason"]


def test_a_return_before_the_letter_was_sent_is_refused(world):
    letter = issue(world.case_a, world.manager, dated=TODAY - days(4))
    letter = send_by_ems(letter, world.collector_a, on=TODAY - days(2))
    with pytest.raises(ValidationError) as refused:
        letter_record_return(
            letter=letter, by=world.collector_a, returned_on=TODAY - days(3), reason="拒收"
        )
    assert code_of(refused.value) == "too_early"


def test_a_returned_letter_is_not_delivered_and_moves_no_limitation(world, fresh_case):
    house = fresh_case.household_id
    before = [c.clock.limit for c in unpaid_clocks([house])[house]]
    letter = send_by_ems(
        issue(fresh_case, world.manager, dated=TODAY - days(5)), world.manager, on=TODAY - days(4)
    )
    letter = letter_record_return(
        letter=letter, by=world.manager, returned_on=TODAY - days(1), reason=" 查无此人 "
    )
    assert letter.status == Letter.Status.RETURNED
    assert (letter.returned_on, letter.return_reason) == (TODAY - days(1), "查无此人")
    attempt = letter.outcome_attempt
    assert (attempt.channel, attempt.outcome) == (Channel.WRITTEN_DEMAND, Outcome.NOT_DELIVERED)
    assert local_day(attempt) == TODAY - days(1) and "查无此人" in attempt.notes
    assert [c.clock.limit for c in unpaid_clocks([house])[house]] == before
    assert effective_deadline(letter) is None


# --- effective deadline ------------------------------------------------------------------------


def test_a_demand_delivered_in_time_keeps_its_printed_deadline(world):
    letter = issue(world.case_a, world.manager, dated=TODAY - days(2), deadline_days=20)
    letter = deliver_in_person(letter, world.collector_a, on=TODAY - days(2))
    assert effective_deadline(letter) == letter.deadline == TODAY + days(18)


def test_a_demand_delivered_late_gives_15_days_from_its_arrival(world):
    letter = issue(world.case_a, world.manager, dated=TODAY - days(10))
    assert letter.deadline == TODAY + days(5)
    letter = deliver_in_person(letter, world.collector_a, on=TODAY)
    assert effective_deadline(letter) == TODAY + days(15)


def test_notices_and_undelivered_demands_have_no_effective_deadline(world):
    notice = deliver_in_person(issue(world.case_a, world.manager, "notice"), world.collector_a)
    assert effective_deadline(notice) is None
    sent = send_by_ems(issue(world.case_b, world.manager), world.collector_a)
    assert effective_deadline(sent) is None


# --- written contact only ----------------------------------------------------------------------


def test_letters_still_go_to_an_owner_who_asked_for_written_contact_only(world):
    household_set_written_only(
        household=world.house_a, since=TODAY - days(30), reason="只接受书面联系", by=world.manager
    )
    world.case_a.refresh_from_db()
    notice = send_by_ems(issue(world.case_a, world.manager, "notice"), world.collector_a)
    demand = deliver_in_person(issue(world.case_a, world.manager), world.collector_a)
    assert notice.status == Letter.Status.SENT and demand.status == Letter.Status.DELIVERED
    attempts = ContactAttempt.objects.filter(case=world.case_a)
    assert attempts.count() == 2
    assert [a.breaches for a in attempts] == [[], []]


# --- unlawful methods in a letter's texts (DESIGN.md §5.2) ----------------------------------


def test_a_return_reason_that_names_a_method_is_saved_and_flagged_for_the_manager(world):
    from arrears.models import Notification

    letter = send_by_ems(issue(world.case_a, world.manager), world.collector_a)
    letter = letter_record_return(
        letter=letter, by=world.collector_a, returned_on=TODAY, reason="拒收，建议到其单位送达"
    )
    assert letter.status == Letter.Status.RETURNED
    assert letter.outcome_attempt.flagged_terms == ["到其单位"]
    assert Notification.objects.filter(
        recipient=world.manager, kind=Notification.Kind.FLAG
    ).exists()


def test_a_plain_return_reason_is_not_flagged(world):
    letter = send_by_ems(issue(world.case_a, world.manager), world.collector_a)
    letter = letter_record_return(
        letter=letter, by=world.collector_a, returned_on=TODAY, reason="查无此人，单位地址不详"
    )
    assert letter.outcome_attempt.flagged_terms == []
