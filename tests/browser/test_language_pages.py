"""English throughout and the error pages (issue 16.8), in a real browser at 390 px and
1280 px, in both languages: a notice written in Chinese reads in English, a 404 and a 403
are the desk's own pages with a way back."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from arrears.issues import issue_raise
from tests.browser.conftest import screenshot
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh-hans": {
        "notice": "C6-101 的疑难问题：门禁纠纷",
        "404": "页面不存在",
        "403": "您无权进行此操作",
        "home": "返回我的工作台",
    },
    "en": {
        "notice": "Difficult issue on C6-101: 门禁纠纷",
        "404": "Page not found",
        "403": "You may not do this",
        "home": "Back to my desk",
    },
}


def fits(page):
    scroll, width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll <= width, f"{page.url} is {scroll} px wide in {width} px"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "wide"])
def test_notices_and_error_pages_in_the_readers_language(
    request, world, live_server, size, language
):
    page = request.getfixturevalue(size)
    width = 390 if size == "phone" else 1280
    short = "en" if language == "en" else "zh"
    with translation.override("zh-hans"):  # written by someone reading the desk in Chinese
        issue_raise(case=world.case_a, by=world.collector_a, title="门禁纠纷", description="…")
    log_in(page, "manager", "pw-manager")
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    text = TEXTS[language]

    page.goto(reverse("inbox"))
    expect(page.get_by_test_id("inbox")).to_contain_text(text["notice"])
    fits(page)
    screenshot(page, f"16-inbox-{short}-{width}")

    response = page.goto("/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name=text["404"])).to_be_visible()
    fits(page)
    screenshot(page, f"16-404-{short}-{width}")
    with page.expect_navigation():
        page.get_by_role("link", name=text["home"]).click()
    expect(page).to_have_url(re.compile(r"/$"))

    response = page.goto(reverse("weekly-report"))  # the director's, not the office manager's
    assert response.status == 403
    expect(page.get_by_role("heading", name=text["403"])).to_be_visible()
    expect(page.get_by_role("link", name=text["home"])).to_be_visible()
    fits(page)
    screenshot(page, f"16-403-{short}-{width}")
