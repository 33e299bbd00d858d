"""The owner taps "send" several times at once (issue 17): each action is recorded once, on
separate connections at the same moment (PostgreSQL: the case row is the lock)."""

import threading

import pytest
from django.utils import timezone

from arrears.ledger import add_months
from arrears.models import Notification
from escalation.models import PlanProposal
from escalation.plan_proposals import proposal_record
from escalation.statement_actions import statement_dispute
from escalation.statement_links import link_issue
from households.models import Dispute
from tests.arrears.test_concurrency import needs_postgres, run_in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
TAPS = 6


def all_at_once(fn):
    barrier, errors = threading.Barrier(TAPS), []

    def tap():
        barrier.wait(20)
        fn()

    threads = [run_in_thread(f"tap-{i}", tap, errors) for i in range(TAPS)]
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_six_taps_of_the_same_proposal_record_one(world):
    needs_postgres()
    link = link_issue(case=world.case_a, by=world.collector_a)
    first = add_months(timezone.localdate().replace(day=1), 1)
    all_at_once(lambda: proposal_record(link=link, first_month=first, count=4))
    assert PlanProposal.objects.count() == 1
    assert Notification.objects.filter(recipient=world.manager, kind="approval").count() == 1


def test_six_taps_of_the_same_dispute_record_one(world):
    needs_postgres()
    link = link_issue(case=world.case_a, by=world.collector_a)
    month = world.house_a.debt_periods.order_by("month").first()
    all_at_once(
        lambda: statement_dispute(link=link, kind="months", months=[month.pk], words="交过了")
    )
    assert Dispute.objects.count() == 1
    assert Notification.objects.filter(recipient=world.manager, kind="dispute").count() == 1


def test_six_taps_of_accept_these_instalments_record_one_plan(world):
    """The office changed the owner's proposal; the owner taps "Accept" six times at once."""
    needs_postgres()
    from escalation.models import PaymentPlan, PlanOfferAcceptance
    from escalation.plan_offers import offer_accept
    from escalation.plan_proposals import proposal_decide, proposal_instalments

    link = link_issue(case=world.case_a, by=world.collector_a)
    first = add_months(timezone.localdate().replace(day=1), 1)
    proposal, _created = proposal_record(link=link, first_month=first, count=4)
    offer = proposal_decide(
        proposal=proposal,
        by=world.manager,
        outcome="changed",
        instalments=proposal_instalments(proposal)[:2],
    )
    all_at_once(lambda: offer_accept(decision=offer, link=link))
    assert PaymentPlan.objects.count() == 1 and PlanOfferAcceptance.objects.count() == 1
    told = Notification.objects.filter(recipient=world.manager, title__contains="接受了服务处")
    assert told.count() == 1
