"""Issue 16, item 10: the director's regional view at 1280 px and on a 390 px phone, in
Chinese and in English (screenshots under var/screenshots/16-director-*.png)."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import _page, screenshot
from tests.browser.test_login_and_desk import log_in
from tests.conftest import record_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADINGS = {"zh-hans": ("区域", "服务处"), "en": ("Region", "Offices")}


@pytest.fixture
def wide(browser, live_server):
    yield from _page(browser, live_server, 1280, 900)


@pytest.fixture
def phone_page(browser, live_server):
    yield from _page(browser, live_server, 390, 844)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_director_reads_the_region_at_a_glance(
    world, live_server, browser, language, width, request
):
    record_payment(world.house_a, "300.00", world.collector_a, case=world.case_a)
    page = request.getfixturevalue("wide" if width == 1280 else "phone_page")
    log_in(page, "director", "pw-director")
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/")
    region, offices = HEADINGS[language]
    expect(page.get_by_role("heading", name=region, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=offices, exact=True)).to_be_visible()
    # A table at 1280 px, a card per office on a phone.
    offices_shown = page.get_by_test_id("office-table" if width == 1280 else "office-cards")
    expect(offices_shown).to_be_visible()
    expect(offices_shown).to_contain_text("北苑服务处")
    expect(offices_shown).not_to_contain_text("南苑服务处")
    expect(page.get_by_test_id("total-week")).to_have_text("¥300.00")
    expect(page.get_by_test_id("region-trend")).to_be_visible()
    expect(page.locator("[data-testid=trend-week] rect")).to_have_count(10)
    for link in ("region-pack", "region-workbook", "region-week"):
        expect(page.get_by_test_id(link)).to_be_visible()

    # The page never scrolls sideways; at 1280 px the office table fits without scrolling.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    if width == 1280:
        fits = page.evaluate(
            "(() => { const t = document.querySelector('[data-testid=office-table]');"
            " return t.parentElement.scrollWidth <= t.parentElement.clientWidth; })()"
        )
        assert fits, "the office table scrolls sideways at 1280 px"
    # The chart is as wide as its card, not a fixed size.
    chart = page.get_by_test_id("region-trend").bounding_box()
    assert chart["width"] <= width and chart["width"] >= width * 0.6
    short = "zh" if language == "zh-hans" else "en"
    screenshot(page, f"16-director-{short}-{width}")

    # One tap to the week's numbers, then the download.
    with page.expect_navigation():
        page.get_by_test_id("region-week").click()
    expect(page.get_by_test_id("weekly-figures")).to_contain_text("北苑服务处")
    expect(page.get_by_test_id("weekly-download")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    screenshot(page, f"16-weekly-page-{short}-{width}")
    with page.expect_download() as download:
        page.get_by_test_id("weekly-download").click()
    assert download.value.suggested_filename.startswith("weekly-report-director-")
