"""Contact now, per channel, on a phone: the case list's badges, the case banner and the log
form, where tapping a channel highlights the answer that applies to it (issue 11, item 6)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from households.contact import attempt_log
from households.contact_policy import make_breach
from households.models import Channel
from tests.browser.conftest import screenshot
from tests.browser.test_collector_day import open_case, tap_choice, zh
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visit_yesterday_blocks_visits_only_and_the_form_highlights_the_tapped_channel(
    world, phone
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(10))),
        channel="home_visit",
        person_contacted="owner",
        outcome="no_answer",
        staff_count=2,
    )
    log_in(phone, "collector_a", "pw-collector_a")
    row = phone.get_by_test_id("case-table").locator("tr[data-unit='C6-101']")
    visit_badge = row.locator("[data-answer=visit]")
    expect(visit_badge).to_have_attribute("data-state", "later")
    rule = make_breach("visits_per_7_days").message
    expect(visit_badge).to_have_attribute("title", re.compile(re.escape(rule)))
    screenshot(phone, "contact-now-list-phone")

    open_case(phone)
    visit = phone.get_by_test_id("contact-now").locator("[data-answer=visit]")
    expect(visit).to_contain_text(rule)
    expect(phone.get_by_test_id("contact-now").get_by_test_id("contact-answer")).to_have_count(3)
    screenshot(phone, "contact-now-case-phone")

    with phone.expect_navigation():
        phone.get_by_test_id("case-actions").get_by_role("link", name=zh("Log contact")).click()
    answers = phone.get_by_test_id("contact-now")
    expect(answers.locator("li.chosen")).to_have_count(0)
    tap_choice(phone, "channel", zh(Channel.HOME_VISIT.label))
    expect(answers.locator("li.chosen")).to_have_attribute("data-answer", "visit")
    screenshot(phone, "contact-now-form-phone")
    tap_choice(phone, "channel", zh(Channel.WECHAT.label))
    expect(answers.locator("li.chosen")).to_have_attribute("data-answer", "message")
    tap_choice(phone, "channel", zh(Channel.PAYMENT_NOTICE.label))
    expect(answers.locator("li.chosen")).to_have_count(0)
