"""The legal stage: opened only after a delivered demand's deadline has passed, followed step
by step, and waivers of what a court did not award that move the ledger only once an office
manager approves them."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from arrears.cases import case_balance
from arrears.models import Case, DebtorCategory, Notification
from escalation.ladder import ALREADY_OPEN, DEADLINE_NOT_PASSED, NO_DEMAND, NOTHING_OWED
from escalation.letter_records import (
    letter_issue,
    letter_record_delivery,
    letter_record_dispatch,
    letter_record_return,
)
from escalation.limitation import LEGAL_FILING
from escalation.limitation_records import unpaid_clocks
from escalation.models import LegalAction, LegalStep, Waiver, WaiverAllocation
from escalation.proceedings import (
    LegalStageRefused,
    legal_open,
    legal_position,
    legal_record_step,
    split_waiver,
    waiver_decide,
)
from tests.conftest import add_months, record_payment, set_campaign_months
from tests.escalation.conftest import TODAY, days, scan

pytestmark = pytest.mark.usefixtures("frozen", "media")

M = Decimal
D = datetime.date


def deliver_demand(case, by, *, dated, delivered_on=None):
    letter = letter_issue(case=case, kind="demand", by=by, dated=dated)
    return letter_record_delivery(
        letter=letter,
        by=by,
        delivered_on=delivered_on or dated,
        proof="signature",
        proof_detail="业主签收",
        scans=[scan()],
        method="in_person",
    )


@pytest.fixture
def ready(world, fresh_case):
    """fresh_case with a demand delivered 20 days ago: its deadline passed 5 days ago."""
    deliver_demand(fresh_case, world.manager, dated=TODAY - days(20))
    return fresh_case


@pytest.fixture
def action(world, ready):
    return legal_open(case=ready, by=world.manager, route="payment_order")


def step(action, by, stage, on=TODAY, **kw):
    return legal_record_step(action=action, by=by, stage=stage, on=on, **kw)


def decide(action, by, awarded, stage="decided"):
    step(action, by, "filed", institution="北苑区人民法院")
    return step(action, by, stage, awarded=M(awarded))


def balance(case) -> Decimal:
    due, paid, _n = case_balance(case)
    return due - paid


def refusal_code(case, by, route="payment_order") -> str:
    with pytest.raises(LegalStageRefused) as refused:
        legal_open(case=case, by=by, route=route)
    return refused.value.code


# --- opening the legal stage -------------------------------------------------------------------


def test_no_demand_no_legal_stage(world, fresh_case):
    assert refusal_code(fresh_case, world.manager) == NO_DEMAND
    fresh_case.refresh_from_db()
    assert fresh_case.status == Case.Status.OPEN and not LegalAction.objects.exists()


def test_a_demand_sent_but_not_delivered_does_not_count(world, fresh_case):
    letter = letter_issue(case=fresh_case, kind="demand", by=world.manager, dated=TODAY - days(30))
    letter_record_dispatch(
        letter=letter,
        by=world.manager,
        method="ems",
        sent_on=TODAY - days(30),
        tracking_number="EA1",
    )
    assert refusal_code(fresh_case, world.manager) == NO_DEMAND


def test_a_delivered_notice_is_not_a_demand(world, fresh_case):
    notice = letter_issue(case=fresh_case, kind="notice", by=world.manager, dated=TODAY - days(30))
    letter_record_delivery(
        letter=notice,
        by=world.manager,
        delivered_on=TODAY - days(30),
        proof="signature",
        proof_detail="签收",
        scans=[scan()],
        method="in_person",
    )
    assert refusal_code(fresh_case, world.manager) == NO_DEMAND


def test_the_legal_stage_opens_the_day_after_the_deadline_not_on_it(world, fresh_case, frozen):
    deliver_demand(fresh_case, world.manager, dated=TODAY)  # deadline TODAY + 15
    with pytest.raises(LegalStageRefused) as refused:
        legal_open(case=fresh_case, by=world.manager, route="payment_order")
    assert refused.value.code == DEADLINE_NOT_PASSED
    assert (TODAY + days(16)).isoformat() in refused.value.messages[0]

    frozen.shift(days(15))  # the deadline day: the owner may still pay
    assert refusal_code(fresh_case, world.manager) == DEADLINE_NOT_PASSED
    frozen.shift(days(1))
    action = legal_open(case=fresh_case, by=world.manager, route="payment_order")
    assert action.steps.get().on == TODAY + days(16)


def test_a_demand_delivered_late_gives_15_days_from_its_arrival(world, fresh_case):
    # Dated 20 days ago (printed deadline: 5 days ago) but delivered only 10 days ago.
    deliver_demand(fresh_case, world.manager, dated=TODAY - days(20), delivered_on=TODAY - days(10))
    assert refusal_code(fresh_case, world.manager) == DEADLINE_NOT_PASSED


def test_opening_sets_the_case_to_legal_and_claims_the_balance(world, ready):
    record_payment(ready.household, "300.00", world.collector_a)
    action = legal_open(case=ready, by=world.manager, route="lawsuit")
    ready.refresh_from_db()
    assert ready.status == Case.Status.LEGAL
    assert action.claimed == M("900.00") and action.route == "lawsuit"
    assert action.suggested_route == "payment_order"  # what was suggested is kept
    assert action.demand.kind == "demand" and action.demand.case == ready
    assert action.opened_by == world.manager
    assert [(s.stage, s.on) for s in action.steps.all()] == [("preparing", TODAY)]


def test_the_legal_stage_is_not_opened_twice(world, action):
    assert refusal_code(action.case, world.manager) == ALREADY_OPEN
    assert LegalAction.objects.count() == 1


def test_nothing_owed_no_legal_stage(world, ready):
    record_payment(ready.household, "1200.00", world.collector_a)
    assert refusal_code(ready, world.manager) == NOTHING_OWED


def test_arbitration_without_a_clause_is_refused(world, ready):
    assert legal_position(ready).suggestion.route == "payment_order"
    with pytest.raises(ValidationError) as refused:
        legal_open(case=ready, by=world.manager, route="arbitration")
    assert sorted(refused.value.message_dict) == ["route"]
    ready.refresh_from_db()
    assert ready.status == Case.Status.OPEN and not LegalAction.objects.exists()


def test_with_an_arbitration_clause_arbitration_is_suggested_and_allowed(world, ready):
    world.office.arbitration_clause = True
    world.office.save()
    assert legal_position(ready).suggestion.route == "arbitration"
    action = legal_open(case=ready, by=world.manager, route="arbitration")
    assert action.route == action.suggested_route == "arbitration"


def test_with_an_arbitration_clause_a_suit_is_refused(world, ready):
    world.office.arbitration_clause = True
    world.office.save()
    with pytest.raises(ValidationError) as refused:
        legal_open(case=ready, by=world.manager, route="lawsuit")
    assert sorted(refused.value.message_dict) == ["route"]


def test_an_unreachable_owner_who_signed_for_the_demand_can_be_served(world, ready):
    ready.category = DebtorCategory.UNREACHABLE
    ready.save()
    assert legal_position(ready).suggestion.route == "payment_order"


def test_an_unreachable_owner_reached_only_by_mail_cannot_be_served(world, fresh_case):
    fresh_case.category = DebtorCategory.UNREACHABLE
    fresh_case.save()
    letter = letter_issue(case=fresh_case, kind="demand", by=world.manager, dated=TODAY - days(20))
    letter_record_dispatch(
        letter=letter,
        by=world.manager,
        method="ems",
        sent_on=TODAY - days(20),
        tracking_number="EA3",
    )
    letter_record_delivery(
        letter=letter,
        by=world.manager,
        delivered_on=TODAY - days(18),
        proof="tracking",
        proof_detail="妥投（他人代收）",
        scans=[scan()],
    )
    assert legal_position(fresh_case).suggestion.route == "lawsuit"


def test_a_grievance_makes_the_suggestion_a_suit(world, ready):
    ready.category = DebtorCategory.GRIEVANCE
    ready.save()
    assert legal_position(ready).suggestion.route == "lawsuit"


def test_a_case_not_yet_classified_is_never_suggested_a_payment_order(world, ready):
    ready.category = DebtorCategory.UNCLASSIFIED
    ready.save()
    with translation.override("en"):
        position = legal_position(ready)
    assert position.refusal is None  # the stage may open: a suit, with mediation offered
    assert position.suggestion.route == "lawsuit"
    assert any("not yet classified" in r for r in position.suggestion.reasons)


def test_a_letter_that_came_back_after_the_delivery_makes_the_suggestion_a_suit(world, ready):
    letter = letter_issue(case=ready, kind="notice", by=world.manager, dated=TODAY - days(3))
    letter_record_dispatch(
        letter=letter,
        by=world.manager,
        method="ems",
        sent_on=TODAY - days(3),
        tracking_number="EA2",
    )
    letter_record_return(
        letter=letter, by=world.manager, returned_on=TODAY - days(1), reason="查无此人"
    )
    assert legal_position(ready).suggestion.route == "lawsuit"


# --- steps -------------------------------------------------------------------------------------


def test_steps_go_forward_and_may_skip_a_hearing(world, action):
    step(action, world.manager, "filed", institution="北苑区人民法院", docket_number="(2026)支1号")
    action = step(action, world.manager, "decided", awarded=M("1200.00"), court_fees=M("25"))
    assert action.stage == "decided" and action.institution == "北苑区人民法院"
    assert action.docket_number == "(2026)支1号" and action.court_fees == M("25.00")
    assert [s.stage for s in action.steps.all()] == ["preparing", "filed", "decided"]


def test_a_step_backwards_is_refused(world, action):
    step(action, world.manager, "hearing", institution="北苑区人民法院")
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, "filed", institution="北苑区人民法院")
    assert sorted(refused.value.message_dict) == ["stage"]
    action.refresh_from_db()
    assert action.stage == "hearing" and action.steps.count() == 2


@pytest.mark.parametrize("stage", ["decided", "settled"])
def test_a_decision_or_settlement_without_an_amount_is_refused(world, action, stage):
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, stage)
    assert sorted(refused.value.message_dict) == ["awarded"]


def test_a_filing_without_the_court_or_commission_is_refused(world, action):
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, "filed", institution="")
    assert sorted(refused.value.message_dict) == ["institution"]


def test_a_step_in_the_future_is_refused(world, action):
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, "filed", on=TODAY + days(1), institution="法院")
    assert sorted(refused.value.message_dict) == ["on"]


def test_a_negative_amount_is_refused(world, action):
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, "filed", institution="法院", court_fees=M("-1"))
    assert sorted(refused.value.message_dict) == ["court_fees"]


def test_a_filing_interrupts_the_limitation_period_on_its_day(world, action):
    house = action.case.household_id
    step(action, world.manager, "filed", on=TODAY - days(2), institution="北苑区人民法院")
    step(action, world.manager, "hearing", on=TODAY)  # a hearing interrupts nothing new
    clocks = unpaid_clocks([house])[house]
    assert {c.clock.limit for c in clocks} == {D(2029, 3, 14)}
    assert {c.clock.interrupted_by.kind for c in clocks} == {LEGAL_FILING}


def test_a_filing_before_the_legal_stage_could_open_is_refused(world, action):
    # The demand's deadline was TODAY - 5: the legal stage could open from TODAY - 4.
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, "filed", on=TODAY - days(5), institution="北苑区人民法院")
    assert sorted(refused.value.message_dict) == ["on"]
    assert not LegalStep.objects.filter(stage="filed").exists()


def test_a_filing_recorded_a_few_days_late_keeps_its_own_day(world, action):
    house = action.case.household_id
    step(action, world.manager, "filed", on=TODAY - days(4), institution="北苑区人民法院")
    assert action.steps.get(stage="filed").on == TODAY - days(4)
    assert {c.clock.limit for c in unpaid_clocks([house])[house]} == {D(2029, 3, 12)}


def test_a_step_dated_before_the_previous_step_is_refused(world, action):
    step(action, world.manager, "filed", on=TODAY - days(2), institution="北苑区人民法院")
    with pytest.raises(ValidationError) as refused:
        step(action, world.manager, "hearing", on=TODAY - days(3))
    assert sorted(refused.value.message_dict) == ["on"]
    assert step(action, world.manager, "hearing", on=TODAY - days(2)).stage == "hearing"


def test_closing_hands_the_case_back_open_when_nothing_was_paid(world, action):
    step(action, world.manager, "closed", note="撤诉")
    case = Case.objects.get(pk=action.case_id)
    assert case.status == Case.Status.OPEN
    with pytest.raises(ValidationError):
        step(action, world.manager, "closed")


def test_closing_hands_the_case_back_partly_paid_after_a_payment(world, action):
    record_payment(action.case.household, "100.00", world.collector_a)
    assert Case.objects.get(pk=action.case_id).status == Case.Status.LEGAL  # a part payment
    step(action, world.manager, "closed")
    assert Case.objects.get(pk=action.case_id).status == Case.Status.PARTLY_PAID


def test_after_closing_a_new_legal_action_may_open(world, action):
    step(action, world.manager, "closed")
    again = legal_open(case=action.case, by=world.manager, route="lawsuit")
    assert again.pk != action.pk


# --- waivers proposed by a decision or a settlement --------------------------------------------


def test_a_judgment_for_less_proposes_a_waiver_of_the_difference(world, action):
    decide(action, world.manager, "1000.00")
    waiver = Waiver.objects.get()
    assert (waiver.amount, waiver.basis, waiver.status) == (M("200.00"), "judgment", "pending")
    assert waiver.case == action.case and waiver.requested_by == world.manager
    assert balance(action.case) == M("1200.00")  # nothing moves before approval
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (world.manager, Notification.Kind.APPROVAL)
    assert "200" in note.title and f"/cases/{action.case_id}" in note.url


def test_a_settlement_for_less_is_a_settlement_waiver(world, action):
    decide(action, world.manager, "700.00", stage="settled")
    assert Waiver.objects.get().basis == "settlement"
    assert Waiver.objects.get().amount == M("500.00")


@pytest.mark.parametrize("agreed", ["1200.00", "1500.00"])
def test_a_settlement_for_the_full_amount_proposes_no_waiver(world, action, agreed):
    decide(action, world.manager, agreed, stage="settled")
    assert not Waiver.objects.exists() and not Notification.objects.exists()


def test_payments_during_the_proceedings_are_out_of_the_waiver(world, action):
    record_payment(action.case.household, "300.00", world.collector_a)
    decide(action, world.manager, "800.00")
    assert Waiver.objects.get().amount == M("100.00")  # owed 900, awarded 800


def test_a_judgment_for_the_whole_claim_proposes_no_waiver_of_months_never_claimed(
    world, fresh_case, frozen
):
    # The campaign collects 2024 (1,200.00); the household also owes January–March 2025.
    add_months(fresh_case.household, [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)])
    set_campaign_months(world.campaign, arrears_through=D(2024, 12, 1))
    deliver_demand(fresh_case, world.manager, dated=TODAY - days(20))
    action = legal_open(case=fresh_case, by=world.manager, route="payment_order")
    assert action.claimed == M("1200.00")
    # Months later the manager widens the campaign to 2025-03; then the order is made.
    frozen.shift(days(60))
    set_campaign_months(world.campaign, arrears_through=D(2025, 3, 1))
    decide(action, world.manager, "1200.00")
    assert not Waiver.objects.exists()


def test_a_second_decision_while_a_waiver_is_pending_is_refused(world, action):
    decide(action, world.manager, "1000.00")
    with pytest.raises(ValidationError):
        step(action, world.manager, "settled", awarded=M("900.00"))
    action.refresh_from_db()
    assert action.stage == "decided" and action.awarded == M("1000.00")
    assert Waiver.objects.count() == 1
    assert not LegalStep.objects.filter(stage="settled").exists()


# --- deciding a waiver -------------------------------------------------------------------------


@pytest.fixture
def pending(world, action):
    decide(action, world.manager, "1000.00")
    return Waiver.objects.get()


@pytest.mark.parametrize("who", ["leader_a", "collector_a", "ops", "other_manager"])
def test_only_a_manager_of_the_office_decides_a_waiver(world, pending, who):
    with pytest.raises(PermissionDenied):
        waiver_decide(waiver=pending, by=world.roles[who], approve=True)
    pending.refresh_from_db()
    assert pending.status == Waiver.Status.PENDING
    assert balance(pending.case) == M("1200.00")


def test_an_approved_waiver_lowers_the_oldest_months_first(world, action):
    # Owed 1,200; 150 paid during the proceedings (January, half of February); awarded 800.
    record_payment(action.case.household, "150.00", world.collector_a)
    decide(action, world.manager, "800.00")
    waiver = waiver_decide(
        waiver=Waiver.objects.get(), by=world.manager, approve=True, note=" 同意 "
    )
    assert waiver.status == Waiver.Status.APPROVED and waiver.amount == M("250.00")
    assert (waiver.decided_by, waiver.decision_note) == (world.manager, "同意")
    assert waiver.decided_at is not None
    allocations = WaiverAllocation.objects.filter(waiver=waiver).order_by("period__month")
    assert [(a.period.month, a.amount) for a in allocations] == [
        (D(2024, 2, 1), M("50.00")),
        (D(2024, 3, 1), M("100.00")),
        (D(2024, 4, 1), M("100.00")),
    ]
    periods = {p.month: p for p in action.case.periods()}
    assert (periods[D(2024, 1, 1)].amount_due, periods[D(2024, 1, 1)].amount_paid) == (
        M("100.00"),
        M("100.00"),
    )
    assert (periods[D(2024, 2, 1)].amount_due, periods[D(2024, 2, 1)].amount_paid) == (
        M("50.00"),
        M("50.00"),
    )
    assert all(p.amount_paid <= p.amount_due for p in periods.values())
    assert balance(action.case) == M("800.00")
    assert Case.objects.get(pk=action.case_id).status == Case.Status.LEGAL


def test_a_waiver_larger_than_what_is_now_owed_is_refused(world, pending):
    # 200 to waive, but the owner has since paid 1,100 of the 1,200: only 100 is owed.
    record_payment(pending.case.household, "1100.00", world.collector_a)
    with pytest.raises(ValidationError) as refused:
        waiver_decide(waiver=pending, by=world.manager, approve=True)
    assert refused.value.code == "too_large"
    pending.refresh_from_db()
    assert pending.status == Waiver.Status.PENDING and not WaiverAllocation.objects.exists()
    assert balance(pending.case) == M("100.00")


def test_a_waiver_that_brings_the_balance_to_zero_closes_the_case(world, action):
    record_payment(action.case.household, "1000.00", world.collector_a)
    decide(action, world.manager, "0.00")  # the court awards none of the last 200
    waiver = waiver_decide(waiver=Waiver.objects.get(), by=world.manager, approve=True)
    assert waiver.amount == M("200.00")
    case = Case.objects.get(pk=action.case_id)
    assert case.status == Case.Status.CLOSED and case.closed_reason
    assert balance(case) == 0


def test_a_refused_waiver_changes_no_ledger(world, pending):
    before = list(pending.case.periods().values_list("month", "amount_due", "amount_paid"))
    waiver = waiver_decide(waiver=pending, by=world.manager, approve=False, note="应上诉")
    assert waiver.status == Waiver.Status.REFUSED and waiver.decided_by == world.manager
    assert list(pending.case.periods().values_list("month", "amount_due", "amount_paid")) == before
    assert not WaiverAllocation.objects.exists()


def test_a_waiver_is_decided_once(world, pending):
    waiver_decide(waiver=pending, by=world.manager, approve=False)
    with pytest.raises(ValidationError) as refused:
        waiver_decide(waiver=pending, by=world.manager, approve=True)
    assert refused.value.code == "state"


def test_after_a_refusal_the_step_can_be_recorded_again_for_the_right_amount(world, pending):
    waiver_decide(waiver=pending, by=world.manager, approve=False)
    step(Waiver.objects.get().action, world.manager, "decided", awarded=M("1100.00"))
    assert [w.amount for w in Waiver.objects.order_by("pk")] == [M("200.00"), M("100.00")]


# --- split_waiver ------------------------------------------------------------------------------


def test_split_waiver_takes_the_oldest_months_first():
    assert split_waiver([(1, M("100")), (2, M("100")), (3, M("100"))], M("150")) == [
        (1, M("100")),
        (2, M("50")),
    ]


def test_split_waiver_that_fits_exactly():
    assert split_waiver([(1, M("100")), (2, M("40"))], M("140")) == [(1, M("100")), (2, M("40"))]


def test_split_waiver_skips_months_with_nothing_owed():
    assert split_waiver([(1, M("0")), (2, M("30")), (3, M("100"))], M("50")) == [
        (2, M("30")),
        (3, M("20")),
    ]


def test_split_waiver_larger_than_owed_raises():
    with pytest.raises(ValueError):
        split_waiver([(1, M("100")), (2, M("100"))], M("200.01"))


def test_split_waiver_of_nothing_takes_nothing():
    assert split_waiver([(1, M("100"))], M("0")) == []


# --- unlawful methods in legal-stage notes (DESIGN.md §5.2) ---------------------------------


def test_a_legal_step_note_that_names_a_method_is_saved_and_flagged(world, action):
    step(
        action, world.manager, "filed", institution="北苑区人民法院", note="开庭前再去其单位找一次"
    )
    assert action.steps.get(stage="filed").flagged_terms == ["去其单位"]
    assert Notification.objects.filter(
        kind=Notification.Kind.FLAG, recipient=world.manager
    ).exists()


def test_a_waiver_decision_that_approves_a_method_is_refused_and_nothing_moves(world, action):
    from django.utils import translation

    decide(action, world.manager, "1000.00")
    waiver = Waiver.objects.get()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        waiver_decide(
            waiver=waiver, by=world.manager, approve=True, note="同意减免，余款未付则停水"
        )
    assert "Civil Code art. 944" in refused.value.message_dict["note"][0]
    waiver.refresh_from_db()
    assert waiver.status == "pending" and balance(action.case) == M("1200.00")


def test_a_plain_waiver_decision_is_not_flagged(world, action):
    decide(action, world.manager, "1000.00")
    waiver = waiver_decide(
        waiver=Waiver.objects.get(), by=world.manager, approve=True, note="按判决执行"
    )
    assert waiver.flagged_terms == []
