import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from households.contact import attempt_log, exemption_decide
from households.contact_policy import POLICY_LIMIT_BY_FIELD, make_breach
from households.models import ContactAttempt, ContactPolicy, ExemptionReview, OnSiteTip

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
    errors = response.context["form"].errors
    with translation.override(response.context["LANGUAGE_CODE"]):
        refusals = {
            f: POLICY_LIMIT_BY_FIELD[f].refusal() for f in ("allowed_until", "visit_staff_max")
        }
    assert "21:00" in refusals["allowed_until"] and "3" in refusals["visit_staff_max"]
    assert errors["allowed_until"] == [refusals["allowed_until"]]
    assert errors["visit_staff_max"] == [refusals["visit_staff_max"]]
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


def test_a_staff_count_beyond_99_or_below_1_is_refused_with_what_to_do(client, world, settings):
    client.force_login(world.collector_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for staff in (100, 0):
        response = _visit(client, world, staff)
        assert response.status_code == 200
        (error,) = response.context["form"].errors["staff_count"]
        assert "Enter how many staff went on the visit" in error
    assert not ContactAttempt.objects.exists()


def test_the_form_gives_the_solo_visit_advice_before_saving(client, world, settings):
    client.force_login(world.collector_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("attempt-new", args=[world.case_a.pk])).content.decode()
    assert "at least 2 staff, so that nobody visits alone" in html
    assert "More than 3 staff is saved as a breach" in html


def test_the_advice_uses_the_offices_numbers(client, world, settings):
    ContactPolicy.objects.create(office=world.office, visit_staff_recommended=3, visit_staff_max=3)
    client.force_login(world.collector_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
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


# --- Issue 11: exemptions on the record, hours for every channel ------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def noon():
    with time_machine.travel(NOON, tick=False):
        yield


def _post_attempt(client, world, **data):
    data.setdefault("channel", "phone_call")
    data.setdefault("person_contacted", "owner")
    data.setdefault("outcome", "no_answer")
    data.setdefault("occurred_at", "2026-11-24T21:30")
    return client.post(reverse("attempt-new", args=[world.case_a.pk]), data)


def test_the_owners_request_without_their_words_is_sent_back(client, world, noon):
    client.force_login(world.collector_a)
    response = _post_attempt(client, world, at_owners_request="on")
    assert response.status_code == 200
    assert "owners_request_note" in response.context["form"].errors
    assert not ContactAttempt.objects.exists()


def test_an_exemption_is_marked_on_the_timeline_with_the_owners_words(client, world, noon):
    client.force_login(world.collector_a)
    response = _post_attempt(
        client, world, at_owners_request="on", owners_request_note="业主说白天上班，九点半后打"
    )
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert attempt.exemptions == ["owners_requested_time"] and attempt.breaches == []
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="exemption"' in page
    assert "业主说白天上班，九点半后打" in page


def test_a_call_at_23_30_at_the_owners_request_is_a_breach_through_the_form(client, world, noon):
    client.force_login(world.collector_a)
    _post_attempt(
        client,
        world,
        occurred_at="2026-11-24T23:30",
        at_owners_request="on",
        owners_request_note="业主说随时打",
    )
    assert ContactAttempt.objects.get().breaches == ["hours"]


def test_a_delivered_paper_not_said_to_be_posted_counts_as_handed_over(client, world, noon):
    client.force_login(world.collector_a)
    response = _post_attempt(
        client, world, channel="payment_notice", outcome="delivered", occurred_at="2026-11-24T22:30"
    )
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert attempt.delivered_in_person and attempt.breaches == ["hours"]


def test_a_paper_posted_is_not_held_to_the_hours_through_the_form(client, world, noon):
    client.force_login(world.collector_a)
    _post_attempt(
        client,
        world,
        channel="payment_notice",
        outcome="delivered",
        delivery="post",
        occurred_at="2026-11-24T22:30",
    )
    attempt = ContactAttempt.objects.get()
    assert not attempt.delivered_in_person and attempt.breaches == []


def test_a_delivery_method_posted_for_a_call_is_ignored(client, world, noon):
    client.force_login(world.collector_a)
    _post_attempt(client, world, occurred_at="2026-11-24T10:00", delivery="in_person")
    assert not ContactAttempt.objects.get().delivered_in_person


def test_a_notice_handed_over_at_22_30_is_a_breach_through_the_form(client, world, noon):
    client.force_login(world.collector_a)
    response = _post_attempt(
        client,
        world,
        channel="payment_notice",
        outcome="delivered",
        delivery="in_person",
        occurred_at="2026-11-24T22:30",
    )
    assert response.status_code == 302
    attempt = ContactAttempt.objects.get()
    assert attempt.breaches == ["hours"] and attempt.delivered_in_person


def test_a_walk_in_posted_for_a_call_is_sent_back(client, world, noon):
    client.force_login(world.collector_a)
    response = _post_attempt(client, world, owner_walked_in="on")
    assert response.status_code == 200
    assert "owner_walked_in" in response.context["form"].errors
    assert not ContactAttempt.objects.exists()


def test_an_owner_who_walked_in_at_22_00_is_visibly_exempt(client, world, noon):
    client.force_login(world.collector_a)
    _post_attempt(
        client,
        world,
        channel="office_meeting",
        outcome="talked",
        owner_walked_in="on",
        occurred_at="2026-11-24T22:00",
    )
    assert ContactAttempt.objects.get().exemptions == ["owner_walked_in"]
    client.force_login(world.manager)
    page = client.get(reverse("breach-list")).content.decode()
    assert 'data-testid="exemptions-to-review"' in page
    assert "C6-101" in page.split('data-testid="exemptions-to-review"')[1]


def _exempt_call(world):
    return attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=NOON.replace(hour=21, minute=30) - datetime.timedelta(days=1),
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
        at_owners_request=True,
        owners_request_note="晚上九点半后打",
    )


def test_the_manager_accepts_an_exemption_on_the_breaches_page(client, world, noon):
    attempt = _exempt_call(world)
    client.force_login(world.manager)
    page = client.get(reverse("breach-list")).content.decode()
    assert reverse("exemption-review", args=[attempt.pk]) in page
    response = client.post(
        reverse("exemption-review", args=[attempt.pk]), {"decision": "accept", "note": ""}
    )
    assert response.status_code == 302
    review = ExemptionReview.objects.get()
    assert (review.attempt, review.decision, review.reviewed_by) == (
        attempt,
        "accept",
        world.manager,
    )
    page = client.get(reverse("breach-list")).content.decode()
    assert reverse("exemption-review", args=[attempt.pk]) not in page
    assert 'data-testid="exemptions-reviewed"' in page


def test_an_exemption_marked_as_breach_is_listed_as_a_breach(client, world, noon):
    attempt = _exempt_call(world)
    client.force_login(world.manager)
    client.post(
        reverse("exemption-review", args=[attempt.pk]),
        {"decision": "breach", "note": "业主未提出"},
    )
    page = client.get(reverse("breach-list")).content.decode()
    breaches = page.split('data-testid="breaches"')[1].split("</ul>")[0]
    assert "C6-101" in breaches
    case_page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    assert 'data-testid="breach"' in case_page


def test_marking_as_breach_without_a_note_records_nothing(client, world, noon):
    attempt = _exempt_call(world)
    client.force_login(world.manager)
    response = client.post(
        reverse("exemption-review", args=[attempt.pk]), {"decision": "breach"}, follow=True
    )
    assert not ExemptionReview.objects.exists()
    shown = list(response.context["messages"])
    assert [m.level_tag for m in shown] == ["error"]  # says what to write, nothing recorded


def test_a_collector_may_not_review_an_exemption(client, world, noon):
    attempt = _exempt_call(world)
    client.force_login(world.collector_a)
    response = client.post(reverse("exemption-review", args=[attempt.pk]), {"decision": "accept"})
    assert response.status_code == 403
    assert not ExemptionReview.objects.exists()


def test_another_offices_manager_gets_404(client, world, noon):
    attempt = _exempt_call(world)
    client.force_login(world.other_manager)
    response = client.post(reverse("exemption-review", args=[attempt.pk]), {"decision": "accept"})
    assert response.status_code == 404
    assert not ExemptionReview.objects.exists()


def test_the_breaches_page_makes_the_same_queries_for_one_or_many_exemptions(client, world, noon):
    client.force_login(world.manager)
    _exempt_call(world)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("breach-list"))
    for hour in (7, 21):
        attempt = attempt_log(
            case=world.case_b,
            by=world.collector_b,
            occurred_at=NOON.replace(hour=hour, minute=15) - datetime.timedelta(days=2),
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
            at_owners_request=True,
            owners_request_note="业主要求",
        )
        exemption_decide(attempt=attempt, decision="breach", note="核实不符", by=world.manager)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("breach-list"))
    assert len(many) == len(one)


