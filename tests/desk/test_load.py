"""generate_load at a small scale: reproducible, named logins, consistent cases and contacts."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import translation

from arrears.cases import PAYMENT_DRIVEN
from arrears.models import Case, Clearance, DebtPeriod, Payment
from desk.load import generate_load, usernames
from households.contact import as_policy_attempt, household_history, household_rules
from households.contact_policy import check_attempt
from households.models import ContactAttempt, Household

pytestmark = pytest.mark.django_db

SMALL = {"offices": 2, "households_per_office": 60, "seed": 7, "region_code": "lt"}


def _snapshot():
    return {
        "households": sorted(
            Household.objects.filter(office__region__code="lt").values_list(
                "office__code", "unit_code", "area_m2"
            )
        ),
        "months": sorted(
            DebtPeriod.objects.filter(household__office__region__code="lt").values_list(
                "household__unit_code", "month", "amount_due", "amount_paid"
            )
        ),
        "payments": sorted(
            Payment.objects.filter(office__region__code="lt").values_list(
                "receipt_no", "amount", "paid_at"
            )
        ),
        "attempts": ContactAttempt.objects.filter(household__office__region__code="lt").count(),
    }


@pytest.fixture
def region(db):
    return generate_load(**SMALL, summary_days=0)


def test_the_same_seed_gives_the_same_region():
    with transaction.atomic():
        generate_load(**SMALL, summary_days=0)
        first = _snapshot()
        transaction.set_rollback(True)
    generate_load(**SMALL, summary_days=0)
    assert _snapshot() == first
    assert first["payments"] and first["attempts"]


def test_the_logins_are_named_and_take_the_demo_password(region, client):
    names = usernames("lt", ["lt-01", "lt-02"])
    assert "lt-01-a-leader" in names and "lt-02-d-collector2" in names and "lt-ops" in names
    for username in ("admin", "lt-director", "lt-ops", "lt-01-manager", "lt-02-c-collector2"):
        response = client.post(
            "/login/", {"username": username, "password": settings.DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
        client.logout()


def test_about_15_percent_owe_1_to_60_months(region):
    cases = Case.objects.filter(campaign__office__region__code="lt")
    share = cases.count() / 120
    assert 0.05 <= share <= 0.30
    for case in cases:
        months = case.periods().count()
        assert 1 <= months <= 60


def test_every_case_status_follows_its_months_and_payments(region):
    for case in Case.objects.filter(campaign__office__region__code="lt"):
        totals = case.periods().aggregate(due=Sum("amount_due"), paid=Sum("amount_paid"))
        cleared = totals["paid"] >= totals["due"]
        standing = Clearance.objects.filter(case=case, revoked_at__isnull=True).exists()
        assert cleared == (case.status == Case.Status.CLEARED) == standing, case
        if totals["paid"] and not cleared:
            # Payments move only the statuses they drive: a promised case paid in part stays
            # promised (arrears.cases.case_status_after).
            assert case.status == Case.Status.PARTLY_PAID or case.status not in PAYMENT_DRIVEN
    assert Clearance.objects.filter(case__campaign__office__region__code="lt").exists()


def test_breaches_are_flagged_as_the_contact_policy_flags_them(region):
    attempts = list(
        ContactAttempt.objects.filter(household__office__region__code="lt").select_related(
            "household"
        )
    )
    breaches = [a for a in attempts if a.breaches]
    assert breaches and len(breaches) < len(attempts) / 4  # some, lawful ones mostly
    for attempt in breaches[:5] + [a for a in attempts if not a.breaches][:10]:
        history = household_history([attempt.household_id], attempt.occurred_at)
        verdict = check_attempt(
            as_policy_attempt(attempt),
            history=history.get(attempt.household_id, []),
            rules=household_rules(attempt.household),
        )
        assert verdict.breach_codes == attempt.breaches
        assert verdict.exemption_codes == attempt.exemptions


def test_a_region_that_exists_is_refused(region):
    with translation.override("en"), pytest.raises(CommandError, match="exists already"):
        call_command("generate_load", offices=1, households_per_office=5, region="lt")


@override_settings(PRODUCTION=True)
def test_it_refuses_the_production_settings():
    with translation.override("en"), pytest.raises(CommandError, match="production settings"):
        call_command("generate_load", offices=1, households_per_office=5, region="px")
    assert not Household.objects.exists()


def test_every_attempt_promise_and_issue_is_credited_to_its_cases_team(region):
    from django.db.models import F

    from arrears.models import DifficultIssue, PromiseToPay

    for model in (ContactAttempt, PromiseToPay, DifficultIssue):
        rows = model.objects.filter(case__campaign__office__region__code="lt")
        assert rows.exists()
        assert not rows.exclude(team_id=F("case__team_id")).exists(), model
