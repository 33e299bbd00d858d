"""Instalments the owner proposes (issue 17.4): the rules as plain values, and the office
manager's answer: accepted → a payment plan as today's; changed → the office's offer, no plan
until the owner accepts it (test_plan_offers); declined → the reason;
each answered in writing by a plan_reply letter."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from escalation.letters import issued_letter
from escalation.models import Letter, PaymentPlan, PlanProposalDecision
from escalation.plan_proposals import (
    add_months,
    month_end,
    proposal_decide,
    proposal_record,
    proposed_instalments,
)
from escalation.plans import plans_for_case
from escalation.statement_links import link_issue
from tests.escalation.conftest import TODAY

D = Decimal
MARCH = datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def rule(**kw):
    fields = {"balance": D("1000.00"), "first_month": datetime.date(2026, 4, 1), "today": MARCH}
    fields.update(kw)
    return proposed_instalments(**fields)


def refusal(**kw):
    with pytest.raises(ValidationError) as error:
        rule(**kw)
    ((field, (first, *_rest)),) = error.value.error_dict.items()
    return field, first.code


# --- The rules, no database ---------------------------------------------------------------


def test_months_and_their_ends():
    assert add_months(datetime.date(2026, 11, 1), 3) == datetime.date(2027, 2, 1)
    assert month_end(datetime.date(2028, 2, 1)) == datetime.date(2028, 2, 29)
    assert month_end(datetime.date(2026, 2, 1)) == datetime.date(2026, 2, 28)


def test_an_even_split_puts_the_cents_left_over_on_the_last():
    rows = rule(count=3)
    assert [a for _d, a in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert [d for d, _a in rows] == [
        datetime.date(2026, 4, 30),
        datetime.date(2026, 5, 31),
        datetime.date(2026, 6, 30),
    ]
    assert sum(a for _d, a in rows) == D("1000.00")


def test_amounts_given_are_kept_one_per_month():
    rows = rule(amounts=[D("200"), D("300"), D("500")])
    assert rows == [
        (datetime.date(2026, 4, 30), D("200")),
        (datetime.date(2026, 5, 31), D("300")),
        (datetime.date(2026, 6, 30), D("500")),
    ]


def test_a_count_matching_the_amounts_is_fine():
    assert len(rule(count=2, amounts=[D("400"), D("600")])) == 2


def test_the_first_instalment_may_be_this_month_or_up_to_three_months_on():
    assert rule(count=2, first_month=datetime.date(2026, 3, 1))[0][0] == datetime.date(2026, 3, 31)
    assert rule(count=2, first_month=datetime.date(2026, 6, 1))[0][0] == datetime.date(2026, 6, 30)
    assert refusal(count=2, first_month=datetime.date(2026, 2, 1)) == ("first_month", "past")
    assert refusal(count=2, first_month=datetime.date(2026, 7, 1)) == ("first_month", "too_late")


def test_two_to_sixty_instalments():
    assert len(rule(count=2)) == 2 and len(rule(count=60)) == 60
    assert refusal(count=1) == ("count", "too_few")
    assert refusal(count=61) == ("count", "too_many")
    assert refusal(count=0) == ("count", "too_few")


def test_amounts_add_up_to_the_balance_exactly():
    assert refusal(amounts=[D("500"), D("499.99")]) == ("amounts", "below")
    assert refusal(amounts=[D("500"), D("500.01")]) == ("amounts", "above")
    assert refusal(amounts=[D("1000"), D("0")]) == ("amounts", "zero")
    assert refusal(amounts=[D("1100"), D("-100")]) == ("amounts", "zero")


def test_what_cannot_be_split_or_is_not_said_is_refused():
    assert refusal() == ("count", "none")
    assert refusal(count=3, amounts=[D("500"), D("500")]) == ("amounts", "mismatch")
    assert refusal(balance=D("0.01"), count=2) == ("count", "too_small")
    assert refusal(balance=D("0"), count=2) == ("count", "nothing")


def test_the_messages_say_what_to_do():
    with pytest.raises(ValidationError) as error:
        rule(amounts=[D("100"), D("100")])
    assert error.value.messages == [
        "Your instalments add up to ¥200.00 but ¥1,000.00 is owed: raise them or add an instalment."
    ]


# --- The manager's answer -------------------------------------------------------------------


@pytest.fixture
def proposal(frozen, world, media):
    link = link_issue(case=world.case_a, by=world.collector_a)
    made, created = proposal_record(
        link=link, first_month=datetime.date(2026, 4, 1), count=4, words="工资发了就交"
    )
    assert created
    return made


def test_accepting_records_the_owners_instalments_as_a_plan_and_answers_in_writing(world, proposal):
    decision = proposal_decide(proposal=proposal, by=world.manager, outcome="accepted")
    plan = decision.plan
    assert plan.agreed_on == TODAY and plan.total == D("1700.00")
    assert [(i.due_date.isoformat(), str(i.amount)) for i in plan.instalments.all()] == [
        (r["due_date"], r["amount"]) for r in proposal.instalments
    ]
    assert plans_for_case(world.case_a)[0].plan == plan
    letter = decision.letter
    assert letter.kind == "plan_reply" and letter.reference.startswith("NORTH-2026-P")
    assert letter.statement_links.count() == 1  # a letter carries its statement link
    text = issued_letter(letter).paragraphs()
    body = "".join(text["body"])
    assert "同意您提出的分期方案" in body and "2026年4月30日前缴纳¥425.00" in body
    assert issued_letter(letter).title == "分期缴费申请答复函"


def test_changing_offers_the_managers_instalments_and_records_no_plan(world, proposal):
    """The owner has not agreed to the office's instalments: no plan until they accept
    (escalation.plan_offers)."""
    changed = [(datetime.date(2026, 4, 30), D("850")), (datetime.date(2026, 5, 31), D("850"))]
    decision = proposal_decide(
        proposal=proposal,
        by=world.manager,
        outcome="changed",
        instalments=changed,
        reason="分两期更便于核对",
    )
    assert decision.plan is None and not PaymentPlan.objects.exists()
    assert len(decision.instalments) == 2
    body = "".join(issued_letter(decision.letter).paragraphs()["body"])
    assert "调整" in body and "分两期更便于核对" in body and "¥850.00" in body


def test_declining_needs_the_reason_and_records_no_plan(world, proposal):
    with pytest.raises(ValidationError) as error:
        proposal_decide(proposal=proposal, by=world.manager, outcome="declined")
    assert "reason" in error.value.error_dict
    assert not PlanProposalDecision.objects.exists() and not Letter.objects.exists()
    decision = proposal_decide(
        proposal=proposal, by=world.manager, outcome="declined", reason="欠费已进入诉讼"
    )
    assert decision.plan is None and not PaymentPlan.objects.exists()
    assert "欠费已进入诉讼" in "".join(issued_letter(decision.letter).paragraphs()["body"])


def test_a_proposal_is_answered_once(world, proposal):
    proposal_decide(proposal=proposal, by=world.manager, outcome="accepted")
    with pytest.raises(ValidationError) as error:
        proposal_decide(proposal=proposal, by=world.manager, outcome="declined", reason="x")
    assert error.value.error_dict["outcome"][0].code == "decided"
    assert PaymentPlan.objects.count() == 1 and Letter.objects.count() == 1


def test_a_plan_rule_breaks_the_whole_decision(world, proposal):
    """The changed instalments total more than is owed: plans.plan_record refuses, and
    neither the decision nor its letter is recorded."""
    too_much = [(datetime.date(2026, 4, 30), D("1000")), (datetime.date(2026, 5, 31), D("1000"))]
    with pytest.raises(ValidationError) as error:
        proposal_decide(
            proposal=proposal, by=world.manager, outcome="changed", instalments=too_much
        )
    assert "but only 1700.00 is owed: lower them" in error.value.messages[0]
    assert not Letter.objects.exists() and not PlanProposalDecision.objects.exists()


def test_changed_without_instalments_says_what_to_do(world, proposal):
    with pytest.raises(ValidationError) as error:
        proposal_decide(proposal=proposal, by=world.manager, outcome="changed")
    assert "one per line" in error.value.messages[0]


# --- On the case page -----------------------------------------------------------------------


def test_the_manager_decides_on_the_case_page_and_gets_the_letter(client, world, proposal):
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    assert 'data-testid="plan-proposal" data-state="pending"' in page
    assert 'data-testid="plan-proposal-decide"' in page and "工资发了就交" in page
    response = client.post(
        reverse("plan-proposal-decide", args=[proposal.pk]), {"outcome": "accepted"}
    )
    letter = Letter.objects.get(kind="plan_reply")
    assert response.status_code == 302 and response.url == reverse(
        "letter-detail", args=[letter.pk]
    )
    shown = client.get(response.url).text
    assert "分期缴费申请答复函" in shown and 'data-testid="letter-qr"' in shown
    docx = client.get(response.url + "?format=docx")
    assert docx.status_code == 200
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    assert 'data-state="accepted"' in page and letter.reference in page


def test_a_decline_without_a_reason_is_flashed_and_nothing_recorded(client, world, proposal):
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("plan-proposal-decide", args=[proposal.pk]), {"outcome": "declined"}, follow=True
    )
    assert "Give the owner the reason for declining" in response.text
    assert not PlanProposalDecision.objects.exists()


@pytest.mark.parametrize(("who", "code"), [("collector_a", 403), ("other_manager", 404)])
def test_only_the_cases_office_manager_decides(client, world, proposal, who, code):
    client.force_login(world.roles[who])
    response = client.post(
        reverse("plan-proposal-decide", args=[proposal.pk]), {"outcome": "accepted"}
    )
    assert response.status_code == code
    assert not PlanProposalDecision.objects.exists()
