"""Backdated entries (补录): visible everywhere, and they cannot buy points (issue 11, item 10).

The clock is frozen on Thursday 3 December 2026, 10:00 in Shanghai: November is a closed
month. Team A clears case_a with a payment dated 20 November (13 days before it is entered):
without the office manager's approval it counts in December, the month it was entered, and
November stays a miss (−20).
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from arrears.backdating import (
    backdate_approve,
    backdated_q,
    is_backdated,
    may_approve_backdate,
    scoring_moment,
)
from arrears.models import BackdateApproval, ImmutableRecordError, Payment
from households.contact import attempt_log
from households.models import ContactAttempt
from teams.standings import assessment, load_facts
from tests.conftest import record_payment

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
NOVEMBER, DECEMBER = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
DAYS = datetime.timedelta(days=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, world):
    """conftest's world built on the frozen clock (its campaign started 13 November)."""
    return world


def clear(world, paid_at):
    return record_payment(world.house_a, "1700.00", world.collector_a, paid_at=paid_at)


def month_row(world, month, team="A"):
    for cycle in assessment(load_facts(world.campaign), now=NOW).cycles:
        for m, rows in cycle.months:
            if m == month:
                return next(r for r in rows if r.team.code == team)
    raise AssertionError(month)


# --- the rule ----------------------------------------------------------------------------------


def test_more_than_seven_days_is_backdated_exactly_seven_is_not():
    entered = NOW
    assert not is_backdated(entered - 7 * DAYS, entered)
    assert is_backdated(entered - 7 * DAYS - datetime.timedelta(seconds=1), entered)
    assert not is_backdated(entered, entered)


def test_the_limit_is_a_setting(settings):
    settings.BACKDATE_DAYS = 2
    assert is_backdated(NOW - 3 * DAYS, NOW)
    assert not is_backdated(NOW - 2 * DAYS, NOW)


def test_a_backdated_entry_scores_when_entered_unless_approved():
    dated = NOW - 13 * DAYS
    assert scoring_moment(dated=dated, recorded=NOW, approved=False) == NOW
    assert scoring_moment(dated=dated, recorded=NOW, approved=True) == dated
    recent = NOW - 5 * DAYS
    assert scoring_moment(dated=recent, recorded=NOW, approved=False) == recent


def test_the_sql_test_agrees_with_the_python_one(world):
    for days in (0, 7, 8, 30):
        clear_at = NOW - days * DAYS
        record_payment(world.house_b, "1.00", world.collector_b, paid_at=clear_at)
    backdated = Payment.objects.filter(backdated_q("paid_at"))
    assert sorted(p.paid_at for p in backdated) == [NOW - 30 * DAYS, NOW - 8 * DAYS]
    assert all(is_backdated(p.paid_at, p.recorded_at) for p in backdated)


# --- scoring -----------------------------------------------------------------------------------


def test_a_payment_dated_into_a_closed_month_does_not_turn_its_minus_20_into_plus_20(
    world,
):
    clear(world, datetime.datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI))
    november, december = month_row(world, NOVEMBER), month_row(world, DECEMBER)
    assert (november.score.cleared, november.score.points_per_member) == (0, -20)
    assert (december.score.cleared, december.score.points_per_member) == (1, 20)
    [mark] = december.backdated
    assert (mark.unit, mark.approved, mark.counts_in) == ("C6-101", False, DECEMBER)
    assert november.backdated == (mark,)  # shown where it is dated too


def test_the_office_managers_approval_lets_it_count_in_the_month_it_is_dated(world):
    payment = clear(world, datetime.datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI))
    backdate_approve(payment=payment, by=world.manager, note="银行回单：11月20日到账")
    november, december = month_row(world, NOVEMBER), month_row(world, DECEMBER)
    assert (november.score.cleared, november.score.points_per_member) == (1, 20)
    assert december.score.cleared == 0
    assert november.backdated[0].approved is True


def test_a_payment_entered_within_seven_days_counts_in_its_own_month(world):
    clear(world, datetime.datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))  # exactly 7 days
    november = month_row(world, NOVEMBER)
    assert (november.score.cleared, november.score.points_per_member) == (1, 20)
    assert november.backdated == ()


def test_the_assessment_page_marks_the_backdated_clearance(world, client):
    clear(world, datetime.datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI))
    client.force_login(world.manager)
    page = client.get(reverse("assessment", args=[world.campaign.pk])).content.decode()
    assert page.count('data-testid="backdated"') == 2  # in December and in November
    assert "C6-101" in page and "2026-11-20" in page and "2026-12-03" in page


# --- approval ----------------------------------------------------------------------------------


