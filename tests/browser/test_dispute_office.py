"""The office side of a dispute in a real browser (issue 17.2): the office manager records
the owner's dispute over two months, issues the written answer from the dispute's page,
records its delivery on the letter, upholds the dispute and approves the waiver, which comes
off the two disputed months."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from arrears.models import DebtPeriod
from escalation.models import Letter, Waiver, WaiverAllocation
from households import disputes
from households.models import Dispute
from tests.browser.conftest import screenshot
from tests.browser.test_login_and_desk import log_in
from tests.conftest import PNG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submit(form):
    with form.page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_record_answer_deliver_uphold_and_approve(world, desktop, live_server):
    page, case = desktop, world.case_a
    log_in(page, "manager", "pw-manager")
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    march, april = (
        DebtPeriod.objects.get(household=world.house_a, month=f"2014-0{m}-01") for m in (3, 4)
    )

    # Record the dispute from the case page: two months the owner says were paid.
    page.goto(f"/cases/{case.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("dispute-new").click()
    form = page.get_by_test_id("dispute-form")
    form.locator("input[name=kind][value=months]").check()
    form.locator(f"input[name=months][value='{march.pk}']").check()
    form.locator(f"input[name=months][value='{april.pk}']").check()
    form.locator("[name=words]").fill("三月四月我交过了，有收据")
    form.locator("[name=source]").select_option("call")
    submit(form)
    dispute = Dispute.objects.get(household=world.house_a)
    assert disputes.status(dispute) == disputes.OPEN

    # The case's dispute card leads to the dispute's page.
    with page.expect_navigation():
        page.get_by_test_id("dispute-link").click()
    expect(page).to_have_url(re.compile(rf"/disputes/{dispute.pk}/$"))
    expect(page.get_by_test_id("dispute-state")).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("dispute-words")).to_have_text("三月四月我交过了，有收据")
    expect(page.get_by_test_id("dispute-months")).to_contain_text("2014-03 — 2014-04")

    # The written answer, issued as a letter.
    answer = page.get_by_test_id("answer-form")
    answer.locator("[name=found]").fill("经查收费系统，业主所持收据属实。")
    answer.locator("[name=proposed]").fill("2014年3月、4月的物业费予以核销。")
    submit(answer)
    letter = Letter.objects.get(dispute=dispute)
    expect(page).to_have_url(re.compile(rf"/letters/{letter.pk}/$"))
    body = page.get_by_test_id("letter")
    expect(body.get_by_role("heading", level=1)).to_have_text("异议答复函")
    expect(body).to_contain_text("经查收费系统，业主所持收据属实。")
    expect(body).to_contain_text("2014年3月至2014年4月（2个月）")
    expect(body).not_to_contain_text("李收费")
    screenshot(page, "dispute-answer-letter")
    assert disputes.household_pause(world.house_a.pk, timezone.now()) is None  # some months

    # Handed over in person and signed for: the answer is delivered.
    delivery = page.get_by_test_id("delivery-form")
    delivery.locator("[name=proof]").select_option("signature")
    delivery.locator("[name=proof_detail]").fill("张静 本人签收")
    delivery.locator("[name=evidence]").set_input_files(
        files=[{"name": "signed.png", "mimeType": "image/png", "buffer": PNG}]
    )
    submit(delivery)
    expect(page.get_by_test_id("delivered-on")).to_contain_text("张静 本人签收")
    assert disputes.status(dispute) == disputes.ANSWERED

    # Back on the dispute: the manager upholds it; the waiver awaits approval.
    page.goto(f"/disputes/{dispute.pk}/")
    expect(page.get_by_test_id("answered-at")).to_be_visible()
    resolve = page.get_by_test_id("resolve-form")
    resolve.locator("input[name=outcome][value=upheld]").check()
    resolve.locator("[name=note]").fill("收据属实")
    submit(resolve)
    waiver = Waiver.objects.get(dispute=dispute)
    assert waiver.amount == Decimal("200.00") and waiver.status == Waiver.Status.PENDING
    expect(page.get_by_test_id("dispute-waiver")).to_have_attribute("data-status", "pending")

    decide = page.get_by_test_id("waiver-decide-form")
    decide.locator("input[name=decision][value=approve]").check()
    submit(decide)
    expect(page).to_have_url(re.compile(rf"/disputes/{dispute.pk}/$"))
    expect(page.get_by_test_id("dispute-waiver")).to_have_attribute("data-status", "approved")
    expect(page.get_by_test_id("dispute-state")).to_have_attribute("data-state", "resolved")
    screenshot(page, "dispute-resolved")
    assert {a.period_id for a in WaiverAllocation.objects.filter(waiver=waiver)} == {
        march.pk,
        april.pk,
    }
