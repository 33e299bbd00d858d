import datetime

from django.urls import reverse
from django.utils import timezone, translation

from households.contact_policy import make_breach
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
    errors = response.context["form"].errors
    assert "21:00" in " ".join(errors["allowed_until"])
    assert "3 or fewer" in " ".join(errors["visit_staff_max"])
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


def _visit(client, world, staff, case=None, **extra):
    yesterday_10 = timezone.localtime().replace(hour=10, minute=0) - datetime.timedelta(days=1)
    return client.post(
        reverse("attempt-new", args=[(case or world.case_a).pk]),
        {
            "channel": "home_visit",
            "person_contacted": "owner",
            "outcome": "talked",
            "occurred_at": yesterday_10.strftime("%Y-%m-%dT%H:%M"),
            "staff_count": str(staff),
            **extra,
        },
    )


def test_a_10_person_visit_posted_through_the_form_is_saved_as_a_breach(client, world):
    client.force_login(world.collector_a)
    response = _visit(client, world, 10)
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert attempt.staff_count == 10
    assert attempt.breaches == ["visit_staff_max"]
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="breach"' in page and "3" in page


def test_3_staff_is_no_breach_and_4_staff_is(client, world):
    client.force_login(world.collector_a)
    _visit(client, world, 3)
    assert ContactAttempt.objects.get(case=world.case_a).breaches == []
    client.force_login(world.collector_b)
    assert _visit(client, world, 4, case=world.case_b).status_code == 302
    assert ContactAttempt.objects.get(case=world.case_b).breaches == ["visit_staff_max"]


def test_a_staff_count_beyond_99_or_below_1_is_refused_with_what_to_do(client, world):
    client.force_login(world.collector_a)
    for staff in (100, 0):
        response = _visit(client, world, staff)
        assert response.status_code == 200
        (error,) = response.context["form"].errors["staff_count"]
        assert "Enter how many staff went on the visit" in error
    assert not ContactAttempt.objects.exists()


def test_the_form_gives_the_solo_visit_advice_before_saving(client, world):
    client.force_login(world.collector_a)
    html = client.get(reverse("attempt-new", args=[world.case_a.pk])).content.decode()
    assert "at least 2 staff, so that nobody visits alone" in html
    assert "More than 3 staff is saved as a breach" in html


def test_the_advice_uses_the_offices_numbers(client, world):
    ContactPolicy.objects.create(office=world.office, visit_staff_recommended=3, visit_staff_max=3)
    client.force_login(world.collector_a)
    html = client.get(reverse("attempt-new", args=[world.case_a.pk])).content.decode()
    assert "at least 3 staff" in html


def test_a_solo_visit_is_saved_with_the_advice_kept_and_shown_on_the_timeline(client, world):
    client.force_login(world.collector_a)
    response = _visit(client, world, 1)
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert (attempt.breaches, attempt.warnings) == ([], ["visit_staff_recommended"])
    page = client.get(response.url)
    html = page.content.decode()
    with translation.override(page.context["LANGUAGE_CODE"]):
        advice = make_breach("visit_staff_recommended").message
    assert 'data-testid="advice"' in html and advice in html
    assert any(advice in str(m) for m in page.context["messages"])


def test_a_visit_of_two_keeps_no_advice(client, world):
    client.force_login(world.collector_a)
    _visit(client, world, 2)
    assert ContactAttempt.objects.get().warnings == []


def test_the_lawful_contact_page_says_what_counts_as_proof_for_the_limitation_clock(client, world):
    client.force_login(world.collector_a)
    page = client.get(reverse("lawful-contact")).content.decode()
    assert 'data-testid="limitation-proof"' in page
