"""The owner's statement on a 390 px phone (issue 17.1): opened from a letter's link, read in
Chinese, asking for written contact only; a forged and an expired link get the plain page."""

import datetime
from urllib.parse import urlparse

import pytest
import time_machine
from django.utils import timezone

from escalation.letter_records import letter_issue
from escalation.letters import issued_letter
from households.models import Household
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_owner_reads_the_statement_and_asks_for_written_contact_only(phone, world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    path = urlparse(issued_letter(letter).statement_url).path
    phone.goto(path)
    page = phone.get_by_test_id("statement-page")
    assert "您的物业费对账单" in page.inner_text()
    assert "C6-101" in phone.get_by_test_id("statement-unit").inner_text()
    assert "¥1,700.00" in phone.get_by_test_id("statement-total").inner_text()
    text = page.inner_text()
    for never in ("张静", "13912345678", "李收费"):
        assert never not in text
    assert _fits(phone)
    screenshot(phone, "statement-phone-zh")
    phone.get_by_test_id("statement-written-only").click()
    assert phone.get_by_test_id("statement-done").is_visible()
    assert phone.get_by_test_id("statement-written-only-on").is_visible()
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only
    # English on the switch.
    phone.get_by_role("button", name="English").click()
    assert "Your property fee statement" in phone.get_by_test_id("statement-page").inner_text()
    assert _fits(phone)


def test_a_forged_or_expired_link_gets_the_plain_page(phone, world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    path = urlparse(issued_letter(letter).statement_url).path
    phone.goto(path[:-3] + "xx/")
    assert phone.get_by_test_id("statement-gone").is_visible()
    assert "C6-101" not in phone.content()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=91)):
        phone.goto(path)
        assert phone.get_by_test_id("statement-gone").is_visible()
    assert _fits(phone)
    screenshot(phone, "statement-phone-gone")
