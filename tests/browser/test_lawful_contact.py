"""The lawful-contact promise in a real browser (issue 11): an office manager who tries to
loosen the contact policy reads why not (the default and the law); a collector cannot lift an
owner's written-only request, while the manager can, with a scan of the owner's letter.

Pages are found by test ids, names and URLs (the catalogue may lag behind the English
msgids); refusals are checked for the default and for the legal basis as the Chinese UI words
it.
"""

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from households.contact import WITHDRAW_REFUSAL, household_set_written_only
from households.contact_policy import CALLS_PER_DAY, make_breach
from households.models import ContactPolicy, Household, WrittenOnlyWithdrawal
from tests.browser.conftest import screenshot
from tests.browser.test_login_and_desk import log_in
from tests.conftest import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def zh(text):
    """A lazy text as the Chinese UI shows it (the English msgid if not yet translated)."""
    with translation.override("zh-hans"):
        return str(text)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The owner's scanned letter goes to a temporary folder (the live server runs in this
    process, so it sees the override)."""
    settings.MEDIA_ROOT = tmp_path


def test_a_manager_cannot_loosen_the_policy_and_reads_the_default_and_the_law(world, desktop):
    log_in(desktop, "manager", "pw-manager")
    desktop.goto(reverse("contact-policy"))
    desktop.locator("[name=calls_per_day]").fill("5")
    with desktop.expect_navigation():
        desktop.get_by_test_id("save-policy").click()

    error = desktop.locator("[data-field=calls_per_day] .invalid-feedback")
    expect(error).to_be_visible()
    expect(error).to_contain_text("2")  # the default: at most 2 calls a day
    with translation.override("zh-hans"):
        basis = make_breach(CALLS_PER_DAY).basis  # Civil Code art. 1033 and public order
    expect(error).to_contain_text(basis)
    expect(desktop.locator("[name=calls_per_day]")).to_have_value("5")  # kept to correct
    screenshot(desktop, "policy-looser-refused")
    assert ContactPolicy.objects.get(office=world.office).calls_per_day == 2

    # Stricter is fine.
    desktop.locator("[name=calls_per_day]").fill("1")
    with desktop.expect_navigation():
        desktop.get_by_test_id("save-policy").click()
    expect(desktop.locator(".invalid-feedback")).to_have_count(0)
    assert ContactPolicy.objects.get(office=world.office).calls_per_day == 1


def test_a_collector_cannot_lift_a_written_only_request_and_the_manager_can_with_a_scan(
    world, phone, desktop
):
    household_set_written_only(
        household=world.house_a,
        since=timezone.localdate(),
        reason="业主要求只书面联系",
        by=world.collector_a,
    )
    case = world.case_a.pk
    written_only = reverse("written-only", args=[case])
    withdraw = reverse("written-only-withdraw", args=[case])

    # The collector is offered no control to lift it, only the reason and what to do.
    log_in(phone, "collector_a", "pw-collector_a")
    phone.goto(written_only)
    expect(phone.get_by_test_id("written-only-on")).to_be_visible()
    expect(phone.get_by_test_id("withdraw-link")).to_have_count(0)
    expect(phone.locator("[name=clear]")).to_have_count(0)
    expect(phone.get_by_test_id("withdraw-refusal")).to_contain_text(zh(WITHDRAW_REFUSAL))
    # Typing the withdrawal address gets the refusal, and nothing changes.
    response = phone.goto(withdraw)
    assert response.status == 403
    expect(phone.get_by_test_id("refused")).to_contain_text(zh(WITHDRAW_REFUSAL))
    expect(phone.locator("[name=evidence]")).to_have_count(0)
    screenshot(phone, "written-only-withdrawal-refused")
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only

    # The manager records the owner's signed letter with a scan.
    log_in(desktop, "manager", "pw-manager")
    desktop.goto(written_only)
    with desktop.expect_navigation():
        desktop.get_by_test_id("withdraw-link").click()
    expect(desktop).to_have_url(withdraw)
    desktop.locator("[name=withdrawn_on]").fill(timezone.localdate().isoformat())
    desktop.locator("[name=evidence]").set_input_files(
        files=[{"name": "撤回函.png", "mimeType": "image/png", "buffer": PNG}]
    )
    desktop.locator("[name=note]").fill("业主来函撤回，同意电话联系")
    with desktop.expect_navigation():
        desktop.get_by_test_id("withdraw").click()

    expect(desktop).to_have_url(reverse("case-detail", args=[case]))
    timeline = desktop.get_by_test_id("timeline")
    expect(timeline.locator("li.written_only_withdrawn")).to_contain_text("撤回函.png")
    expect(timeline.locator("li.written_only")).to_have_count(1)
    screenshot(desktop, "written-only-withdrawn")
    assert not Household.objects.get(pk=world.house_a.pk).written_contact_only
    assert WrittenOnlyWithdrawal.objects.get().recorded_by == world.manager
