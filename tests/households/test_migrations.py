"""Data migrations of households, run as functions on today's models (the same fields they read)."""

import datetime
import importlib
from zoneinfo import ZoneInfo

from django.apps import apps
from django.utils import timezone

from households.models import ContactAttempt, ContactPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
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


def _stored(world, hour, minute=0, *, breaches=(), at_owners_request=True):
    """An attempt as an older version stored it: the owner's request ticked, no exemptions."""
    when = datetime.datetime(2026, 11, 20, hour, minute, tzinfo=SHANGHAI)
    return ContactAttempt.objects.create(
        household=world.house_a,
        case=world.case_a,
        made_by=world.collector_a,
        occurred_at=when,
        recorded_at=when,
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
        at_owners_request=at_owners_request,
        breaches=list(breaches),
    )


def test_past_owners_requests_outside_the_hours_go_to_the_review_list(world):
    migration = importlib.import_module("households.migrations.0008_attempt_exemptions")
    ContactPolicy.objects.create(office=world.office, allowed_until=datetime.time(20, 0))
    late = _stored(world, 23, 30)
    early = _stored(world, 7, 45)
    after_this_office = _stored(world, 20, 30)  # after this office's 20:00
    in_hours = _stored(world, 19, 30)
    breached = _stored(world, 22, 0, breaches=["hours"])
    unticked = _stored(world, 23, 0, at_owners_request=False)

    migration.mark_past_owners_requests(apps, None)

    marked = set(ContactAttempt.objects.exempted().values_list("pk", flat=True))
    assert marked == {late.pk, early.pk, after_this_office.pk}
    assert ContactAttempt.objects.get(pk=late.pk).exemptions == ["owners_requested_time"]
    for attempt in (in_hours, breached, unticked):
        assert ContactAttempt.objects.get(pk=attempt.pk).exemptions == []
