"""The leaderboard and the assessment are kept for a minute per office (issue 15), and what
changes the standings renews them at once: payments (one by one or in a batch), reversals,
breaches found on review, clearances. Tests start with an empty cache (tests/conftest.py)."""

import datetime
from decimal import Decimal as D

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from arrears.models import DebtPeriod
from arrears.payments import PaymentItem, payment_reverse, payments_record
from households.contact import attempt_log, exemption_decide
from tests.conftest import record_payment


def owed(house) -> str:
    return str(sum(DebtPeriod.objects.filter(household=house).values_list("amount_due", flat=True)))


def yesterday_at(hour, minute):
    day = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def board(client, world, who="manager"):
    """Team code → (households cleared, collected) this month, as the page shows it."""
    client.force_login(world.roles[who])
    response = client.get(reverse("leaderboard", args=[world.campaign.pk]) + "?period=month")
    return {
        r.team.code: (r.standing.cleared, r.standing.collected) for r in response.context["rows"]
    }


def test_the_office_reads_the_standings_loaded_once(client, world):
    record_payment(world.house_a, "100.00", world.collector_a, case=world.case_a)
    client.force_login(world.manager)
    url = reverse("leaderboard", args=[world.campaign.pk])
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as again:
        page = client.get(url)
    assert len(again) < len(first)
    assert {r.team.code: r.standing.collected for r in page.context["rows"]}["A"] == D("100.00")
    # another person of the office reads the same kept standings, with their own detail
    client.force_login(world.collector_b)
    with CaptureQueriesContext(connection) as collector:
        page = client.get(url)
    assert page.context["members"] == []
    assert not any("teams_teammember" in q["sql"] for q in collector.captured_queries[-3:])


def test_a_payment_and_its_reversal_renew_the_kept_leaderboard(client, world):
    assert board(client, world)["A"] == (0, D("0"))
    payment = record_payment(world.house_a, owed(world.house_a), world.collector_a)
    assert board(client, world, "collector_b")["A"] == (1, D(owed(world.house_a)))
    payment_reverse(payment=payment, by=world.manager, reason="录错")
    assert board(client, world)["A"] == (0, D("0"))


def test_a_batch_of_payments_renews_it_too(client, world):
    assert board(client, world)["B"] == (0, D("0"))
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    payments_record(
        items=[PaymentItem(world.house_b, D("300.00"), an_hour_ago, "cash", "R-1")],
        by=world.collector_b,
    )
    assert board(client, world)["B"] == (0, D("300.00"))


def test_a_breach_found_on_review_renews_it(client, world):
    attempt = attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=yesterday_at(21, 30),  # later than the rules allow, at the owner's request
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
        at_owners_request=True,
        owners_request_note="晚上打",
    )
    record_payment(world.house_a, owed(world.house_a), world.collector_a)
    assert board(client, world)["A"][0] == 1
    exemption_decide(attempt=attempt, decision="breach", note="夜间催收", by=world.manager)
    client.force_login(world.manager)
    page = client.get(reverse("assessment", args=[world.campaign.pk]))
    _month, rows = page.context["assessment"].cycles[0].months[0]
    assert {r.team.code: r.score.cleared for r in rows}["A"] == 0
    assert board(client, world)["A"][0] == 0  # the kept ranking too


def test_the_assessment_is_renewed_by_a_payment(client, world):
    client.force_login(world.manager)
    url = reverse("assessment", args=[world.campaign.pk])

    def cleared():
        _month, rows = client.get(url).context["assessment"].cycles[0].months[0]
        return {r.team.code: r.score.cleared for r in rows}

    assert cleared() == {"A": 0, "B": 0}
    record_payment(world.house_b, owed(world.house_b), world.collector_b, case=world.case_b)
    assert cleared() == {"A": 0, "B": 1}
