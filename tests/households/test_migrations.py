"""Data migrations of the households app, run as functions on today's models."""

import datetime
import importlib
from zoneinfo import ZoneInfo

from django.apps import apps

from households.models import ContactAttempt, ContactPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")


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
