"""The menu fits (issue 16.7): grouped dropdowns that never wrap an item or widen the page at
1280 px, for every role in both languages, and a collapsed menu on a 390 px phone.

Each role's user gets a long display name (seven characters, as the demo's 华庭服务处经理)
and an unread notice, so the widest menu that role can have is the one measured."""

import re

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext
from playwright.sync_api import expect

from arrears.models import Notification, StaffProfile
from tests.browser.conftest import _page, screenshot
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# role: the user of `world`, and the groups its menu has (each sees only what it may).
ROLES = {
    "collector": ("collector_a", {"Work", "Reports"}),
    "leader": ("leader_a", {"Work", "Reports"}),
    "gate": ("site", set()),
    "manager": ("manager", {"Work", "Reports", "Imports", "Settings"}),
    "operations": ("ops", {"Work", "Reports"}),
    "director": ("director", {"Work", "Reports"}),
    "admin": ("admin", {"Work", "Reports", "Imports", "Settings"}),
}
GROUPS = ("Work", "Reports", "Imports", "Settings")

# Every line box of every menu entry, as rectangles: an entry that wraps has two tops.
WRAPPED = """
(selector) => [...document.querySelectorAll(selector)].filter((el) => el.offsetParent !== null)
  .map((el) => {
    const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const tops = [];
    while (walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
    }
    // A line below the first (a badge's smaller text sits a few pixels lower: the same line).
    const lines = 1 + new Set(tops.filter((t) => t - Math.min(...tops) > line / 2)
      .map((t) => Math.round(t))).size;
    return {text: el.innerText.trim(), lines: lines, height: el.getBoundingClientRect().height,
            line: line, padding: parseFloat(getComputedStyle(el).paddingTop)
              + parseFloat(getComputedStyle(el).paddingBottom)};
  })
  .filter((item) => item.lines > 1 || item.height > item.line + item.padding + 1)
"""
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def menu_label(group, language):
    with translation.override(language):
        return pgettext("menu", group)


def prepare(world, username, language, page, live_server):
    user = getattr(world, username)
    StaffProfile.objects.update_or_create(user=user, defaults={"display_name": "华庭服务处经理"})
    Notification.objects.create(recipient=user, kind=Notification.Kind.TIP, title="C6-101")
    log_in(page, username, f"pw-{username}")
    set_language(page, live_server, language)


def set_language(page, live_server, language):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto("/")


def assert_fits(page):
    wrapped = page.evaluate(WRAPPED, ".desk-nav .nav-link, .desk-nav .navbar-brand")
    assert wrapped == [], f"menu entries wrap: {wrapped}"
    scroll, width = page.evaluate(OVERFLOW)
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window"


# Both languages in one test per role: logging in and building the world is what costs.
@pytest.mark.parametrize("role", list(ROLES))
def test_the_menu_fits_at_1280_px(world, wide, live_server, role):
    username, groups = ROLES[role]
    prepare(world, username, "zh-hans", wide, live_server)
    for language in ("zh-hans", "en"):
        set_language(wide, live_server, language)
        nav = wide.get_by_role("navigation")
        expect(nav.get_by_test_id("inbox-link")).to_be_visible()
        # One row: every top-level entry sits on the same line as the brand.
        tops = wide.evaluate(
            """() => [...document.querySelectorAll('.desk-nav .navbar-brand, .desk-nav .navbar-nav > .nav-item')]
            .map((el) => Math.round(el.getBoundingClientRect().top))"""
        )
        assert max(tops) - min(tops) <= 4, f"the menu runs onto a second row: {tops}"
        assert_fits(wide)
        shown = {g for g in GROUPS if nav.get_by_test_id(f"menu-{g.lower()}").count()}
        assert shown == groups
        # Each group opens (Bootstrap's vendored script, no inline code) within the window,
        # none of its entries wrapping.
        for group in sorted(groups, key=GROUPS.index):
            nav.get_by_role("button", name=menu_label(group, language), exact=True).click()
            items = nav.get_by_test_id(f"menu-{group.lower()}").locator(".dropdown-menu")
            expect(items).to_be_visible()
            assert wide.evaluate(WRAPPED, ".desk-nav .dropdown-menu.show .dropdown-item") == []
            box = items.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, group
            wide.keyboard.press("Escape")
            expect(items).to_be_hidden()
        nav.get_by_test_id("whoami").click()
        user_menu = nav.get_by_test_id("menu-user").locator(".dropdown-menu")
        expect(user_menu.get_by_role("button", name="English")).to_be_visible()
        expect(user_menu.get_by_role("button", name="简体中文")).to_be_visible()
        box = user_menu.bounding_box()
        assert box["x"] + box["width"] <= 1280
        assert_fits(wide)
        short = "en" if language == "en" else "zh"
        screenshot(wide, f"16-menu-{short}-1280-{role}")


