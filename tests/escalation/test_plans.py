"""Payment plans: instalments followed like promises, what a plan may say, and the plan as
an acknowledgement that restarts the limitation clock (Civil Code art. 195)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from arrears.models import Case, DebtorCategory
from arrears.promises import BROKEN, KEPT, PENDING
from escalation.limitation import PAYMENT_PLAN
from escalation.limitation_records import unpaid_clocks
from escalation.models import Instalment, PaymentPlan
from escalation.plans import (
    COMPLETED,
    DEFAULTED,
    MAX_INSTALMENTS,
    RUNNING,
    instalment_states,
    plan_record,
    plan_state,
    plans_for_case,
)
from tests.conftest import make_case, make_household, record_payment, set_campaign_months
from tests.escalation.conftest import TODAY, at, days

D = datetime.date
M = Decimal
AGREED = D(2026, 3, 1)


def states(instalments, payments, today, agreed_on=AGREED):
    return instalment_states(
        [(d, M(a)) for d, a in instalments],
        [(d, M(a)) for d, a in payments],
        agreed_on=agreed_on,
        today=today,
    )


# --- instalment_states and plan_state: no database ---------------------------------------------


def test_amounts_owed_and_paid_are_cumulative():
    result = states(
        [(D(2026, 3, 10), "100"), (D(2026, 4, 10), "150"), (D(2026, 5, 10), "50")],
        [(D(2026, 3, 5), "100"), (D(2026, 4, 1), "100")],
        today=D(2026, 4, 20),
    )
    assert [s.owed_by_then for s in result] == [M("100"), M("250"), M("300")]
    assert [s.paid_by_then for s in result] == [M("100"), M("200"), M("200")]
    assert [s.state for s in result] == [KEPT, BROKEN, PENDING]


def test_an_early_payment_counts_for_the_later_instalments():
    result = states(
        [(D(2026, 4, 1), "100"), (D(2026, 5, 1), "100"), (D(2026, 6, 1), "100")],
        [(D(2026, 3, 2), "200")],
        today=D(2026, 3, 16),
    )
    assert [s.state for s in result] == [KEPT, KEPT, PENDING]
    assert plan_state(result) == RUNNING


def test_a_late_payment_does_not_mend_a_broken_instalment():
    result = states(
        [(D(2026, 3, 10), "100"), (D(2026, 4, 10), "100")],
        [(D(2026, 3, 11), "200")],
        today=D(2026, 4, 20),
    )
    # The March instalment was a day late; April's cumulative 200 was there in time.
    assert [s.state for s in result] == [BROKEN, KEPT]
    assert plan_state(result) == DEFAULTED


def test_payments_before_the_plan_was_agreed_do_not_count():
    result = states([(D(2026, 3, 10), "100")], [(D(2026, 2, 28), "100")], today=D(2026, 3, 11))
    assert result[0].paid_by_then == 0
    assert result[0].state == BROKEN


def test_a_payment_on_the_day_the_plan_was_agreed_counts():
    result = states([(D(2026, 3, 10), "100")], [(AGREED, "100")], today=D(2026, 3, 11))
    assert result[0].state == KEPT


def test_on_the_due_date_itself_an_unpaid_instalment_is_pending_not_broken():
    due = D(2026, 3, 16)
    assert states([(due, "100")], [], today=due)[0].state == PENDING
    assert states([(due, "100")], [], today=due + days(1))[0].state == BROKEN


def test_a_payment_on_the_due_date_keeps_it():
    due = D(2026, 3, 16)
    assert states([(due, "100")], [(due, "100")], today=due + days(1))[0].state == KEPT


def test_instalments_are_taken_in_date_order_whatever_order_they_come_in():
    result = states(
        [(D(2026, 5, 1), "50"), (D(2026, 4, 1), "100")],
        [(D(2026, 3, 20), "100")],
        today=D(2026, 5, 2),
    )
    assert [s.due_date for s in result] == [D(2026, 4, 1), D(2026, 5, 1)]
    assert [s.state for s in result] == [KEPT, BROKEN]


def test_a_plan_is_completed_when_every_instalment_is_kept():
    result = states(
        [(D(2026, 3, 10), "100"), (D(2026, 4, 10), "100")],
        [(D(2026, 3, 10), "100"), (D(2026, 4, 9), "100")],
        today=D(2026, 4, 20),
    )
    assert plan_state(result) == COMPLETED


def test_a_plan_without_instalments_is_running():
    assert plan_state([]) == RUNNING


# --- plan_record: what a plan may say ----------------------------------------------------------


def record(case, by, instalments, agreed_on=TODAY, **kw):
    return plan_record(
        case=case, by=by, agreed_on=agreed_on, instalments=[(d, M(a)) for d, a in instalments], **kw
    )


def refused_field(error: ValidationError) -> list[str]:
    return sorted(error.message_dict)


@pytest.fixture
def plan_case(frozen, fresh_case):
    return fresh_case  # owes 1,200.00


def test_a_plan_is_recorded_with_its_total_and_the_case_becomes_promised(plan_case, world):
    plan = record(
        plan_case,
        world.collector_a,
        [(TODAY + days(60), "300"), (TODAY + days(30), "200.50")],
        note="  门口签字  ",
    )
    assert plan.total == M("500.50") and plan.note == "门口签字"
    assert list(plan.instalments.values_list("due_date", "amount")) == [
        (TODAY + days(30), M("200.50")),
        (TODAY + days(60), M("300.00")),
    ]
    plan_case.refresh_from_db()
    assert plan_case.status == Case.Status.PROMISED


def test_a_plan_agreed_in_the_future_is_refused(plan_case, world):
    with pytest.raises(ValidationError) as refused:
        record(plan_case, world.collector_a, [(TODAY + days(30), "100")], agreed_on=TODAY + days(1))
    assert refused_field(refused.value) == ["agreed_on"]
    assert not PaymentPlan.objects.exists()


def test_two_instalments_on_the_same_day_are_refused(plan_case, world):
    with pytest.raises(ValidationError) as refused:
        record(plan_case, world.collector_a, [(TODAY + days(30), "100"), (TODAY + days(30), "50")])
    assert refused_field(refused.value) == ["instalments"]
    assert not PaymentPlan.objects.exists()


def test_an_instalment_before_the_day_the_plan_was_agreed_is_refused(plan_case, world):
    with pytest.raises(ValidationError) as refused:
        record(
            plan_case,
            world.collector_a,
            [(TODAY - days(1), "100"), (TODAY + days(30), "100")],
        )
    assert refused_field(refused.value) == ["instalments"]


def test_an_instalment_on_the_day_the_plan_was_agreed_is_allowed(plan_case, world):
    plan = record(
        plan_case, world.collector_a, [(TODAY - days(3), "100")], agreed_on=TODAY - days(3)
    )
    assert plan.instalments.get().due_date == TODAY - days(3)


@pytest.mark.parametrize("amount", ["0", "-10"])
def test_an_instalment_of_nothing_is_refused(plan_case, world, amount):
    with pytest.raises(ValidationError) as refused:
        record(
            plan_case, world.collector_a, [(TODAY + days(10), "100"), (TODAY + days(40), amount)]
        )
    assert refused_field(refused.value) == ["instalments"]
    assert not Instalment.objects.exists()


def test_a_plan_for_more_than_is_owed_is_refused(plan_case, world):
    with pytest.raises(ValidationError) as refused:
        record(
            plan_case, world.collector_a, [(TODAY + days(10), "600"), (TODAY + days(40), "600.01")]
        )
    assert refused_field(refused.value) == ["instalments"]
    assert not PaymentPlan.objects.exists()


def test_a_plan_for_exactly_what_is_owed_is_allowed(plan_case, world):
    plan = record(
        plan_case, world.collector_a, [(TODAY + days(10), "600"), (TODAY + days(40), "600")]
    )
    assert plan.total == M("1200.00")


def test_what_is_owed_is_counted_after_payments(plan_case, world):
    record_payment(plan_case.household, "300.00", world.collector_a)
    with pytest.raises(ValidationError):
        record(plan_case, world.collector_a, [(TODAY + days(10), "900.01")])
    assert record(plan_case, world.collector_a, [(TODAY + days(10), "900")]).total == M("900.00")


def test_more_than_sixty_instalments_are_refused(plan_case, world):
    rows = [(TODAY + days(i + 1), "10") for i in range(MAX_INSTALMENTS + 1)]
    with pytest.raises(ValidationError) as refused:
        record(plan_case, world.collector_a, rows)
    assert refused_field(refused.value) == ["instalments"]
    sixty = record(plan_case, world.collector_a, rows[:MAX_INSTALMENTS])
    assert sixty.instalments.count() == MAX_INSTALMENTS == 60


def test_a_plan_without_instalments_is_refused(plan_case, world):
    with pytest.raises(ValidationError) as refused:
        record(plan_case, world.collector_a, [])
    assert refused_field(refused.value) == ["instalments"]


# --- plans_for_case ----------------------------------------------------------------------------


def test_plans_for_case_follows_payments_newest_plan_first(plan_case, world):
    older = record(
        plan_case, world.collector_a, [(TODAY - days(5), "100")], agreed_on=TODAY - days(10)
    )
    newer = record(
        plan_case,
        world.collector_a,
        [(TODAY, "200"), (TODAY + days(30), "200")],
        agreed_on=TODAY - days(2),
    )
    # 00:30 in Shanghai is still the previous day in UTC: the local day is what counts.
    record_payment(plan_case.household, "200.00", world.collector_a, paid_at=at(TODAY, 0, 30))
    views = plans_for_case(plan_case, today=TODAY)
    assert [v.plan for v in views] == [newer, older]
    assert [s.state for s in views[0].instalments] == [KEPT, PENDING]
    assert views[0].state == RUNNING and views[0].next_due.due_date == TODAY + days(30)
    # The older plan's instalment fell due before the payment: broken, and stays broken.
    assert views[1].state == DEFAULTED and views[1].next_due is None


def test_a_reversed_payment_keeps_nothing(plan_case, world):
    from arrears.payments import payment_reverse

    record(plan_case, world.collector_a, [(TODAY, "100")], agreed_on=TODAY - days(1))
    paid = record_payment(plan_case.household, "100.00", world.collector_a)
    assert plans_for_case(plan_case, today=TODAY)[0].state == COMPLETED
    payment_reverse(payment=paid, by=world.manager, reason="录错")
    assert plans_for_case(plan_case, today=TODAY)[0].instalments[0].state == PENDING


def test_a_case_without_plans_has_none(plan_case):
    assert plans_for_case(plan_case) == []


def queries_for(case) -> int:
    case = Case.objects.get(pk=case.pk)
    with CaptureQueriesContext(connection) as captured:
        views = plans_for_case(case, today=TODAY)
        for view in views:
            [s.state for s in view.instalments]
    return len(captured)


def test_plans_for_case_takes_the_same_few_queries_for_one_plan_or_five(plan_case, world):
    record(plan_case, world.collector_a, [(TODAY + days(10), "50"), (TODAY + days(20), "50")])
    record_payment(plan_case.household, "20.00", world.collector_a)
    one = queries_for(plan_case)
    for n in range(4):
        record(
            plan_case,
            world.collector_a,
            [(TODAY + days(10 + n), "10"), (TODAY + days(40 + n), "10")],
            agreed_on=TODAY - days(n + 1),
        )
    assert len(plans_for_case(plan_case)) == 5
    assert queries_for(plan_case) == one <= 3  # plans, their instalments, payments


# --- the limitation clock ----------------------------------------------------------------------


def test_a_plan_interrupts_the_months_already_due_but_not_the_months_to_come(frozen, world):
    # Owes 2025-10 … 2026-06: on TODAY (2026-03-16) April to June have not fallen due yet.
    house = make_household(world.office, "P1-101", first=D(2025, 10, 1), last=D(2026, 6, 1))
    set_campaign_months(world.campaign, arrears_through=D(2026, 6, 1))
    case = make_case(
        campaign=world.campaign, household=house, team=world.team_a, category=DebtorCategory.AWAY
    )
    agreed = D(2026, 3, 10)
    record(case, world.collector_a, [(D(2026, 4, 10), "300")], agreed_on=agreed)

    clocks = {c.month: c.clock for c in unpaid_clocks([house.pk], today=TODAY)[house.pk]}
    for month in [D(2025, 10, 1), D(2025, 12, 1), D(2026, 3, 1)]:
        assert clocks[month].limit == D(2029, 3, 10)
        assert clocks[month].interrupted_by.kind == PAYMENT_PLAN
    for month in [D(2026, 4, 1), D(2026, 5, 1), D(2026, 6, 1)]:
        assert clocks[month].limit == month.replace(year=2029)
        assert clocks[month].interrupted_by is None


# --- Unlawful methods in a plan's note (DESIGN.md §5.2) -----------------------------------


@pytest.mark.parametrize("note", ["业主同意分期，如逾期则停水", "逾期则对其停止所有服务"])
def test_a_plan_whose_note_approves_an_unlawful_method_is_refused_with_the_law(
    plan_case, world, note
):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        record(plan_case, world.collector_a, [(TODAY + days(30), "100")], note=note)
    assert refused_field(refused.value) == ["note"]
    assert "Civil Code art. 944" in refused.value.message_dict["note"][0]
    assert not PaymentPlan.objects.exists()


def test_a_plan_whose_note_mentions_a_method_is_saved_flagged_and_the_manager_told(
    plan_case, world
):
    from arrears.models import Notification

    plan = record(
        plan_case,
        world.collector_a,
        [(TODAY + days(30), "100")],
        note="业主曾投诉被门岗限制车辆进出，已道歉",
    )
    assert plan.flagged_terms == ["限制车辆进出"]
    flag = Notification.objects.get(recipient=world.manager, kind=Notification.Kind.FLAG)
    assert "R2-301" in flag.title


def test_a_lawful_plan_note_is_not_flagged(plan_case, world):
    plan = record(plan_case, world.collector_a, [(TODAY + days(30), "100")], note="门口签字")
    assert plan.flagged_terms == []


def test_the_signed_copy_is_stored_as_a_clean_picture(plan_case, world, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import PNG

    polyglot = SimpleUploadedFile("signed.png", PNG + b"<html><script>alert(1)</script>")
    plan = record(plan_case, world.collector_a, [(TODAY + days(30), "100")], signed_copy=polyglot)
    data = plan.signed_copy.open("rb").read()
    assert data.startswith(b"\x89PNG") and b"<html" not in data
