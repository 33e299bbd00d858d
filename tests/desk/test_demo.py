import datetime
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from arrears.models import Campaign, Case, DebtPeriod, Payment
from desk.demo import demo_load, month_shift_for, shift_date
from households.models import Household
from teams.models import Team

# unit: (months the plan's range gives, category, team)
PLAN = {
    "C6-101": (25, "grievance", "A"),
    "C13-103": (17, "unreachable", "A"),
    "C16-104": (29, "grievance", "B"),
    "C35-102": (26, "refusal", "B"),
    "C53-101": (21, "refusal", "C"),
    "E2-2-201": (19, "vacant", "C"),
    "F1-1802": (29, "grievance", "D"),
    "E5-1-502": (17, "unreachable", "D"),
}
TODAY = datetime.date(2026, 11, 27)


def counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


@pytest.mark.django_db
def test_it_loads_the_plans_households_with_their_months_of_arrears():
    demo_load(today=TODAY)
    assert Household.objects.count() == 8
    for unit, (months, category, team) in PLAN.items():
        assert DebtPeriod.objects.filter(household__unit_code=unit).count() == months, unit
        case = Case.objects.get(household__unit_code=unit)
        assert (case.category, case.team.code) == (category, team)


@pytest.mark.django_db
def test_it_keeps_the_plans_dates_on_request():
    demo_load(today=TODAY, original_dates=True)
    first = DebtPeriod.objects.filter(household__unit_code="C6-101").order_by("month")
    assert (first.first().month, first.last().month) == (
        datetime.date(2013, 5, 1),
        datetime.date(2015, 5, 1),
    )
    assert Case.objects.get(household__unit_code="C53-101").planned_date == datetime.date(
        2015, 7, 30
    )


@pytest.mark.django_db
def test_the_campaign_is_running_today_with_dates_moved_together():
    result = demo_load(today=TODAY)
    campaign = result.campaign
    assert result.month_shift == 137
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.start_date <= TODAY <= campaign.target_date
    assert campaign.arrears_through == datetime.date(2026, 10, 1)
    c53 = Case.objects.get(household__unit_code="C53-101")
    assert (
        c53.planned_date
        == shift_date(datetime.date(2015, 7, 30), 137)
        == datetime.date(2026, 12, 30)
    )
    assert Case.objects.get(household__unit_code="C35-102").plan_note == "已打报告"


def test_month_shift_puts_the_start_two_weeks_or_more_before_today():
    assert month_shift_for(datetime.date(2026, 11, 27)) == 137
    assert month_shift_for(datetime.date(2026, 11, 10)) == 136  # anchor in October
    assert shift_date(datetime.date(2015, 8, 31), 1) == datetime.date(2015, 9, 30)


@pytest.mark.django_db
def test_teams_and_members_follow_the_plan_with_the_fourth_group_as_d():
    demo_load(today=TODAY)
    teams = {
        t.code: [m.user.staff_profile.display_name for m in t.memberships.order_by("role")]
        for t in Team.objects.prefetch_related("memberships__user__staff_profile")
    }
    assert teams == {
        "A": ["赵洋", "李莹"],
        "B": ["林山", "王莹"],
        "C": ["王梦茹", "曹宁"],
        "D": ["贾超", "刘卫珍"],
    }


@pytest.mark.django_db
def test_recent_activity_shows_on_every_kind_of_page():
    demo_load(today=TODAY)
    e2 = Case.objects.get(household__unit_code="E2-2-201")
    assert e2.status == Case.Status.CLEARED and e2.clearances.get().team.code == "C"
    f1 = Case.objects.get(household__unit_code="F1-1802")
    assert f1.status == Case.Status.PARTLY_PAID
    assert Payment.objects.count() == 3
    assert sum(Payment.objects.values_list("amount", flat=True)) > D("1000")


@pytest.mark.django_db
def test_every_promised_call_in_the_demo_has_its_promise_record():
    from arrears.models import PromiseToPay
    from arrears.promises import promises_with_state
    from households.models import ContactAttempt

    demo_load(today=TODAY)
    promised = ContactAttempt.objects.filter(outcome="promised")
    assert promised.filter(household__unit_code="E2-2-201").exists()
    for call in promised:
        assert call.promises.exists(), call.household.unit_code
    e2_call = promised.get(household__unit_code="E2-2-201")
    e2 = Case.objects.get(household__unit_code="E2-2-201")
    promise = promises_with_state(PromiseToPay.objects.filter(attempt=e2_call), today=TODAY).get()
    assert promise.case == e2
    assert promise.amount == sum(p.amount_due for p in e2.periods())
    assert promise.due_date >= timezone.localdate(e2_call.occurred_at)
    assert promise.state == "kept"  # the remittance came the next day


@pytest.mark.django_db
def test_the_demo_shows_the_lawful_road_further_on():
    from escalation.models import Letter
    from escalation.plans import plans_for_case
    from escalation.proceedings import legal_position

    demo_load(today=TODAY)
    c35 = Case.objects.get(household__unit_code="C35-102")
    demand = c35.letters.get()
    assert demand.status == Letter.Status.DELIVERED and demand.outcome_attempt.evidence.exists()
    position = legal_position(c35, today=TODAY)
    assert position.refusal is None and position.suggestion.route == "payment_order"
    notice = Letter.objects.get(case__household__unit_code="C53-101")
    assert notice.status == Letter.Status.SENT
    c16 = Case.objects.get(household__unit_code="C16-104")
    [plan] = plans_for_case(c16, today=TODAY)
    assert [i.state for i in plan.instalments] == ["kept", "pending", "pending"]


