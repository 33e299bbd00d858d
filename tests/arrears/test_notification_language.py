"""Inbox notices are put in the reader's language when read (issue 16.8): a notice keeps its
message id and parameters, not its text; notices written before keep their text."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from arrears.issues import issue_raise
from arrears.messages import Flags, Lines, Message, render
from arrears.models import Notification
from arrears.notifications import notify
from households.contact import attempt_log
from households.tips import tip_report

pytestmark = pytest.mark.django_db


def inbox(client, user, language) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("inbox"))
    assert response.status_code == 200
    return response.content.decode()


def test_an_issue_raised_in_english_reads_in_chinese_and_in_english(client, world):
    with translation.override("en"):  # raised by someone reading the desk in English
        issue_raise(
            case=world.case_a, by=world.collector_a, title="门禁纠纷", description="业主称…"
        )
    notice = Notification.objects.get(recipient=world.manager)
    assert notice.message == "Difficult issue on %(unit)s: %(title)s"
    assert notice.params == {"unit": "C6-101", "title": "门禁纠纷"}
    # The stored text, the fallback, is in the default language whoever wrote it.
    assert notice.title == "C6-101 的疑难问题：门禁纠纷"
    assert "Difficult issue on C6-101: 门禁纠纷" in inbox(client, world.manager, "en")
    assert "C6-101 的疑难问题：门禁纠纷" in inbox(client, world.manager, "zh-hans")


def test_a_notice_written_before_keeps_its_text(client, world):
    Notification.objects.create(
        recipient=world.manager, kind=Notification.Kind.TIP, title="旧的通知", body="旧的正文"
    )
    html = inbox(client, world.manager, "en")
    assert "旧的通知" in html and "旧的正文" in html


def test_a_flagged_tip_names_the_kind_and_the_rule_in_the_readers_language(client, world):
    with translation.override("zh-hans"):
        tip_report(household=world.house_a, kind="owner_seen", by=world.site, note="要停水停电")
    english = inbox(client, world.manager, "en")
    assert "On-site tip on C6-101 flagged for review" in english
    assert "Mentions: 停水停电 (cutting utilities)" in english
    collector = inbox(client, world.collector_a, "en")  # the responsible person's tip
    assert "C6-101: owner seen" in collector
    assert "C6-101：见到业主" in inbox(client, world.collector_a, "zh-hans")


def test_a_breach_reads_in_english_with_the_policys_numbers(client, world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with translation.override("zh-hans"):
        attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=timezone.make_aware(
                datetime.datetime.combine(yesterday, datetime.time(23, 30))
            ),
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
        )
    english = inbox(client, world.manager, "en")
    assert "Contact policy breach on C6-101" in english
    assert "allowed only from 08:00 to 21:00 local time" in english
    chinese = inbox(client, world.manager, "zh-hans")
    assert "C6-101 违反联系规范" in chinese


def test_words_nest_and_plurals_count():
    from households.contact_policy import CALLS_PER_DAY, DEFAULT_RULES, make_breach

    with translation.override("zh-hans"):
        breach = make_breach(CALLS_PER_DAY, DEFAULT_RULES)
    words = Lines([Message(breach.template, **breach.params), "业主原话"])
    with translation.override("en"):
        english = make_breach(CALLS_PER_DAY, DEFAULT_RULES).message
        assert render(words.as_data()) == f"{english}\n业主原话"
        assert english.startswith("At most")
        assert str(Message("Mentions: %(terms)s", terms=Flags(["停水停电"]))) == (
            "Mentions: 停水停电 (cutting utilities)"
        )
    with translation.override("zh-hans"):
        assert render(words.as_data()) == f"{breach.message}\n业主原话"


def test_a_plain_title_is_kept_as_written(world):
    notify(recipients=[world.manager], kind=Notification.Kind.TIP, title="直接写的")
    notice = Notification.objects.get(recipient=world.manager)
    assert (notice.message, notice.shown_title) == ("", "直接写的")


def test_a_summary_notice_names_its_kind_in_the_readers_language(client, world):
    from summaries.producing import produce_daily
    from summaries.windows import report_day

    produce_daily(day=report_day(timezone.now(), world.region))
    notices = Notification.objects.filter(kind=Notification.Kind.SUMMARY, recipient=world.manager)
    assert notices.exists()
    english = inbox(client, world.manager, "en")
    assert "18:00 office summary" in english
    assert "18:00 office summary" not in inbox(client, world.manager, "zh-hans")


def test_a_label_with_a_context_keeps_it():
    from django.utils.translation import pgettext_lazy

    label = pgettext_lazy("menu", "Work")
    words = Message("%(unit)s: %(what)s", unit="C6-101", what=label)
    assert words.as_data()["params"]["what"] == {"msgid": "Work", "context": "menu", "params": {}}
    with translation.override("zh-hans"):
        assert str(words) == "C6-101: 工作"
    with translation.override("en"):
        assert str(words) == "C6-101: Work"
