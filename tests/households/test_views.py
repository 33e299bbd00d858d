import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from households.models import ContactAttempt, ContactPolicy, OnSiteTip

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


# --- Posted values the form does not offer, and flagged texts (DESIGN.md §5.2) ------------


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("channel", "utility_cut", "utility_cutoff"),
        ("channel", "断水断电", "utility_cutoff"),
        ("channel", "ｃｕｔ＿ｐｏｗｅｒ", "utility_cutoff"),  # full-width
        ("channel", "停電", "utility_cutoff"),  # traditional
        ("person_contacted", "employer", "workplace_contact"),
        ("person_contacted", "еmployer", "workplace_contact"),  # Cyrillic е
        ("outcome", "拉横幅", "public_shaming"),
    ],
)
def test_a_posted_value_the_form_does_not_offer_gets_the_rule_and_the_law(
    client, world, field, value, rule
):
    client.force_login(world.collector_a)
    posted = {
        "channel": "phone_call",
        "person_contacted": "owner",
        "outcome": "no_answer",
        "occurred_at": "2026-11-25T10:00",
        field: value,
    }
    with translation.override("en"):
        response = client.post(reverse("attempt-new", args=[world.case_a.pk]), posted)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'data-rule="{rule}"' in page
    assert "Select a valid choice" not in page
    assert not ContactAttempt.objects.exists()


def test_a_tip_posting_a_method_as_its_kind_is_refused_with_the_rule(client, world):
    client.force_login(world.site)
    response = client.post(
        reverse("tip-new", args=[world.house_a.pk]), {"kind": "断水断电", "note": ""}
    )
    assert response.status_code == 400
    assert 'data-rule="utility_cutoff"' in response.content.decode()
    assert not OnSiteTip.objects.exists()


def test_the_breaches_page_lists_flagged_texts_with_phrase_and_rule(client, world):
    from arrears.issues import issue_raise
    from households.tips import tip_report

    issue_raise(
        case=world.case_a,
        raised_by=world.collector_a,
        title="恶意拒交",
        description="建议对其停水停电，到其单位拉横幅",
    )
    tip_report(
        household=world.house_a, kind="owner_seen", reported_by=world.site, note="门口蹲守到了"
    )
    client.force_login(world.manager)
    with translation.override("en"):
        response = client.get(reverse("breach-list"))
    page = response.content.decode()
    assert 'data-testid="flagged-texts"' in page
    assert "停水停电 (cutting utilities)" in page
    assert "到其单位 (contacting the owner&#x27;s workplace)" in page
    assert "门口蹲守" in page and 'data-rule="round_the_clock"' in page


def test_another_offices_manager_does_not_see_the_flagged_texts(client, world):
    from arrears.issues import issue_raise

    issue_raise(
        case=world.case_a, raised_by=world.collector_a, title="x", description="对其停水停电"
    )
    client.force_login(world.other_manager)
    response = client.get(reverse("breach-list"))
    assert "停水停电" not in response.content.decode()


def test_the_breaches_page_makes_the_same_number_of_queries_for_more_flagged_texts(client, world):
    from arrears.issues import issue_discuss, issue_raise
    from households.tips import tip_report

    def add():
        issue = issue_raise(
            case=world.case_a, raised_by=world.collector_a, title="x", description="对其停水停电"
        )
        issue_discuss(issue=issue, author=world.leader_a, text="晚上11点上门")
        tip_report(household=world.house_a, kind="other", reported_by=world.site, note="蹲守")

    client.force_login(world.manager)
    add()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("breach-list"))
    add()
    add()
    with CaptureQueriesContext(connection) as three:
        response = client.get(reverse("breach-list"))
    assert response.content.decode().count("对其停水停电") == 3
    assert len(three) == len(one)