@pytest.mark.django_db
def test_the_demo_gives_the_owner_a_voice():
    """A service dispute with its work order (collection on F1-1802 paused), and C53-101's
    owner's instalment proposal from the notice's statement link, awaiting the manager."""
    from escalation.models import PlanProposal
    from households.disputes import household_pause, status
    from households.models import Dispute

    demo_load(today=TODAY)
    [dispute] = Dispute.objects.all()
    assert dispute.case.household.unit_code == "F1-1802" and status(dispute) == "open"
    assert dispute.work_order.department == "engineering"
    assert household_pause(dispute.household_id, timezone.now()) is not None
    [proposal] = PlanProposal.objects.all()
    assert proposal.case.household.unit_code == "C53-101"
    assert not hasattr(proposal, "decision") or proposal.decision is None


@pytest.mark.django_db
def test_running_it_twice_changes_nothing(capsys):
    call_command("load_demo")
    before = counts()
    call_command("load_demo")
    assert counts() == before
    assert "nothing changed" in capsys.readouterr().out


@pytest.mark.django_db
def test_every_demo_user_can_log_in_with_the_demo_password(client, settings):
    demo_load(today=TODAY)
    for username in ["manager", "ops", "director", "gate", "admin", "zhaoyang", "liying"]:
        response = client.post(
            "/login/", {"username": username, "password": settings.DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        client.logout()


@pytest.mark.django_db
def test_a_notice_left_in_a_vacant_units_mailbox_is_not_delivered():
    from escalation.limitation import PAYMENT_PLAN
    from escalation.limitation_records import household_claims, household_events

    demo_load(today=TODAY)
    c13 = Case.objects.get(household__unit_code="C13-103")
    mailbox = c13.contact_attempts.get(channel="payment_notice")
    assert c13.household.occupancy == "vacant" and "信箱" in mailbox.notes
    assert mailbox.outcome == "sent"
    assert household_events([c13.household_id]) == {} == household_claims([c13.household_id])
    # The plan was recorded with its signed copy, so it restarts the clock from its own day.
    c16 = Case.objects.get(household__unit_code="C16-104")
    kinds = {e.kind for e in household_events([c16.household_id])[c16.household_id]}
    assert PAYMENT_PLAN in kinds and household_claims([c16.household_id]) == {}
    # C53-101's demand "signed for" was only logged on the contact form: shown as a claim.
    c53 = Case.objects.get(household__unit_code="C53-101").household_id
    assert [c.kind for c in household_claims([c53])[c53]] == ["demand_delivered"]


@pytest.mark.django_db
def test_the_demo_has_an_exemption_awaiting_the_managers_review_and_no_unseen_breach():
    from households.contact import as_policy_attempt, household_history
    from households.contact_policy import check_attempt
    from households.models import ContactAttempt

    demo_load(today=TODAY)
    (evening,) = ContactAttempt.objects.exemptions_to_review()
    assert evening.household.unit_code == "C35-102"
    assert evening.owners_request_note and evening.breaches == []
    # The demo's attempts are written directly: what they store must be what the rules say.
    for attempt in ContactAttempt.objects.all():
        history = household_history([attempt.household_id], attempt.occurred_at)
        verdict = check_attempt(
            as_policy_attempt(attempt), history=history.get(attempt.household_id, [])
        )
        assert verdict.breach_codes == attempt.breaches, attempt
        assert verdict.exemption_codes == attempt.exemptions, attempt


def users_and_counts():
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.values_list("username", flat=True)), counts()


@pytest.mark.django_db
def test_it_refuses_to_run_on_the_production_settings(settings, capsys):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    before = users_and_counts()
    with pytest.raises(CommandError, match="--yes-demo-in-production") as refused:
        call_command("load_demo")
    assert "production" in str(refused.value)
    assert users_and_counts() == before
    assert capsys.readouterr().out == ""


def test_the_refusal_exits_with_an_error_code():
    # The production settings refuse before touching the database (nothing to connect to).
    from tests.config.test_settings import PRODUCTION, manage

    result = manage("load_demo", env=PRODUCTION)
    assert result.returncode == 1
    assert "--yes-demo-in-production" in result.stderr
    assert "Loaded" not in result.stdout


@pytest.mark.django_db
def test_in_production_on_request_every_demo_user_gets_a_random_password_printed_once(
    settings, capsys, client
):
    from django.contrib.auth import get_user_model

    from desk.demo import demo_logins

    settings.PRODUCTION = True
    call_command("load_demo", "--yes-demo-in-production")
    out = capsys.readouterr().out
    assert settings.DEMO_PASSWORD not in out
    printed = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in {u for u, _, _ in demo_logins()}:
            printed[parts[0]] = parts[1]
    usernames = {u for u, _, _ in demo_logins()}
    assert set(printed) == usernames
    assert len(set(printed.values())) == len(usernames)  # every one its own
    for username, password in printed.items():
        assert password != settings.DEMO_PASSWORD and len(password) >= 16
        user = get_user_model().objects.get(username=username)
        assert not user.check_password(settings.DEMO_PASSWORD)
        assert user.check_password(password)
    assert (
        client.post("/login/", {"username": "admin", "password": printed["admin"]}).status_code
        == 302
    )

    # Printed once: a second run changes no password and shows none.
    call_command("load_demo", "--yes-demo-in-production")
    again = capsys.readouterr().out
    assert not any(password in again for password in printed.values())
    assert get_user_model().objects.get(username="admin").check_password(printed["admin"])


@pytest.mark.django_db
def test_in_development_the_demo_password_is_printed_as_before(capsys):
    from django.conf import settings

    call_command("load_demo")
    assert f"password for all: {settings.DEMO_PASSWORD}" in capsys.readouterr().out
