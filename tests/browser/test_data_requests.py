"""The office manager handles an owner's request to see what is held (issue 17.5): from the
case page records it, finds it from the menu, opens the document, downloads the .docx and
marks it reviewed and sent."""

import io

import pytest
from django.conf import settings
from django.utils import timezone
from docx import Document
from playwright.sync_api import expect

from households.models import PersonalDataRequest
from tests.browser.conftest import open_menu_group, screenshot
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_answers_an_access_request(world, desktop, live_server, tmp_path):
    page = desktop
    log_in(page, "manager", "pw-manager")
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto(f"/cases/{world.case_a.pk}/")
    page.get_by_test_id("data-request-new").click()
    form = page.get_by_test_id("data-request-form")
    form.get_by_label("Request").select_option("access")
    form.get_by_label("Received by").select_option("letter")
    form.get_by_label("Received on").fill(timezone.localdate().isoformat())
    form.get_by_label("The owner's words").fill("请告诉我你们保存了我哪些信息")
    form.get_by_role("button", name="Record the request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("see what is held")
    req = PersonalDataRequest.objects.get()
    # The menu leads to the list, where the request shows with its due date.
    open_menu_group(page, "Work")
    page.get_by_test_id("menu-data-requests").click()
    row = page.locator(f'tr[data-request="{req.pk}"]')
    expect(row).to_contain_text(req.due_on.isoformat())
    row.get_by_role("link", name="C6-101").click()
    # The document, to review.
    page.get_by_test_id("held-document").first.click()
    held = page.get_by_test_id("held-data")
    expect(held).to_contain_text("张静")
    expect(held).to_contain_text("13912345678")
    screenshot(page, "17-data-request-document-en")
    # The .docx, in Chinese, to send.
    with page.expect_download() as info:
        page.get_by_test_id("held-docx").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.endswith(".docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
    assert "张静" in text and "13912345678" in text
    # Reviewed and sent: who and when are kept.
    page.get_by_role("link", name="Back to the request").click()
    page.get_by_label("How the document was sent").fill("挂号信 XA123456789CN")
    page.get_by_role("button", name="Reviewed and sent").click()
    expect(page.get_by_test_id("status")).to_have_text("done")
    expect(page.get_by_test_id("sent")).to_contain_text("挂号信 XA123456789CN")
    expect(page.get_by_test_id("sent")).to_contain_text("北苑经理")
    req.refresh_from_db()
    assert req.sent_by == world.manager and req.sent_at is not None
    screenshot(page, "17-data-request-sent-en")


def test_the_menu_entry_is_the_office_managers(world, desktop, live_server):
    log_in(desktop, "collector_a", "pw-collector_a")
    open_menu_group(desktop, "工作")
    expect(desktop.get_by_role("navigation").get_by_role("link", name="案件")).to_be_visible()
    assert desktop.get_by_test_id("menu-data-requests").count() == 0