@pytest.mark.parametrize("role", ["collector", "gate", "manager", "director"])
def test_on_a_phone_the_menu_collapses_and_lists_every_group(world, phone, live_server, role):
    username, groups = ROLES[role]
    prepare(world, username, "zh-hans", phone, live_server)
    for language in ("zh-hans", "en"):
        set_language(phone, live_server, language)
        expect(phone.locator("#mainnav")).to_be_hidden()
        expect(phone.get_by_test_id("inbox-badge-phone")).to_have_text("1")
        phone.get_by_role("button", name="菜单" if language == "zh-hans" else "Menu").click()
        expect(phone.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
        nav = phone.get_by_role("navigation")
        # Every entry of every group is there at once: one tap opens the menu, one more goes.
        for group in groups:
            expect(
                nav.get_by_test_id(f"menu-{group.lower()}").locator(".dropdown-item").first
            ).to_be_visible()
        expect(nav.get_by_role("button", name="English")).to_be_visible()
        logout = "退出登录" if language == "zh-hans" else "Log out"
        expect(nav.get_by_role("button", name=logout)).to_be_visible()
        assert phone.evaluate(WRAPPED, ".desk-nav .nav-link, .desk-nav .dropdown-item") == []
        # The menu itself stays inside the phone's width (the page below it is the case list's
        # business: cards on a phone, issue 16.3).
        right = phone.evaluate(
            """() => Math.max(document.querySelector('.desk-nav').scrollWidth,
            ...[...document.querySelectorAll('.desk-nav a, .desk-nav button')]
              .map((el) => el.getBoundingClientRect().right))"""
        )
        assert right <= 390
        short = "en" if language == "en" else "zh"
        screenshot(phone, f"16-menu-{short}-390-{role}")


@pytest.mark.parametrize("role", ["manager", "operations", "admin"])
def test_the_widest_menus_fit_from_1200_px_and_collapse_below(browser, world, live_server, role):
    """Bootstrap's xl: expanded from 1200 px (the widest menus, in English, fit there), the
    menu button below it (a 1024 px screen gets the phone's menu, never a wrapped one)."""
    username, _groups = ROLES[role]
    for width, expanded in ((1200, True), (1199, False)):
        pages = _page(browser, live_server, width, 800)
        page = next(pages)
        try:
            prepare(world, username, "en", page, live_server)
            toggler = page.get_by_role("button", name="Menu")
            if expanded:
                expect(toggler).to_be_hidden()
                tops = page.evaluate(
                    """() => [...document.querySelectorAll(
                    '.desk-nav .navbar-brand, .desk-nav .navbar-nav > .nav-item')]
                    .map((el) => Math.round(el.getBoundingClientRect().top))"""
                )
                assert max(tops) - min(tops) <= 4, f"two rows at {width} px: {tops}"
                assert_fits(page)
            else:
                expect(toggler).to_be_visible()
                expect(page.locator("#mainnav")).to_be_hidden()
        finally:
            next(pages, None)
