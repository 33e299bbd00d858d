"""Issue 17.3: the director opens *Disputes* from the menu, reads the region's open disputes by
age and cause, and clicks through to the list behind a figure; the page never scrolls
sideways at 1280 px or on a 390 px phone (screenshots var/screenshots/17-disputes-*.png)."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from households.disputes import dispute_record
from tests.browser.conftest import _page, open_menu_group, screenshot
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MENU = {"zh-hans": ("工作", "异议"), "en": ("Work", "Disputes")}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_director_opens_disputes_from_the_menu_and_the_list_behind_a_figure(
    world, live_server, browser, language, width
):
    dispute_record(
        case=world.case_a,
        kind="service",
        cause="leak_unrepaired",
        words="厨房漏水一直没人修",
        source="visit",
        by=world.collector_a,
        now=timezone.now() - datetime.timedelta(days=40),
    )
    pages = _page(browser, live_server, width, 900)
    page = next(pages)
    try:
        log_in(page, "director", "pw-director")
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        page.goto("/")
        group, entry = MENU[language]
        if width < 1200:
            page.get_by_role("button", name="菜单" if language == "zh-hans" else "Menu").click()
        else:
            open_menu_group(page, group)
        page.get_by_role("navigation").get_by_role("link", name=entry, exact=True).click()
        expect(page.get_by_test_id("disputes-open")).to_have_text("1")
        expect(page.get_by_test_id("disputes-held")).to_have_text("¥1,700.00")
        expect(page.get_by_test_id("disputes-by-age")).to_contain_text("北苑服务处")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        short = "en" if language == "en" else "zh"
        screenshot(page, f"17-disputes-{short}-{width}")
        # The "over 30 days" figure of the office opens its list.
        page.get_by_test_id("disputes-by-age").locator("tbody a[href*='age=over_30']").first.click()
        rows = page.get_by_test_id("dispute-table").locator("tbody tr[data-dispute]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("C6-101")
        expect(rows.first.get_by_test_id("overdue")).to_be_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        screenshot(page, f"17-disputes-list-{short}-{width}")
    finally:
        next(pages, None)
