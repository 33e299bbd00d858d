import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_user_menu, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username, password):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    # Until the answer has loaded: a goto or a database check next would race the login.
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_a_collector_logs_in_on_a_phone_and_opens_a_case(world, phone):
    log_in(phone, "collector_a", "pw-collector_a")
    expect(phone.get_by_role("heading", name="我的案件")).to_be_visible()
    table = phone.get_by_test_id("case-table")
    expect(table).to_contain_text("C6-101")
    expect(table).not_to_contain_text("C13-103")
    screenshot(phone, "collector-desk")

    with phone.expect_navigation():
        phone.get_by_role("link", name="C6-101").click()
    expect(phone.get_by_test_id("ledger")).to_contain_text("2014-01 — 2015-05 (17 个月)")
    expect(phone.get_by_test_id("ledger")).to_contain_text("¥1,700.00")
    screenshot(phone, "case-page")


def test_a_wrong_password_is_explained_in_chinese(world, phone):
    log_in(phone, "collector_a", "not-the-password")
    expect(phone.get_by_role("alert")).to_contain_text("用户名和密码")


def test_the_language_switches_to_english_and_back(world, desktop):
    log_in(desktop, "manager", "pw-manager")
    expect(desktop.get_by_test_id("whoami")).to_contain_text("服务处经理")
    open_user_menu(desktop)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="English").click()
    expect(desktop.get_by_test_id("whoami")).to_contain_text("service office manager")
    expect(desktop.get_by_role("heading", name="Open difficult issues")).to_be_visible()
    open_user_menu(desktop)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="简体中文").click()
    expect(desktop.get_by_role("heading", name="待处理疑难问题")).to_be_visible()


def test_logging_out_returns_to_the_login_page(world, desktop):
    log_in(desktop, "director", "pw-director")
    expect(desktop.get_by_test_id("office-table")).to_contain_text("北苑服务处")
    open_user_menu(desktop)
    with desktop.expect_navigation():  # the logout finished before the next goto
        desktop.get_by_role("button", name="退出登录").click()
    expect(desktop).to_have_url(re.compile(r"/login/"))
    desktop.goto("/")
    expect(desktop).to_have_url(re.compile(r"/login/\?next=/"))
