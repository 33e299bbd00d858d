"""A collector's day in a real browser: calls, a night-time breach, payments, a gate tip,
a manager's decision, and screenshots of the case page on a phone and a desktop.

The UI is Chinese by default. Where the catalogue (locale/zh_Hans) has no translation for
a label, Django shows the English msgid; `zh()` returns exactly what the Chinese UI shows,
so these flows test behaviour, and `test_the_collector_pages_are_all_in_chinese` (an
expected failure until the catalogue is complete) tests the wording.
"""

import datetime
import re

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from arrears.issues import issue_raise
from households.contact import attempt_log
from households.contact_policy import make_breach
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.test_login_and_desk import log_in
from tests.conftest import record_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u4e00-\u9fff]")
OWNER_PHONE = "13912345678"


def zh(msgid):
    """The text the Chinese UI shows for `msgid` (the msgid itself if untranslated)."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def yesterday_at(hour, minute=0):
    """Yesterday at hh:mm in the office's time zone (Asia/Shanghai): always in the past."""
    day = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def open_case(page, unit="C6-101"):
    with page.expect_navigation():
        page.get_by_test_id("case-table").get_by_role("link", name=unit).click()
    expect(page.get_by_role("heading", name=unit)).to_be_visible()


def tap_choice(page, field, label):
    """Tap one of the big radio buttons of a form field (the <label> is the tap target)."""
    page.locator(f"[data-field={field}]").get_by_text(label, exact=True).click()
    expect(page.get_by_role("radio", name=label, exact=True)).to_be_checked()


def log_call(page, *, when, outcome):
    with page.expect_navigation():
        page.get_by_test_id("case-actions").get_by_role("link", name=zh("Log contact")).click()
    expect(page.get_by_test_id("attempt-form")).to_be_visible()
    tap_choice(page, "channel", "电话")
    tap_choice(page, "person_contacted", "业主")
    tap_choice(page, "outcome", outcome)
    page.get_by_label(zh("When")).fill(timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Save contact")).click()


def balance_cell(page):
    """The ledger's total balance: the last cell of its footer row."""
    return page.get_by_test_id("ledger").locator("tfoot td").last


def status_badge(page):
    # The badge beside the unit-code heading; it has no test id of its own.
    return page.locator("h1.unit-code + .badge")


def record_payment_in_form(page, amount, receipt_no):
    with page.expect_navigation():
        page.get_by_test_id("case-actions").get_by_role("link", name=zh("Record payment")).click()
    page.get_by_label(zh("Amount (¥)")).fill(amount)
    page.get_by_label(zh("Receipt number")).fill(receipt_no)
    page.get_by_label(zh("Method")).select_option(label="现金")
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Save payment")).click()


def open_menu(page):
    """On a phone the nav bar is collapsed behind the menu button."""
    page.get_by_role("button", name="菜单").click()
    expect(page.get_by_role("link", name="我的工作台")).to_be_visible()
    # Until it has finished opening: a tap while it slides open may miss (logout did).
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))


def test_a_collector_logs_a_call_on_a_phone_and_sees_it_on_the_timeline(world, phone):
    log_in(phone, "collector_a", "pw-collector_a")
    open_case(phone)
    # A daytime call logged afterwards, so the test passes at any hour of the night too.
    log_call(phone, when=yesterday_at(10), outcome="已沟通")

    expect(phone).to_have_url(re.compile(rf"/cases/{world.case_a.pk}/$"))
    expect(phone.get_by_role("alert")).to_have_text(zh("Contact logged."))
    call = phone.get_by_test_id("timeline").get_by_role("listitem").filter(has_text="电话")
    expect(call).to_have_count(1)
    expect(call).to_contain_text("电话 · 业主 · 已沟通")
    expect(call).to_contain_text(f"{yesterday_at(10):%Y-%m-%d} 10:00 · 李收费")
    expect(call.get_by_test_id("breach")).to_have_count(0)


