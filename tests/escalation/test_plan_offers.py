"""The office's counter-offer to an owner's instalment proposal (issue 17.4): "changed"
records no payment plan — a plan is an agreement, and the owner has not agreed to the office's
instalments. The owner accepts them on the statement page (or at the office) by the date the
written answer gives; only then is the plan recorded, agreed that day.

TODAY is 2026-03-16; the offer's instalments fall due 2026-04-30 and 2026-05-31, so it can be
accepted until 2026-04-15 (30 days) inclusive."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from arrears.models import Notification, PaymentMethod
from arrears.payments import payment_record
from desk.timeline import case_timeline
from escalation.letters import issued_letter
from escalation.models import PaymentPlan, PlanOfferAcceptance, StatementEvent
from escalation.plan_offers import offer_accept, offer_state
from escalation.plan_proposals import proposal_decide, proposal_record
from escalation.statement_links import link_issue, link_revoke, token_for
from tests.escalation.conftest import TODAY, at, days

D = Decimal
pytestmark = pytest.mark.usefixtures("frozen")
OFFER = [(datetime.date(2026, 4, 30), D("850")), (datetime.date(2026, 5, 31), D("850"))]
LAST_DAY = datetime.date(2026, 4, 15)
GONE = "This link cannot be opened"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def link(world, media):
    return link_issue(case=world.case_a, by=world.collector_a)


def propose(link, first=datetime.date(2026, 4, 1), count=4):
    return proposal_record(link=link, first_month=first, count=count)[0]


@pytest.fixture
def offer(world, link):
    return proposal_decide(
        proposal=propose(link),
        by=world.manager,
        outcome="changed",
        instalments=OFFER,
        reason="分两期更便于核对",
    )


def refused(**kw):
    with pytest.raises(ValidationError) as error:
        offer_accept(**kw)
    ((_field, (first, *_rest)),) = error.value.error_dict.items()
    return first.code, first.message


# --- "Changed" is an offer, not a plan --------------------------------------------------------


def test_changed_records_no_plan_and_the_answer_says_how_to_accept(world, offer):
    assert offer.plan is None and not PaymentPlan.objects.exists()
    assert offer.accept_by == LAST_DAY
    assert [(i["due_date"], i["amount"]) for i in offer.instalments] == [
        ("2026-04-30", "850"),
        ("2026-05-31", "850"),
    ]
    assert offer_state(offer) == "open"
    body = "".join(issued_letter(offer.letter).paragraphs()["body"])
    assert "¥850.00" in body and "分两期更便于核对" in body
    assert "2026年4月15日前" in body and "接受" in body and "服务处" in body
    assert "请按期缴纳" not in body  # nothing is agreed yet


def test_an_offer_lapses_no_later_than_its_first_instalment(world, link):
    soon = [(datetime.date(2026, 3, 31), D("850")), (datetime.date(2026, 4, 30), D("850"))]
    decision = proposal_decide(
        proposal=propose(link), by=world.manager, outcome="changed", instalments=soon
    )
    assert decision.accept_by == datetime.date(2026, 3, 31)


def test_an_offer_the_plan_rules_refuse_is_not_made(world, link):
    proposal = propose(link)
    with pytest.raises(ValidationError) as error:
        proposal_decide(
            proposal=proposal,
            by=world.manager,
            outcome="changed",
            instalments=[(datetime.date(2026, 4, 30), D("2000"))],
        )
    assert "but only 1700.00 is owed" in error.value.messages[0]
    with pytest.raises(ValidationError):
        proposal_decide(
            proposal=proposal,
            by=world.manager,
            outcome="changed",
            instalments=[(datetime.date(2026, 3, 1), D("100"))],  # already past
        )
    assert not hasattr(proposal, "decision") or proposal.decision is None


def test_accepted_as_proposed_still_records_the_plan_at_once(world, link):
    decision = proposal_decide(proposal=propose(link), by=world.manager, outcome="accepted")
    assert decision.plan.agreed_on == TODAY and decision.accept_by is None
    assert offer_state(decision) == ""


# --- Accepting the offer ----------------------------------------------------------------------


def test_the_owner_accepts_on_the_last_day_and_the_plan_is_agreed_that_day(world, link, offer):
    with time_machine.travel(at(LAST_DAY, 21, 30), tick=False):
        acceptance, created = offer_accept(decision=offer, link=link)
        assert created and offer_state(offer) == "accepted"
    plan = acceptance.plan
    assert plan.agreed_on == LAST_DAY and plan.total == D("1700")
    assert [(i.due_date, i.amount) for i in plan.instalments.order_by("due_date")] == OFFER
    # The manager who made the offer records it; the note says the owner accepted, and when.
    assert plan.recorded_by == world.manager
    assert "对账单" in plan.note and "2026-04-15 21:30" in plan.note  # the office's language
    assert acceptance.channel == "statement" and acceptance.link == link
    assert acceptance.recorded_by is None
    assert StatementEvent.objects.filter(link=link, kind="plan_accepted").count() == 1
    notice = Notification.objects.filter(recipient=world.manager).order_by("-pk").first()
    assert str(notice) == "C6-101 accepted the office's instalments"
    assert not Notification.objects.filter(recipient=world.collector_b).exists()
    texts = [str(e.title) for e in case_timeline(world.case_a)]
    assert any("accepted the office's instalments" in t for t in texts)


def test_the_day_after_the_last_day_the_offer_has_lapsed(world, link, offer):
    with time_machine.travel(at(LAST_DAY + days(1), 0, 1), tick=False):
        assert offer_state(offer) == "lapsed"
        code, message = refused(decision=offer, link=link)
        assert code == "lapsed" and "2026-04-15" in message
        assert not PaymentPlan.objects.exists() and not PlanOfferAcceptance.objects.exists()
        # The owner may propose again.
        assert propose(link, first=datetime.date(2026, 5, 1)).pk


def test_a_double_submit_in_the_same_minute_records_one_plan(world, link, offer):
    first, created = offer_accept(decision=offer, link=link)
    again, created_again = offer_accept(decision=offer, link=link, now=at(TODAY, 10, 0))
    assert created and not created_again and again == first
    with time_machine.travel(at(TODAY, 10, 5), tick=False):
        code, _message = refused(decision=offer, link=link)
    assert code == "accepted"
    assert PaymentPlan.objects.count() == 1 and PlanOfferAcceptance.objects.count() == 1


def test_a_newer_proposal_supersedes_the_offer(world, link, offer):
    propose(link, first=datetime.date(2026, 5, 1), count=3)
    assert offer_state(offer) == "superseded"
    code, message = refused(decision=offer, link=link)
    assert code == "superseded"
    assert not PaymentPlan.objects.exists()


def test_when_the_balance_changed_since_the_offer_the_owner_asks_the_office(world, link, offer):
    payment_record(
        household=world.house_a,
        amount=D("100"),
        paid_at=at(TODAY, 9),
        method=PaymentMethod.CASH,
        by=world.collector_a,
        case=world.case_a,
    )
    code, message = refused(decision=offer, link=link)
    assert code == "balance_changed" and "office" in message
    assert not PaymentPlan.objects.exists()


def test_a_declined_or_accepted_answer_is_no_offer(world, link):
    declined = proposal_decide(
        proposal=propose(link), by=world.manager, outcome="declined", reason="已进入诉讼"
    )
    code, _message = refused(decision=declined, link=link)
    assert code == "not_an_offer"


def test_the_office_records_that_the_owner_accepted_at_the_office(world, offer):
    acceptance, created = offer_accept(decision=offer, by=world.manager)
    assert created and acceptance.channel == "office"
    assert acceptance.recorded_by == world.manager and acceptance.link is None
    assert acceptance.plan.recorded_by == world.manager
    assert acceptance.plan.agreed_on == TODAY and "当面" in acceptance.plan.note


# --- Over HTTP: the statement page -----------------------------------------------------------


def accept_url(link_or_token):
    token = link_or_token if isinstance(link_or_token, str) else token_for(link_or_token)
    return reverse("statement-offer-accept", args=[token])


def test_the_statement_shows_the_offer_and_the_owner_accepts_it(client, world, link, offer):
    client.cookies["django_language"] = "en"
    page = client.get(reverse("statement", args=[token_for(link)])).text
    assert 'data-testid="statement-offer"' in page and "¥850.00" in page
    assert "Accept these instalments" in page and "2026-04-15" in page
    response = client.post(accept_url(link), {"offer": offer.pk})
    assert response.status_code == 302 and response.url.endswith("?done=offer_accepted")
    assert PaymentPlan.objects.get(case=world.case_a).agreed_on == TODAY
    page = client.get(response.url).text
    assert 'data-testid="statement-offer"' not in page
    assert 'data-state="offer_accepted"' in page


def test_a_lapsed_offer_is_shown_as_lapsed_with_no_button(client, world, link, offer):
    client.cookies["django_language"] = "en"
    with time_machine.travel(at(LAST_DAY + days(1)), tick=False):
        page = client.get(reverse("statement", args=[token_for(link)])).text
        assert 'data-testid="statement-offer"' not in page
        assert 'data-state="offer_lapsed"' in page and "lapsed" in page
        response = client.post(accept_url(link), {"offer": offer.pk})
    assert response.status_code == 400 and "lapsed" in response.text
    assert not PaymentPlan.objects.exists()


def test_accepting_needs_the_csrf_token(world, link, offer):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(accept_url(link), {"offer": offer.pk}).status_code == 403
    assert not PaymentPlan.objects.exists()


def test_a_forged_or_revoked_link_gets_the_plain_404(client, world, link, offer):
    client.cookies["django_language"] = "en"
    good = token_for(link)
    forged = good[:-2] + ("xx" if not good.endswith("xx") else "yy")
    revoked = link_issue(case=world.case_a, by=world.collector_a)
    link_revoke(link=revoked, by=world.manager)
    pages = [client.post(accept_url(t), {"offer": offer.pk}) for t in (forged, token_for(revoked))]
    assert {p.status_code for p in pages} == {404}
    assert GONE in pages[0].text and "C6-101" not in pages[0].text
    assert not PaymentPlan.objects.exists()


def test_another_households_offer_gets_the_plain_404(client, world, link, offer):
    """case_b's link, posting case_a's offer id (a raw POST the page never offers)."""
    client.cookies["django_language"] = "en"
    other = link_issue(case=world.case_b, by=world.collector_b)
    for value in (offer.pk, "x", ""):
        response = client.post(accept_url(other), {"offer": value})
        assert response.status_code == 404 and GONE in response.text
    assert not PaymentPlan.objects.exists()


# --- On the case page ---------------------------------------------------------------------------


def test_the_case_page_shows_the_open_offer_and_the_manager_records_an_office_acceptance(
    client, world, offer
):
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    case_url = reverse("case-detail", args=[world.case_a.pk])
    page = client.get(case_url).text
    assert 'data-offer-state="open"' in page and "2026-04-15" in page
    assert 'data-testid="plan-offer-accept-office"' in page
    response = client.post(reverse("plan-offer-accept", args=[offer.pk]))
    assert response.status_code == 302 and response.url.endswith("#plans")
    plan = PaymentPlan.objects.get(case=world.case_a)
    page = client.get(case_url).text
    assert 'data-offer-state="accepted"' in page and f"Agreed {plan.agreed_on:%Y-%m-%d}" in page


@pytest.mark.parametrize(("who", "code"), [("collector_a", 403), ("other_manager", 404)])
def test_only_the_cases_office_manager_records_an_office_acceptance(
    client, world, offer, who, code
):
    client.force_login(world.roles[who])
    assert client.post(reverse("plan-offer-accept", args=[offer.pk])).status_code == code
    assert not PaymentPlan.objects.exists()


def test_accepting_shares_the_statements_rate_limit(client, world, link, offer, settings):
    settings.STATEMENT_TOKEN_LIMIT = 1
    assert client.get(reverse("statement", args=[token_for(link)])).status_code == 200
    busy = client.post(accept_url(link), {"offer": offer.pk})
    assert busy.status_code == 429
    assert not PaymentPlan.objects.exists()


def test_an_office_acceptance_of_a_lapsed_offer_says_why_and_records_nothing(client, world, offer):
    client.cookies["django_language"] = "en"
    with time_machine.travel(at(LAST_DAY + days(1)), tick=False):
        client.force_login(world.manager)
        response = client.post(reverse("plan-offer-accept", args=[offer.pk]), follow=True)
    assert "could be accepted until 2026-04-15" in response.text
    assert not PaymentPlan.objects.exists()
