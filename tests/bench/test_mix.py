"""What the load test's users read and post (bench/mix.py), against the real pages: a call
when the contact policy allows one, a notice by post when it does not, both saved lawful."""

import datetime

import mix
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from desk.load import generate_load
from households.models import ContactAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    return generate_load(offices=1, households_per_office=60, seed=5, region_code="mx")


def _signed_in(client, username):
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _tomorrow_at(hour, minute=0):
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _log(client, pk):
    """The collector's round after the case list: the form, the post, the case page."""
    form_url = f"/cases/{pk}/attempts/new/"
    kind, data = mix.attempt_post(client.get(form_url).content.decode())
    saved = client.post(form_url, data)
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    page = client.get(saved["Location"]).content.decode()
    return kind, mix.saved_as(page), ContactAttempt.objects.latest("pk")


def test_a_call_in_the_offices_hours_and_a_posted_notice_at_night(region, client):
    _signed_in(client, "mx-01-a-collector")
    with time_machine.travel(_tomorrow_at(10), tick=False):
        ids = mix.case_ids(client.get("/cases/").content.decode())
        assert ids
        logged = [_log(client, pk) for pk in ids[:6]]
    kinds = {kind for kind, _saved, _attempt in logged}
    # At 10:00 most households may be called; the others (a call today already, a quiet
    # period after a conversation, written-only) get a notice.
    assert mix.CALL in kinds
    for kind, saved, attempt in logged:
        assert saved == "logged"
        assert attempt.breaches == [] and attempt.made_by.username == "mx-01-a-collector"
        assert attempt.channel == ("phone_call" if kind == mix.CALL else "payment_notice")
    with time_machine.travel(_tomorrow_at(23, 30), tick=False):
        kind, saved, attempt = _log(client, ids[0])
    assert (kind, saved) == (mix.LETTER, "logged")
    assert (attempt.channel, attempt.outcome, attempt.delivered_in_person) == (
        "payment_notice",
        "sent",
        False,
    )
    assert attempt.breaches == []


def test_once_the_days_calls_are_made_a_notice_is_posted_instead(region, client):
    _signed_in(client, "mx-01-a-collector")
    with time_machine.travel(_tomorrow_at(10), tick=False):
        ids = mix.case_ids(client.get("/cases/").content.decode())
        first = next(r for r in (_log(client, pk) for pk in ids) if r[0] == mix.CALL)
        pk = first[2].case_id
    rounds = []
    for minute in (5, 10, 15):  # the office's policy allows at most 2 calls a day
        with time_machine.travel(_tomorrow_at(10, minute), tick=False):
            rounds.append(_log(client, pk))
    assert [kind for kind, _s, _a in rounds][-1] == mix.LETTER
    assert all(saved == "logged" and a.breaches == [] for _k, saved, a in rounds)


def test_the_saved_message_tells_a_breach_from_a_lawful_contact(region, client):
    _signed_in(client, "mx-01-a-collector")
    with time_machine.travel(_tomorrow_at(23, 30), tick=False):
        pk = mix.case_ids(client.get("/cases/").content.decode())[0]
        form_url = f"/cases/{pk}/attempts/new/"
        _kind, data = mix.attempt_post(client.get(form_url).content.decode())
        # What the load never sends: a call at 23:30.
        saved = client.post(form_url, {**data, "channel": "phone_call", "outcome": "no_answer"})
        page = client.get(saved["Location"]).content.decode()
    assert ContactAttempt.objects.latest("pk").breaches
    assert mix.saved_as(page) == "breach"
    assert mix.saved_as(client.get(f"/cases/{pk}/").content.decode()) == "unknown"


def test_a_manager_finds_the_leaderboard_on_the_desk(region, client):
    _signed_in(client, "mx-01-manager")
    path = mix.leaderboard_path(client.get("/").content.decode())
    assert path and client.get(path).status_code == 200


def test_a_page_that_is_not_the_form_is_not_posted():
    with pytest.raises(ValueError):
        mix.attempt_post("<html>busy, try again</html>")
