import datetime

from django.urls import reverse

from households.models import ContactAttempt, ContactPolicy

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


def test_the_lawful_contact_page_says_what_counts_as_proof_for_the_limitation_clock(client, world):
    client.force_login(world.collector_a)
    page = client.get(reverse("lawful-contact")).content.decode()
    assert 'data-testid="limitation-proof"' in page