def test_a_call_at_half_past_ten_at_night_is_saved_as_a_breach_of_the_hours_rule(world, phone):
    log_in(phone, "collector_a", "pw-collector_a")
    open_case(phone)
    late = yesterday_at(22, 30)
    log_call(phone, when=late, outcome="无人接听")

    expect(phone).to_have_url(re.compile(rf"/cases/{world.case_a.pk}/$"))
    warning = phone.get_by_role("alert")
    expect(warning).to_contain_text("08:00")
    expect(warning).to_contain_text("21:00")
    call = phone.get_by_test_id("timeline").get_by_role("listitem").filter(has_text="电话")
    expect(call).to_contain_text(f"{late:%Y-%m-%d} 22:30")
    breach = call.get_by_test_id("breach")
    expect(breach).to_have_count(1)
    # The hours rule (the product's default hours), as the Chinese UI words it.
    with translation.override("zh-hans"):
        hours_rule = str(make_breach("hours").message)
    assert "08:00" in hours_rule and "21:00" in hours_rule
    expect(breach).to_contain_text(hours_rule)
    expect(breach).to_contain_text("08:00")
    expect(breach).to_contain_text("21:00")


def test_payments_lower_the_balance_and_the_full_balance_clears_the_case(world, phone):
    log_in(phone, "collector_a", "pw-collector_a")
    open_case(phone)
    expect(balance_cell(phone)).to_have_text("¥1,700.00")
    expect(status_badge(phone)).not_to_have_text("已结清")

    record_payment_in_form(phone, "300", "R-2024-0001")
    expect(phone).to_have_url(re.compile(rf"/cases/{world.case_a.pk}/$"))
    expect(phone.get_by_role("alert")).to_contain_text("¥300.00")
    expect(balance_cell(phone)).to_have_text("¥1,400.00")
    expect(status_badge(phone)).not_to_have_text("已结清")

    # The rest of the balance: ¥1,700.00 paid in all.
    record_payment_in_form(phone, "1400", "R-2024-0002")
    expect(phone.get_by_role("alert")).to_contain_text("¥1,400.00")
    expect(phone.get_by_role("alert")).to_contain_text("C6-101")
    ledger = phone.get_by_test_id("ledger")
    expect(ledger.locator("tfoot")).to_contain_text("¥1,700.00")
    expect(balance_cell(phone)).to_have_text("¥0.00")
    expect(status_badge(phone)).to_have_text("已结清")
    timeline = phone.get_by_test_id("timeline")
    expect(timeline).to_contain_text("R-2024-0001")
    expect(timeline).to_contain_text("R-2024-0002")


def test_a_gate_tip_is_a_tap_a_choice_and_send_shows_no_debtor_data_and_reaches_the_collector(
    world, phone
):
    seen = {}  # every page the gate user saw, as rendered

    def look(page):
        seen[page.url] = seen.get(page.url, "") + page.content()

    phone.goto("/")
    look(phone)
    log_in(phone, "site", "pw-site")
    grid = phone.get_by_test_id("unit-grid")
    expect(grid.get_by_role("link", name="C13-103")).to_be_visible()
    look(phone)
    with phone.expect_navigation():
        grid.get_by_role("link", name="C6-101").click()  # tap one
    expect(phone.get_by_role("heading", name="C6-101")).to_be_visible()
    look(phone)
    phone.get_by_test_id("tip-kinds").get_by_text("见到业主", exact=True).click()  # tap two
    with phone.expect_navigation():
        phone.get_by_test_id("tip-send").click()  # and send it
    expect(phone.get_by_role("alert")).to_contain_text("C6-101")
    expect(phone.get_by_test_id("unit-grid")).to_be_visible()
    look(phone)

    forbidden = re.compile(rf"¥|张静|高萌|{OWNER_PHONE}|1[3-9]\d\*{{4}}\d{{4}}|1[3-9]\d{{9}}")
    for url, html in seen.items():
        found = forbidden.findall(html)
        assert not found, f"{url} shows {found}"

    open_menu(phone)
    with phone.expect_navigation():  # the logout finished before the next goto
        phone.get_by_role("button", name="退出登录").click()
    expect(phone).to_have_url(re.compile(r"/login/"))
    log_in(phone, "collector_a", "pw-collector_a")
    open_menu(phone)
    inbox_link = phone.get_by_test_id("inbox-link")
    expect(inbox_link.locator(".badge")).to_have_text("1")
    with phone.expect_navigation():
        inbox_link.click()
    tip = phone.get_by_test_id("inbox").get_by_role("listitem")
    expect(tip).to_have_count(1)
    expect(tip).to_contain_text("C6-101")
    expect(tip).to_contain_text("见到业主")
    with phone.expect_navigation():
        tip.get_by_role("link").click()
    expect(phone.get_by_test_id("timeline")).to_contain_text("见到业主")
    expect(phone.get_by_test_id("timeline")).to_contain_text("门岗")


