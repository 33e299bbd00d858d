import datetime
import re
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse
from django.utils.html import escape

from households.contact import attempt_log
from households.contact_policy import make_breach
from households.models import ContactAttempt, ContactPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)  # a Wednesday
POLICY = {
    "allowed_from": "08:30",
    "allowed_until": "20:00",
    "calls_per_day": "1",
    "calls_per_7_days": "5",
    "quiet_days_after_conversation": "7",
    "messages_per_day": "1",
    "messages_per_7_days": "3",
    "visits_per_7_days": "1",
    "visit_staff_recommended": "2",
    "visit_staff_max": "3",
}


def test_the_manager_makes_the_office_policy_stricter(client, world):
    client.force_login(world.manager)
    response = client.post(reverse("contact-policy"), POLICY)
    assert response.status_code == 302
    policy = ContactPolicy.objects.get(office=world.office)
    assert (policy.allowed_until, policy.calls_per_day) == (datetime.time(20, 0), 1)
    assert policy.history.first().history_user == world.manager


def test_the_policy_cannot_be_made_looser_than_the_law_allows(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("contact-policy"), {**POLICY, "allowed_until": "22:00", "visit_staff_max": "4"}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "08:00" in errors and "21:00" in errors
    assert "3" in errors
    assert not ContactPolicy.objects.filter(
        office=world.office, allowed_until=datetime.time(22, 0)
    ).exists()


def test_posting_an_unlawful_channel_is_refused_with_the_rule_and_saves_nothing(client, world):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {
            "channel": "cut_power",
            "person_contacted": "owner",
            "outcome": "no_answer",
            "occurred_at": "2026-11-25T10:00",
        },
    )
    assert response.status_code == 400
    assert 'data-rule="utility_cutoff"' in response.content.decode()
    assert not ContactAttempt.objects.exists()


def test_the_log_form_offers_only_lawful_channels(client, world):
    client.force_login(world.collector_a)
    html = client.get(reverse("attempt-new", args=[world.case_a.pk])).content.decode()
    for word in ("停水", "停电", "cut_water", "banner", "横幅"):
        assert word not in html


def test_a_collector_logs_a_call_through_the_form(client, world):
    client.force_login(world.collector_a)
    when = (datetime.datetime.now() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {
            "channel": "phone_call",
            "person_contacted": "owner",
            "outcome": "talked",
            "occurred_at": when,
            "notes": "业主答应下周来缴费",
            "message_has_opt_out": "on",
        },
    )
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert (attempt.made_by, attempt.case, attempt.outcome) == (
        world.collector_a,
        world.case_a,
        "talked",
    )


def answer_lines(html):
    """The log form's answers: [(channel, state, highlighted), ...]."""
    return [
        (key, state, "chosen" in rest)
        for key, state, rest in re.findall(
            r'<li data-testid="contact-answer" data-answer="(\w+)" data-state="(\w+)"([^>]*)>', html
        )
    ]


@time_machine.travel(NOON, tick=False)
def test_the_log_form_shows_the_three_answers_and_highlights_the_chosen_channel(client, world):
    attempt_log(
        case=world.case_a,
        made_by=world.collector_a,
        occurred_at=NOON.replace(hour=10),
        channel="home_visit",
        person_contacted="owner",
        outcome="no_answer",
        staff_count=2,
    )
    client.force_login(world.collector_a)
    url = reverse("attempt-new", args=[world.case_a.pk])
    html = client.get(url, {"channel": "home_visit"}).content.decode()
    assert answer_lines(html) == [
        ("call", "allowed", False),
        ("message", "allowed", False),
        ("visit", "later", True),
    ]
    assert html.index('data-testid="contact-now"') < html.index('data-testid="attempt-form"')
    assert "2026-12-02 10:00" in html
    assert escape(make_breach("visits_per_7_days").message) in html
    # WeChat is a message: the message answer is the one that applies.
    html = client.get(url, {"channel": "wechat"}).content.decode()
    assert [line[2] for line in answer_lines(html)] == [False, True, False]
    # No channel yet, or a written one: nothing to highlight.
    for params in ({}, {"channel": "written_demand"}):
        html = client.get(url, params).content.decode()
        assert [line[2] for line in answer_lines(html)] == [False, False, False]


@time_machine.travel(NOON, tick=False)
def test_a_form_sent_back_with_errors_keeps_the_answers_and_the_posted_channel(client, world):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {"channel": "phone_call", "person_contacted": "owner", "outcome": "no_answer"},
    )
    assert response.status_code == 200  # the time is missing
    assert answer_lines(response.content.decode()) == [
        ("call", "allowed", True),
        ("message", "allowed", False),
        ("visit", "allowed", False),
    ]
    assert not ContactAttempt.objects.exists()
