"""Data migrations of households, run on today's models (the same fields they read)."""

import datetime
import importlib

from django.apps import apps
from django.utils import timezone

from households.models import ContactAttempt, ContactPolicy

attempt_warnings = importlib.import_module("households.migrations.0010_attempt_warnings")


def _attempt(world, case, channel, staff):
    return ContactAttempt.objects.create(
        household=case.household,
        case=case,
        made_by=world.collector_a,
        occurred_at=timezone.now() - datetime.timedelta(days=2),
        channel=channel,
        person_contacted="owner",
        outcome="talked",
        staff_count=staff,
    )


def test_visits_stored_before_keep_the_solo_visit_advice_they_did_not_follow(world):
    ContactPolicy.objects.create(office=world.other_office, visit_staff_recommended=3)
    solo = _attempt(world, world.case_a, "home_visit", 1)
    pair = _attempt(world, world.case_a, "home_visit", 2)
    call = _attempt(world, world.case_b, "phone_call", None)
    pair_elsewhere = _attempt(world, world.other_case, "home_visit", 2)  # the office wants 3
    breach = ContactAttempt.objects.create(
        household=world.house_b,
        case=world.case_b,
        made_by=world.collector_b,
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        channel="home_visit",
        person_contacted="owner",
        outcome="talked",
        staff_count=5,
        breaches=["visit_staff_max"],
    )
    attempt_warnings.keep_solo_visit_advice(apps, None)
    kept = dict(ContactAttempt.objects.values_list("pk", "warnings"))
    assert kept == {
        solo.pk: ["visit_staff_recommended"],
        pair.pk: [],
        call.pk: [],
        pair_elsewhere.pk: ["visit_staff_recommended"],
        breach.pk: [],
    }
    assert ContactAttempt.objects.get(pk=breach.pk).breaches == ["visit_staff_max"]