def test_only_the_office_manager_of_the_payments_office_may_approve(world):
    payment = clear(world, NOW - 13 * DAYS)
    assert may_approve_backdate(world.manager, payment)
    assert may_approve_backdate(world.admin, payment)
    for user in (world.collector_a, world.leader_a, world.ops, world.director, world.other_manager):
        assert not may_approve_backdate(user, payment)
        with pytest.raises(PermissionDenied):
            backdate_approve(payment=payment, by=user, note="x")
    assert not BackdateApproval.objects.exists()


def test_approval_needs_a_reason_and_a_backdated_payment(world):
    payment = clear(world, NOW - 13 * DAYS)
    with pytest.raises(ValidationError) as error:
        backdate_approve(payment=payment, by=world.manager, note="   ")
    assert "note" in error.value.error_dict
    recent = record_payment(world.house_b, "10.00", world.collector_b, paid_at=NOW - 2 * DAYS)
    with pytest.raises(ValidationError) as error:
        backdate_approve(payment=recent, by=world.manager, note="到账")
    assert "payment" in error.value.error_dict


def test_a_reason_longer_than_300_characters_is_refused_not_cut(world):
    payment = clear(world, NOW - 13 * DAYS)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="301 characters long") as error,
    ):
        backdate_approve(payment=payment, by=world.manager, note="回" * 301)
    assert "note" in error.value.error_dict
    assert not BackdateApproval.objects.exists()
    assert backdate_approve(payment=payment, by=world.manager, note="回" * 300).note == "回" * 300


def test_approval_is_given_once_and_never_edited(world):
    payment = clear(world, NOW - 13 * DAYS)
    approval = backdate_approve(payment=payment, by=world.manager, note="回单")
    with pytest.raises(ValidationError):
        backdate_approve(payment=payment, by=world.manager, note="again")
    approval.note = "changed"
    with pytest.raises(ImmutableRecordError):
        approval.save()
    with pytest.raises(ImmutableRecordError):
        approval.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        BackdateApproval.objects.create(payment=payment, approved_by=world.admin, note="raw")


def test_the_manager_approves_from_the_timeline(world, client):
    payment = clear(world, NOW - 13 * DAYS)
    client.force_login(world.manager)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="approve-backdate"' in page
    url = reverse("payment-backdate-approve", args=[payment.pk])
    response = client.post(url, {"note": "银行回单"})
    assert response.status_code == 302
    assert BackdateApproval.objects.get().approved_by == world.manager
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="approve-backdate"' not in page
    assert "approved its earlier month" in page or "批准" in page


def test_a_collector_sees_the_mark_but_no_approval_button_and_cannot_post(world, client):
    payment = clear(world, NOW - 13 * DAYS)
    client.force_login(world.collector_a)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="backdated"' in page
    assert 'data-testid="approve-backdate"' not in page
    url = reverse("payment-backdate-approve", args=[payment.pk])
    assert client.post(url, {"note": "我自己批"}).status_code == 403
    assert not BackdateApproval.objects.exists()


# --- the timeline ------------------------------------------------------------------------------


def test_the_timeline_marks_a_backdated_attempt_and_payment_but_not_a_recent_one(world, client):
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=NOW - 10 * DAYS,
        channel="payment_notice",
        person_contacted="owner",
        outcome="delivered",
    )
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=NOW - 1 * DAYS,
        channel="payment_notice",
        person_contacted="owner",
        outcome="delivered",
    )
    record_payment(world.house_a, "100.00", world.collector_a, paid_at=NOW - 9 * DAYS)
    from desk.timeline import case_timeline

    marks = {(e.kind, e.when.date()): e.backdated for e in case_timeline(world.case_a)}
    assert marks == {
        ("attempt", (NOW - 10 * DAYS).date()): True,
        ("attempt", (NOW - 1 * DAYS).date()): False,
        ("payment", (NOW - 9 * DAYS).date()): True,
    }
    assert ContactAttempt.objects.count() == 2


def test_the_money_of_a_backdated_payment_counts_on_the_board_when_it_was_entered(world):
    from teams.standings import MONTH, leaderboard

    def december_collected():
        later = NOW + datetime.timedelta(minutes=1)  # the board counts up to `now`, excluded
        rows = leaderboard(load_facts(world.campaign), MONTH, now=later)
        return {r.team.code: (r.standing.cleared, r.standing.collected) for r in rows}["A"]

    payment = clear(world, datetime.datetime(2026, 11, 20, 15, 0, tzinfo=SHANGHAI))
    assert december_collected() == (1, 1700)
    backdate_approve(payment=payment, by=world.manager, note="银行回单：11月20日到账")
    assert december_collected() == (0, 0)
