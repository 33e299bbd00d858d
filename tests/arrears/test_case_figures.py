"""Each case's kept figures (arrears.case_figures): what they hold, that the services keep
them, and that the check finds and the command repairs a case that drifted.

Every test that uses the database also ends with the drift check (tests/conftest.py), so
the suite as a whole proves each write path keeps the figures; these say what they are."""

import datetime
import io
from decimal import Decimal as D

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from arrears import case_figures
from arrears.models import Case, DebtPeriod
from arrears.payments import payment_reverse
from escalation.plans import plan_record
from tests.conftest import make_promise, record_payment

NOON = datetime.time(12, 0)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, NOON))


def figures(case) -> dict:
    return Case.objects.filter(pk=case.pk).values(*case_figures.FIELDS)[0]


def test_a_new_case_holds_the_figures_of_its_campaign_months_only(world):
    # 17 months of 100 from 2014-01; a month after the campaign's last one does not count.
    DebtPeriod.objects.create(
        household=world.house_a, month=datetime.date(2015, 6, 1), amount_due=D("100")
    )
    case_figures.refresh([world.house_a.pk])
    kept = figures(world.case_a)
    assert kept["owed"] == kept["balance"] == D("1700.00")
    assert kept["paid"] == D("0.00")
    assert kept["unpaid_months"] == 17
    assert kept["oldest_unpaid"] == datetime.date(2014, 1, 1)
    assert kept["last_contact_at"] is None
    assert kept["open_promise_due"] is None and kept["plan_unpaid_due"] is None


def test_a_payment_and_its_reversal_move_the_figures_there_and_back(world):
    payment = record_payment(world.house_a, "250", world.collector_a)
    kept = figures(world.case_a)
    assert (kept["paid"], kept["balance"], kept["unpaid_months"]) == (D("250"), D("1450"), 15)
    assert kept["oldest_unpaid"] == datetime.date(2014, 3, 1)  # half of March still owed
    payment_reverse(payment=payment, by=world.manager, reason="录错金额")
    kept = figures(world.case_a)
    assert (kept["paid"], kept["balance"], kept["unpaid_months"]) == (D("0"), D("1700"), 17)
    assert kept["oldest_unpaid"] == datetime.date(2014, 1, 1)


def test_the_promise_day_is_kept_while_the_promise_is_not_kept(world):
    today = timezone.localdate()
    make_promise(
        case=world.case_a,
        amount=D("200"),
        due_date=today + datetime.timedelta(days=3),
        recorded_by=world.collector_a,
        recorded_at=timezone.now() - datetime.timedelta(days=1),
    )
    assert figures(world.case_a)["open_promise_due"] == today + datetime.timedelta(days=3)
    record_payment(world.house_a, "199.99", world.collector_a)
    assert figures(world.case_a)["open_promise_due"] is not None  # a cent short
    record_payment(world.house_a, "0.01", world.collector_a)
    assert figures(world.case_a)["open_promise_due"] is None  # kept: nothing to chase


def test_the_plan_day_is_the_first_instalment_the_payments_do_not_cover(world):
    today = timezone.localdate()
    days = [today + datetime.timedelta(days=n) for n in (10, 40, 70)]
    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=today,
        instalments=[(d, D("300")) for d in days],
    )
    assert figures(world.case_a)["plan_unpaid_due"] == days[0]
    record_payment(world.house_a, "300", world.collector_a)  # exactly the first
    assert figures(world.case_a)["plan_unpaid_due"] == days[1]
    record_payment(world.house_a, "599.99", world.collector_a)
    assert figures(world.case_a)["plan_unpaid_due"] == days[2]  # a cent short of the third
    record_payment(world.house_a, "0.01", world.collector_a)
    assert figures(world.case_a)["plan_unpaid_due"] is None


def test_payments_before_the_plan_do_not_cover_its_instalments(world):
    today = timezone.localdate()
    with time_machine.travel(at(today - datetime.timedelta(days=5)), tick=False):
        record_payment(world.house_a, "300", world.collector_a)
    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=today,
        instalments=[(today + datetime.timedelta(days=10), D("300"))],
    )
    assert figures(world.case_a)["plan_unpaid_due"] == today + datetime.timedelta(days=10)


def test_the_last_contact_moves_forward_only(world):
    from households.contact import attempt_log

    # A Wednesday at 12:00 and two days before at 15:00: lawful hours for a call.
    wednesday = timezone.make_aware(datetime.datetime(2026, 11, 25, 12, 0))
    monday = wednesday - datetime.timedelta(days=2, hours=-3)
    with time_machine.travel(wednesday, tick=False):
        for moment in (wednesday, monday):  # then a backdated one: it must not move it back
            attempt_log(
                case=world.case_a,
                by=world.collector_a,
                channel="phone_call",
                person_contacted="owner",
                outcome="no_answer",
                occurred_at=moment,
            )
    assert figures(world.case_a)["last_contact_at"] == wednesday
    assert figures(world.case_b)["last_contact_at"] is None


@pytest.mark.figures_may_drift
def test_the_check_finds_a_case_changed_behind_the_services_and_the_command_repairs_it(world):
    DebtPeriod.objects.filter(household=world.house_b, month=datetime.date(2014, 1, 1)).update(
        amount_paid=D("100")
    )
    found = case_figures.drift()
    assert {(d.case_id, d.field) for d in found} == {
        (world.case_b.pk, "paid"),
        (world.case_b.pk, "balance"),
        (world.case_b.pk, "unpaid_months"),
        (world.case_b.pk, "oldest_unpaid"),
    }
    with translation.override("en"), pytest.raises(CommandError, match="1 with figures"):
        call_command("case_figures", stdout=io.StringIO())
    out = io.StringIO()
    with translation.override("en"):
        call_command("case_figures", fix=True, stdout=out)
    assert "1 cases rewritten" in out.getvalue()
    assert case_figures.drift() == []
    assert figures(world.case_b)["unpaid_months"] == 16
    out = io.StringIO()
    with translation.override("en"):
        call_command("case_figures", stdout=out)
    assert "0 with figures that differ" in out.getvalue()


def test_a_campaign_window_changed_in_the_admin_changes_its_cases(client, world):
    client.force_login(world.admin)
    campaign = world.campaign
    data = {
        "office": campaign.office_id,
        "name": campaign.name,
        "status": campaign.status,
        "goal": campaign.goal,
        "start_date": campaign.start_date.isoformat(),
        "target_date": campaign.target_date.isoformat(),
        "arrears_from": "2015-01-01",
        "arrears_through": "2015-05-01",
        "assessment_months": campaign.assessment_months,
        "monthly_minimum": campaign.monthly_minimum,
        "points_at_minimum": campaign.points_at_minimum,
        "points_per_extra": campaign.points_per_extra,
        "penalty_per_missing": campaign.penalty_per_missing,
    }
    response = client.post(f"/admin/arrears/campaign/{campaign.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    kept = figures(world.case_a)
    assert (kept["owed"], kept["unpaid_months"]) == (D("500"), 5)
    assert kept["oldest_unpaid"] == datetime.date(2015, 1, 1)