def test_a_manager_resolves_a_difficult_issue_from_the_desk(world, desktop):
    title = "业主称漏水未修，拒绝缴费"
    issue_raise(
        case=world.case_a,
        by=world.collector_a,
        title=title,
        description="业主说楼上漏水两年未修，修好之前不缴物业费。",
    )
    decision = "工程部本周内上门维修；修好后由李收费约业主到服务处面谈。"

    log_in(desktop, "manager", "pw-manager")
    open_issues = desktop.get_by_test_id("open-issues")
    expect(open_issues).to_contain_text(title)
    with desktop.expect_navigation():
        open_issues.get_by_role("link", name=f"C6-101 · {title}").click()
    expect(desktop.get_by_role("heading", name=title)).to_be_visible()
    desktop.get_by_label(zh("Decision"), exact=True).fill(decision)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name=zh("Resolve with this decision")).click()

    expect(desktop.get_by_test_id("decision")).to_contain_text(decision)
    expect(desktop.get_by_test_id("decision")).to_contain_text("北苑经理")
    expect(desktop.get_by_role("heading", name=title)).to_contain_text("已解决")

    with desktop.expect_navigation():
        desktop.get_by_role("link", name="我的工作台").click()
    open_issues = desktop.get_by_test_id("open-issues")
    expect(open_issues).to_contain_text("暂无待处理的疑难问题。")
    expect(open_issues).not_to_contain_text(title)


def test_screenshots_of_a_worked_case_on_a_phone_and_a_desktop(world, phone, desktop):
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=yesterday_at(10),
        channel="phone_call",
        person_contacted="owner",
        outcome="talked",
        notes="业主答应月底前来服务处。",
    )
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=yesterday_at(22, 30),
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )
    record_payment(world.house_a, "300.00", world.collector_a, receipt_no="R-2024-0001")

    for page, name in ((phone, "case-page-phone"), (desktop, "case-page-desktop")):
        log_in(page, "collector_a", "pw-collector_a")
        open_case(page)
        expect(balance_cell(page)).to_have_text("¥1,400.00")
        # The night call breaks the hours rule and the quiet week after the conversation.
        expect(page.get_by_test_id("breach")).to_have_count(2)
        expect(page.get_by_test_id("breach").first).to_contain_text("21:00")
        screenshot(page, name)
        path = SCREENSHOTS / f"{name}.png"
        assert path.exists()
        assert path.stat().st_size > 0


def test_the_collector_pages_are_all_in_chinese(world, phone):
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=yesterday_at(22, 30),
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )
    log_in(phone, "collector_a", "pw-collector_a")
    open_case(phone)
    shown = {}

    def collect(where, locator):
        for i, text in enumerate(locator.all_text_contents()):
            shown[f"{where} #{i + 1}"] = " ".join(text.split())

    collect("case page action", phone.get_by_test_id("case-actions").get_by_role("link"))
    collect("case page breach", phone.get_by_test_id("breach"))
    collect("nav inbox link", phone.get_by_test_id("inbox-link"))
    with phone.expect_navigation():
        phone.get_by_test_id("case-actions").get_by_role("link").first.click()
    form = phone.get_by_test_id("attempt-form")
    expect(form).to_be_visible()
    collect("contact form label", form.locator("label.form-label"))
    collect("contact form button", form.get_by_role("button"))
    phone.go_back()
    record_payment_in_form(phone, "300", "R-2024-0001")
    expect(balance_cell(phone)).to_have_text("¥1,400.00")
    collect("payment message", phone.get_by_role("alert"))
    phone.go_back()
    collect("payment form label", phone.locator("form label.form-label"))
    collect("payment form button", phone.locator("form").get_by_role("button"))

    untranslated = {where: text for where, text in shown.items() if not CJK.search(text)}
    assert not untranslated, f"shown in English: {untranslated}"
