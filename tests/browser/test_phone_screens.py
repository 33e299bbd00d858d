"""The collector's screens on a 390 px phone and a 1280 px desktop, in Chinese and English
(issue 16, items 3–6): the case list as cards with the totals under their columns, errors
brought into view, the gate form's explicit choice, and a case page that puts first what a
collector needs."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from households.models import ContactAttempt, OnSiteTip
from tests.browser.conftest import screenshot
from tests.browser.test_escalation import recent_case  # noqa: F401 - a fixture
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["zh-hans", "en"]
# What each language shows for the labels these tests tap.
TEXT = {
    "zh-hans": {
        "promised": "承诺缴费",
        "save": "保存联系记录",
        "phone_call": "电话",
        "owner": "业主",
        "owner_seen": "见到业主",
        "moving": "搬入或搬出",
        "send": "发送",
    },
    "en": {
        "promised": "promised to pay (承诺缴费)",
        "save": "Save contact",
        "phone_call": "phone call",
        "owner": "owner",
        "owner_seen": "owner seen",
        "moving": "moving in or out",
        "send": "Send",
    },
}
LEGAL_LABELS = {
    "zh-hans": ["支付令", "诉讼", "仲裁"],
    "en": ["payment order (支付令)", "lawsuit", "arbitration"],
}


def enter(page, live_server, settings, username, language):
    """Log in (the login page asks in Chinese), then read the app in `language`."""
    log_in(page, username, f"pw-{username}")
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def box(locator):
    b = locator.bounding_box()
    assert b is not None, f"{locator} is not displayed"
    return b


def in_view(page, locator):
    """Whether the element is (at least partly) inside the viewport as scrolled now."""
    b = box(locator)
    height = page.viewport_size["height"]
    return b["y"] < height and b["y"] + b["height"] > 0


# --- item 3: the case list -------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_phone_each_case_is_a_card_in_the_tables_order(
    world, phone, live_server, settings, language
):
    page = phone
    enter(page, live_server, settings, "manager", language)
    page.goto("/cases/")
    table = page.get_by_test_id("case-table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, "scrolls sideways"
    # No column headers to squeeze: each card names its fields.
    assert box(table.locator("thead")).get("width", 0) <= 1
    order = [row.get_attribute("data-unit") for row in rows.all()]
    for row in rows.all():
        card = box(row)
        assert card["x"] >= 0 and card["x"] + card["width"] <= 390
        for column in ("unit", "balance", "unpaid_months", "next_step", "contact_now", "promise"):
            cell = row.locator(f"td.c-{column}")
            expect(cell).to_be_visible()
            b = box(cell)
            assert b["x"] + b["width"] <= card["x"] + card["width"] + 0.5, column
        # The months on one line, not one character per line.
        months = box(row.locator("td.c-unpaid_months"))
        assert months["height"] < 60
        # Call, message and visit each have their own badge, left of the middle of the card.
        badges = row.locator("td.c-contact_now .badge")
        expect(badges).to_have_count(3)
        assert box(row.locator("td.c-contact_now"))["x"] < 100
        # The category is under the unit, the desktop's other columns are not shown.
        for hidden in ("owed", "team", "responsible", "limitation", "last_contact_at"):
            expect(row.locator(f"td.c-{hidden}")).to_be_hidden()
    expect(table.locator("tfoot td.c-balance")).to_be_visible()
    screenshot(page, f"16-cards-{language}-390")

    # The desktop's table shows the same cases in the same order.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert [row.get_attribute("data-unit") for row in rows.all()] == order
    expect(table.locator("thead")).to_be_visible()
    expect(table.locator("tbody td.c-next_step").first).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["manager", "collector_a"])
def test_no_desk_scrolls_sideways_on_a_phone(world, phone, live_server, settings, who, language):
    # The desks hold the same case table: before the cards, the manager's desk in English
    # was 493 px wide on a 390 px phone.
    enter(phone, live_server, settings, who, language)
    phone.goto("/")
    expect(phone.get_by_test_id("case-table")).to_be_visible()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390, "scrolls sideways"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["manager", "collector_a"])
def test_on_a_desktop_each_total_sits_under_its_column_header(
    world, wide, live_server, settings, language, who
):
    page = wide
    enter(page, live_server, settings, who, language)
    page.goto("/cases/")
    table = page.get_by_test_id("case-table")
    headers = table.locator("thead th").all()
    totals = table.locator("tfoot td").all()
    assert len(headers) == len(totals)
    shown = 0
    for th, td in zip(headers, totals, strict=True):
        column = re.search(r"\bc-(\w+)", th.get_attribute("class")).group(1)
        assert f"c-{column}" in td.get_attribute("class").split()
        if not th.is_visible():
            expect(td).to_be_hidden()
            continue
        head, foot = box(th), box(td)
        assert abs(head["x"] - foot["x"]) <= 1 and abs(head["width"] - foot["width"]) <= 1, column
        shown += 1
    assert shown >= 10
    balance = box(table.locator("tfoot td.c-balance"))
    assert balance["x"] >= box(table.locator("thead th.c-balance"))["x"] - 1
    expect(table.locator("tfoot td.c-balance")).to_have_text(
        "¥1,700.00" if who != "manager" else "¥3,400.00"
    )
    # 欠费月数 / Months owed on one line.
    # 欠费月数 on one line (it stacked one character per line); "Months owed" on two at most.
    months = box(table.locator("thead th.c-unpaid_months a"))
    assert months["height"] < (30 if language == "zh-hans" else 55), months
    screenshot(page, f"16-totals-{who}-{language}-1280")


# --- item 4: errors a phone user can see -----------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_choosing_a_promise_opens_its_fields_and_an_error_is_brought_into_view(
    world, phone, live_server, settings, language
):
    page, text = phone, TEXT[language]
    enter(page, live_server, settings, "collector_a", language)
    page.goto(f"/cases/{world.case_a.pk}/attempts/new/")
    promise = page.get_by_test_id("promise-fields")
    amount = page.locator("input[name=promise_amount]")
    expect(amount).to_be_hidden()
    page.locator("[data-field=channel]").get_by_text(text["phone_call"], exact=True).click()
    page.locator("[data-field=person_contacted]").get_by_text(text["owner"], exact=True).click()
    page.locator("[data-field=outcome]").get_by_text(text["promised"], exact=True).click()
    expect(promise).to_have_attribute("open", "")
    expect(amount).to_be_visible()
    screenshot(page, f"16-promise-open-{language}-390")

    # Saved without the date: the page comes back at the error, the date field focused.
    amount.fill("500")
    with page.expect_navigation():
        page.get_by_role("button", name=text["save"]).click()
    assert not ContactAttempt.objects.exists()
    date = page.locator("input[name=promise_date]")
    expect(date).to_be_focused()
    error = page.locator("[data-field=promise_date] .invalid-feedback")
    expect(error).to_be_visible()
    assert in_view(page, error)
    assert page.evaluate("window.scrollY") > 0
    expect(amount).to_have_value("500")
    screenshot(page, f"16-promise-error-{language}-390")

    date.fill((timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name=text["save"]).click()
    attempt = ContactAttempt.objects.get()
    assert attempt.outcome == "promised"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_upload_brings_its_error_into_view_and_focus(
    world, phone, live_server, settings, tmp_path, language
):
    settings.VAR_DIR = tmp_path
    page = phone
    enter(page, live_server, settings, "manager", language)
    page.goto("/imports/ledger/")
    with page.expect_navigation():
        page.locator("[data-testid=ledger-upload-form] button[type=submit]").click()
    error = page.locator("[data-field=file] .invalid-feedback")
    expect(error).to_be_visible()
    assert in_view(page, error)
    expect(page.locator("input[name=file]")).to_be_focused()
    screenshot(page, f"16-upload-error-{language}-390")


LEDGER_HEADERS = ["房号", "业主", "业主电话", "房屋动态", "建筑面积", "起始月份", "截止月份",
                  "每月金额", "欠费原因", "欠费类型", "小组", "责任人"]  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_ledger_with_a_bad_row_brings_its_problems_into_view(
    world, phone, live_server, settings, tmp_path, language
):
    """The preview lists the file's columns first (open when there are problems): on a
    phone the problems were two screens down."""
    from openpyxl import Workbook

    settings.VAR_DIR = tmp_path
    book = Workbook()
    book.active.append(LEDGER_HEADERS)
    for i in range(12):
        last = "2015-13" if i == 7 else "2015-05"  # no such month
        book.active.append(
            [
                f"N9-{101 + i}",
                f"业主{i}",
                "",
                "入住",
                100,
                "2014-01",
                last,
                200,
                "",
                "空关类",
                "",
                "",
            ]  # fmt: skip
        )
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    page = phone
    enter(page, live_server, settings, "manager", language)
    page.goto("/imports/ledger/")
    page.locator("input[name=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.locator("[data-testid=ledger-upload-form] button[type=submit]").click()
    problems = page.get_by_test_id("import-problems")
    expect(problems).to_be_visible()
    expect(problems).to_be_focused()
    assert in_view(page, problems)
    assert page.evaluate("window.scrollY") > 0
    screenshot(page, f"16-import-problems-{language}-390")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_log_form_offers_no_legal_channel(world, wide, live_server, settings, language):
    page = wide
    enter(page, live_server, settings, "collector_a", language)
    page.goto(f"/cases/{world.case_a.pk}/attempts/new/")
    channels = page.locator("[data-field=channel] input[type=radio]")
    values = [c.get_attribute("value") for c in channels.all()]
    assert values[:5] == ["phone_call", "sms", "wechat", "home_visit", "office_meeting"]
    assert {"payment_notice", "written_demand"} <= set(values)
    assert not {"payment_order", "lawsuit", "arbitration"} & set(values)
    labels = page.locator("[data-field=channel] label").all_text_contents()
    for label in LEGAL_LABELS[language]:
        assert label not in labels
    screenshot(page, f"16-log-form-{language}-1280")


# --- item 5: the gate form -------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_enter_in_the_gate_note_picks_nothing_and_the_choice_is_explicit(
    world, phone, live_server, settings, language
):
    page, text = phone, TEXT[language]
    enter(page, live_server, settings, "site", language)
    page.goto(f"/tips/{world.house_a.pk}/new/")
    note = page.locator("textarea[name=note]")
    choices = page.get_by_test_id("tip-kinds")
    # The note sits above the choices, and nothing is chosen for the user.
    assert box(note)["y"] < box(choices)["y"]
    assert page.locator("input[name=kind]:checked").count() == 0
    note.fill("看到有人搬家具进去")
    note.press("Enter")
    page.wait_for_timeout(300)
    assert not OnSiteTip.objects.exists()
    expect(page).to_have_url(re.compile(rf"/tips/{world.house_a.pk}/new/$"))

    # Sent without a choice: refused, the note kept, the choices brought into view.
    with page.expect_navigation():
        page.get_by_test_id("tip-send").click()
    assert not OnSiteTip.objects.exists()
    error = choices.locator(".invalid-feedback")
    expect(error).to_be_visible()
    expect(error).to_be_focused()  # not the first choice: a focus ring would look chosen
    assert in_view(page, error)
    expect(note).to_have_value(re.compile("看到有人搬家具进去"))
    screenshot(page, f"16-gate-error-{language}-390")

    choices.get_by_text(text["moving"], exact=True).click()
    with page.expect_navigation():
        page.get_by_test_id("tip-send").click()
    tip = OnSiteTip.objects.get()
    assert tip.kind == OnSiteTip.Kind.MOVING and "搬家具" in tip.note


# --- item 6: the case page on a phone --------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_case_page_puts_first_what_a_collector_needs_and_folds_long_tables(
    world,
    recent_case,
    phone,
    live_server,
    settings,
    language,  # noqa: F811
):
    page = phone
    enter(page, live_server, settings, "collector_a", language)
    page.goto(f"/cases/{recent_case.pk}/")
    order = ["contact-now", "case-actions", "phone", "ledger-summary", "timeline", "limitation"]
    tops = [box(page.get_by_test_id(name).first)["y"] for name in order]
    assert tops == sorted(tops), dict(zip(order, tops, strict=True))
    # Twelve limitation rows: one summary line until tapped.
    details = page.get_by_test_id("limitation-details")
    rows = page.get_by_test_id("limitation").locator("tbody tr")
    expect(rows.first).to_be_hidden()
    summary = page.get_by_test_id("limitation-summary")
    expect(summary).to_contain_text("12")
    folded = page.evaluate("document.scrollingElement.scrollHeight")
    screenshot(page, f"16-case-{language}-390")
    summary.click()
    expect(details).to_have_attribute("open", "")
    expect(rows).to_have_count(12)
    expect(rows.first).to_be_visible()
    unfolded = page.evaluate("document.scrollingElement.scrollHeight")
    assert unfolded > folded + 200
    print(f"case page at 390 px ({language}): {folded} px folded, {unfolded} px unfolded")
    # A short ledger stays open: its one range is read without a tap.
    expect(page.get_by_test_id("ledger")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_case_page_on_a_desktop(world, wide, live_server, settings, language):
    page = wide
    enter(page, live_server, settings, "collector_a", language)
    page.goto(f"/cases/{world.case_a.pk}/")
    expect(page.get_by_test_id("ledger")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280
    screenshot(page, f"16-case-{language}-1280")