def test_the_lawful_contact_page_lists_the_exemptions_and_their_bounds(client, world):
    client.force_login(world.collector_a)
    with translation.override("en"):
        page = client.get(reverse("lawful-contact"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rules = page.split('data-testid="exemption-rules"')[1].split("</ul>")[0]
    assert "07:00" in rules and "22:00" in rules
    assert rules.count("<li>") == 5


def test_the_managers_desk_says_how_many_exemptions_await_review(client, world, noon):
    _exempt_call(world)
    client.force_login(world.manager)
    page = client.get(reverse("desk")).content.decode()
    assert 'data-testid="exemptions-to-review-count"' in page
    assert reverse("breach-list") in page.split('data-testid="exemptions-to-review-count"')[1]
    client.force_login(world.other_manager)
    page = client.get(reverse("desk")).content.decode()
    assert 'data-testid="exemptions-to-review-count"' not in page


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
        by=world.collector_a,
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


def test_the_breaches_page_lists_flagged_texts_with_phrase_and_rule(client, world, settings):
    from arrears.issues import issue_raise
    from households.tips import tip_report

    issue_raise(
        case=world.case_a,
        by=world.collector_a,
        title="恶意拒交",
        description="建议对其停水停电，到其单位拉横幅",
    )
    tip_report(household=world.house_a, kind="owner_seen", by=world.site, note="门口蹲守到了")
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the page is in English only if chosen
    response = client.get(reverse("breach-list"))
    page = response.content.decode()
    assert 'data-testid="flagged-texts"' in page
    assert "停水停电 (cutting utilities)" in page
    assert "到其单位 (contacting the owner&#x27;s workplace)" in page
    assert "门口蹲守" in page and 'data-rule="round_the_clock"' in page


def test_another_offices_manager_does_not_see_the_flagged_texts(client, world):
    from arrears.issues import issue_raise

    issue_raise(case=world.case_a, by=world.collector_a, title="x", description="对其停水停电")
    client.force_login(world.other_manager)
    response = client.get(reverse("breach-list"))
    assert "停水停电" not in response.content.decode()


def test_the_breaches_page_makes_the_same_number_of_queries_for_more_flagged_texts(client, world):
    from arrears.issues import issue_discuss, issue_raise
    from households.tips import tip_report

    def add():
        issue = issue_raise(
            case=world.case_a, by=world.collector_a, title="x", description="对其停水停电"
        )
        issue_discuss(issue=issue, by=world.leader_a, text="晚上11点上门")
        tip_report(household=world.house_a, kind="other", by=world.site, note="蹲守")

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


def test_the_lawful_contact_page_explains_answers_backdating_and_report_windows(
    client, world, settings
):
    settings.BACKDATE_DAYS = 5
    client.force_login(world.collector_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("lawful-contact")).content.decode()
    rules = page.split('data-testid="record-rules"')[1].split("</ul>")[0]
    assert rules.count("<li>") == 3
    assert "more than 5 days before it is entered" in rules
    assert "exactly one daily report" in rules
