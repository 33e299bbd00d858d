"""The office side of a dispute (issue 17.2): the answer letter whose delivery ends the pause,
the manager's resolution, and an upheld dispute's waiver applied to the disputed months."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from arrears.models import Case, DebtPeriod, Notification
from escalation import dispute_answers
from escalation.dispute_answers import dispute_answer_issue, dispute_decide
from escalation.letter_records import letter_record_delivery, letter_record_dispatch
from escalation.letters import issued_letter, letter_for
from escalation.limitation import DEMAND_DELIVERED
from escalation.limitation_records import household_interruptions
from escalation.models import Letter, Waiver, WaiverAllocation
from escalation.proceedings import waiver_decide
from households import disputes
from households.contact import DISPUTED_STATE, contact_answers
from households.models import ContactAttempt, Dispute
from tests.conftest import record_payment
from tests.escalation.conftest import TODAY, at, days, scan

pytestmark = pytest.mark.usefixtures("frozen", "english")


@pytest.fixture
def english():
    """Refusals read in English, whatever language the worker was left in."""
    with translation.override("en"):
        yield


FOUND = "经查收费系统，2014年1月、2月款项确已缴纳，收据号R-1001。"
PROPOSED = "上述两个月的费用予以核销，不再催缴。"


def months(world, *numbers):
    wanted = [datetime.date(2014, m, 1) for m in numbers]
    return list(DebtPeriod.objects.filter(household=world.house_a, month__in=wanted))


def record(world, **kw):
    fields = {
        "case": world.case_a,
        "kind": "months",
        "months": months(world, 3, 4),
        "words": "三月四月我交过了",
        "source": "call",
        "by": world.collector_a,
    }
    fields.update(kw)
    return disputes.dispute_record(**fields)


def fresh(dispute):
    return dispute_answers.dispute_queryset().get(pk=dispute.pk)


def answer(world, dispute, by=None):
    return dispute_answer_issue(
        dispute=fresh(dispute), by=by or world.collector_a, found=FOUND, proposed=PROPOSED
    )


def deliver(world, letter, day=None):
    return letter_record_delivery(
        letter=letter,
        by=world.collector_a,
        method="in_person",
        delivered_on=day or timezone.localdate(),
        proof="signature",
        proof_detail="张静 本人签收",
        scans=[scan()],
    )


def answered(world, **kw):
    dispute = record(world, **kw)
    deliver(world, answer(world, dispute))
    return fresh(dispute)


# --- the answer letter --------------------------------------------------------------------


def test_the_answer_letter_says_what_was_disputed_found_and_proposed_and_names_no_staff(world):
    dispute = record(world)
    letter = answer(world, dispute)
    assert letter.kind == Letter.Kind.ANSWER and letter.dispute_id == dispute.pk
    assert letter.reference == "NORTH-2026-A0001" and letter.deadline is None
    assert letter.total == Decimal("200.00")  # the two disputed months
    content = issued_letter(letter)
    assert content.title == "异议答复函"
    text = content.paragraphs()
    body = " ".join([text["intro"], *text["body"], text["contact"]])
    for said in ("三月四月我交过了", FOUND, PROPOSED, "2026年3月16日", "联系电话"):
        assert said in body
    assert [r[0] for r in content.rows] == ["2014年3月至2014年4月（2个月）"]
    for name in ("李收费", "赵组长", world.collector_a.username):
        assert name not in str(text)
    assert text["payment"] == ""  # an answer asks for no payment


def test_the_answer_needs_what_was_found_and_what_is_proposed(world):
    dispute = fresh(record(world))
    with pytest.raises(ValidationError) as caught:
        dispute_answer_issue(dispute=dispute, by=world.manager, found=" ", proposed=PROPOSED)
    assert "found" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        dispute_answer_issue(dispute=dispute, by=world.manager, found=FOUND, proposed="")
    assert "proposed" in caught.value.message_dict
    assert not Letter.objects.exists()


def test_one_answer_at_a_time_and_none_after_the_answer_was_delivered(world):
    dispute = record(world)
    letter = answer(world, dispute)
    with pytest.raises(ValidationError, match="not yet delivered"):
        answer(world, dispute)
    letter_record_dispatch(
        letter=letter,
        by=world.collector_a,
        method="ems",
        sent_on=TODAY,
        tracking_number="EA1",
    )
    from escalation.letter_records import letter_record_return

    letter_record_return(letter=letter, by=world.collector_a, returned_on=TODAY, reason="查无此人")
    second = answer(world, dispute)  # the first came back: a new one may go
    deliver(world, second)
    with pytest.raises(ValidationError, match="already delivered"):
        answer(world, dispute)
    assert Letter.objects.filter(dispute=dispute).count() == 2


def test_the_months_stay_paused_until_the_answers_delivery_is_recorded_and_resume_right_after(
    world, frozen
):
    every = list(DebtPeriod.objects.filter(household=world.house_a))
    dispute = record(world, months=every)
    start = timezone.now()
    assert disputes.household_pause(world.house_a.pk, start) == dispute.recorded_at
    frozen.shift(days(1))
    letter = answer(world, dispute)
    frozen.shift(days(1))
    letter_record_dispatch(
        letter=letter,
        by=world.collector_a,
        method="ems",
        sent_on=timezone.localdate(),
        tracking_number="EA2",
    )
    frozen.shift(days(3))
    # Issued and sent is not delivered: still paused, letters still leave the months out.
    assert disputes.household_pause(world.house_a.pk, timezone.now()) is not None
    answers = contact_answers([world.house_a], now=timezone.now())[world.house_a.pk]
    assert {a.state for a in answers.items()} == {DISPUTED_STATE}
    assert letter_for(world.case_a, kind="notice", dated=timezone.localdate()).total == 0
    delivered_at = timezone.now()
    deliver(world, Letter.objects.get(pk=letter.pk))
    assert disputes.household_pause(world.house_a.pk, delivered_at) is None
    before = delivered_at - datetime.timedelta(minutes=1)
    assert disputes.household_pause(world.house_a.pk, before) == dispute.recorded_at
    assert disputes.answered_at(fresh(dispute)) == delivered_at
    notice = letter_for(world.case_a, kind="notice", dated=timezone.localdate())
    assert notice.total == Decimal("1700.00") and not notice.under_review
    answers = contact_answers([world.house_a], now=timezone.now())[world.house_a.pk]
    assert DISPUTED_STATE not in {a.state for a in answers.items()}


def test_an_answer_delivered_on_the_day_it_was_issued_ends_the_pause_no_earlier_than_its_issue(
    world, frozen
):
    frozen.move_to(at(TODAY, 15))  # recorded and issued after noon
    dispute = record(world)
    letter = answer(world, dispute)
    frozen.move_to(at(TODAY + days(2), 9))
    deliver(world, letter, day=TODAY)  # handed over the same afternoon, recorded later
    assert disputes.answered_at(fresh(dispute)) == letter.issued_at


def test_the_answers_delivery_is_written_contact_that_restarts_no_limitation_period(world):
    deliver(world, answer(world, record(world)))
    attempt = ContactAttempt.objects.get(household=world.house_a, outcome="delivered")
    assert attempt.channel == "dispute_answer"
    found = household_interruptions([world.house_a.pk]).get(world.house_a.pk)
    assert found is None or DEMAND_DELIVERED not in {e.kind for e in found.events}


# --- the resolution -----------------------------------------------------------------------


def test_resolving_before_the_answer_and_twice_is_refused(world):
    dispute = record(world)
    with pytest.raises(ValidationError, match="written answer first"):
        dispute_decide(dispute=dispute, by=world.manager, outcome="settled", note="已协商")
    deliver(world, answer(world, dispute))
    dispute_decide(dispute=dispute, by=world.manager, outcome="settled", note="业主同意分两期缴")
    with pytest.raises(ValidationError, match="already resolved"):
        dispute_decide(dispute=dispute, by=world.manager, outcome="rejected", note="x")
    assert [e.kind for e in fresh(dispute).events.all()] == ["answered", "settled"]


@pytest.mark.parametrize("outcome", ["rejected", "settled"])
def test_rejected_needs_the_reason_and_settled_what_was_agreed(world, outcome):
    dispute = answered(world)
    with pytest.raises(ValidationError) as caught:
        dispute_decide(dispute=dispute, by=world.manager, outcome=outcome, note="  ")
    assert "note" in caught.value.message_dict
    assert disputes.status(fresh(dispute)) == disputes.ANSWERED


def test_only_the_office_manager_of_the_office_resolves(world):
    dispute = answered(world)
    for user in (world.collector_a, world.leader_a, world.other_manager):
        with pytest.raises(PermissionDenied):
            dispute_decide(dispute=dispute, by=user, outcome="rejected", note="收据号查无此款")
    assert disputes.status(fresh(dispute)) == disputes.ANSWERED


def test_upheld_proposes_a_waiver_of_the_disputed_months_for_the_managers_approval(world):
    dispute = answered(world)
    event, waiver = dispute_decide(
        dispute=dispute, by=world.manager, outcome="upheld", note="收据属实"
    )
    assert event.kind == "upheld"
    assert waiver.basis == Waiver.Basis.DISPUTE and waiver.action is None
    assert waiver.dispute_id == dispute.pk and waiver.amount == Decimal("200.00")
    assert waiver.status == Waiver.Status.PENDING
    assert DebtPeriod.objects.get(household=world.house_a, month="2014-03-01").amount_due == 100
    notice = Notification.objects.get(recipient=world.manager, kind="approval")
    assert notice.url.endswith(f"/disputes/{dispute.pk}/")


def test_an_approved_dispute_waiver_comes_off_the_disputed_months_first(world):
    dispute = answered(world)
    _event, waiver = dispute_decide(
        dispute=dispute, by=world.manager, outcome="upheld", note="收据属实"
    )
    waiver_decide(waiver=waiver, by=world.manager, approve=True, note="同意核销")
    touched = {a.period.month: a.amount for a in WaiverAllocation.objects.select_related("period")}
    assert touched == {
        datetime.date(2014, 3, 1): Decimal("100.00"),
        datetime.date(2014, 4, 1): Decimal("100.00"),
    }  # not January and February, the oldest
    assert DebtPeriod.objects.get(household=world.house_a, month="2014-01-01").amount_due == 100


def test_a_case_cleared_by_a_dispute_waiver_is_not_closed_in_the_legal_stage(world):
    every = list(DebtPeriod.objects.filter(household=world.house_a))
    dispute = answered(world, months=every)
    _event, waiver = dispute_decide(
        dispute=dispute, by=world.manager, outcome="upheld", note="属实"
    )
    assert waiver.amount == Decimal("1700.00")
    waiver_decide(waiver=waiver, by=world.manager, approve=True)
    case = Case.objects.get(pk=world.case_a.pk)
    assert case.status == Case.Status.CLOSED
    with translation.override("en"):
        assert "legal stage" not in case.closed_reason
        assert "dispute" in case.closed_reason


def test_a_waiver_larger_than_the_balance_is_refused(world):
    dispute = answered(world)
    with pytest.raises(ValidationError) as caught:
        dispute_decide(
            dispute=dispute,
            by=world.manager,
            outcome="upheld",
            note="属实",
            amount=Decimal("1700.01"),
        )
    assert "amount" in caught.value.message_dict
    assert not Waiver.objects.exists()
    assert disputes.status(fresh(dispute)) == disputes.ANSWERED  # nothing half-saved


def test_a_dispute_waiver_that_payments_overtook_is_refused_at_approval(world):
    dispute = answered(world)
    _event, waiver = dispute_decide(
        dispute=dispute, by=world.manager, outcome="upheld", note="属实", amount=Decimal("1700")
    )
    record_payment(world.house_a, "100.00", world.collector_a)
    with pytest.raises(ValidationError, match="more than is still owed"):
        waiver_decide(waiver=waiver, by=world.manager, approve=True)
    assert Waiver.objects.get(pk=waiver.pk).status == Waiver.Status.PENDING


def test_an_amount_dispute_proposes_the_amount_and_a_repaired_leak_may_waive_nothing(world):
    dispute = answered(world, kind="amount", months=[], amount=Decimal("300.00"))
    assert dispute_answers.proposed_waiver(dispute) == Decimal("300.00")
    service = answered(world, kind="service", months=[], cause="leak_unrepaired")
    assert dispute_answers.proposed_waiver(service) == 0
    _event, waiver = dispute_decide(
        dispute=service, by=world.manager, outcome="upheld", note="已修复", amount=Decimal("0")
    )
    assert waiver is None and disputes.status(fresh(service)) == disputes.RESOLVED


def test_the_limitation_clock_is_not_restarted_by_the_dispute_or_its_answer(world):
    before = household_interruptions([world.house_a.pk]).get(world.house_a.pk)
    dispute = answered(world)
    dispute_decide(dispute=dispute, by=world.manager, outcome="rejected", note="查无此款")
    after = household_interruptions([world.house_a.pk]).get(world.house_a.pk)
    assert (before.events if before else []) == (after.events if after else [])


def test_a_dispute_keeps_its_history_nothing_edited(world):
    dispute = answered(world)
    dispute_decide(dispute=dispute, by=world.manager, outcome="rejected", note="查无此款")
    assert Dispute.objects.get(pk=dispute.pk).words == "三月四月我交过了"
    with time_machine.travel(timezone.now() + days(1)):
        assert [e.kind for e in fresh(dispute).events.all()] == ["answered", "rejected"]


def test_the_answer_prints_as_a_word_file_too_with_or_without_months(world):
    import io

    from docx import Document

    from escalation.letter_docx import letters_docx

    with_months = answer(world, record(world))
    service = record(world, kind="service", months=[], cause="cleaning", words="楼道没人打扫")
    deliver(world, with_months)
    without = answer(world, service)
    data = letters_docx([issued_letter(with_months), issued_letter(without)])
    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.count("异议答复函") == 2 and FOUND in text and "楼道没人打扫" in text
    assert len(document.tables) == 1  # the service dispute names no months: no table
