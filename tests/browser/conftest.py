"""Real headless Chromium (Debian's package) driven by Playwright.

Playwright's sync API runs an event loop in the test thread; the Django calls the tests
make around it are ordinary synchronous ones, so Django's async-safety guard is relaxed.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    # Until the browser closes (after every test's database teardown), Django must accept
    # synchronous calls beside Playwright's event loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(browser, live_server, width, height):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every page runs under the Content-Security-Policy: anything it blocks fails the test.
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert blocked == [], f"blocked by the Content-Security-Policy: {blocked}"


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page, as collectors use it in a stairwell."""
    yield from _page(browser, live_server, 390, 844)


@pytest.fixture
def desktop(browser, live_server):
    yield from _page(browser, live_server, 1366, 900)


@pytest.fixture
def wide(browser, live_server):
    """A 1280×800 office PC (issue 16): the narrowest desktop the menu and pages must fit."""
    yield from _page(browser, live_server, 1280, 800)


def open_menu_group(page, name):
    """Open one of the menu's groups (工作, 报表…) on a desktop; on a phone, once the menu
    is open, every group is listed open already."""
    page.get_by_role("navigation").get_by_role("button", name=name, exact=True).click()


def open_user_menu(page):
    """The user's menu on a desktop: the languages and 退出登录 (log out)."""
    page.get_by_role("navigation").get_by_test_id("whoami").click()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
