"""The ledger import in a real browser: a ledger whose headers nobody recognises goes through
the mapping step (each column, its first values, what it is), the preview, and the import."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from arrears.models import Case
from households.models import Household
from imports.models import ColumnMapping
from tests.browser.conftest import screenshot
from tests.browser.test_login_and_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["门牌", "户名", "从", "到", "钱", "组", "类别"]
ROWS = [
    ["N8-801", "孙七", "2015-01", "2015-05", 500, "A", "空关"],
    ["N8-802", "周八", "2014-07", "2015-05", 1100, "B", "无法联系"],
]
CHOICES = {"门牌": "unit", "户名": "owner", "从": "first_month", "到": "last_month", "钱": "total"}


def test_a_ledger_with_unknown_headers_is_mapped_previewed_and_imported(
    world, desktop, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    book = Workbook()
    book.active.append(["北苑服务处 欠费明细（2015年6月）"])  # a title above the header
    for row in (HEADERS, *ROWS):
        book.active.append(row)
    path = tmp_path / "北苑台账.xlsx"
    book.save(path)

    page = desktop
    log_in(page, "manager", "pw-manager")
    page.goto("/imports/ledger/")
    page.locator("input[name=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.locator("[data-testid=ledger-upload-form] button[type=submit]").click()

    # The mapping step: every column with its first values.
    expect(page.get_by_test_id("columns-form")).to_be_visible()
    expect(page.get_by_test_id("columns-row")).to_have_count(len(HEADERS))
    expect(page.locator("[data-testid=columns-row][data-letter=A]")).to_contain_text("N8-801")
    for header, field in CHOICES.items():
        page.locator(f'select[data-header="{header}"]').select_option(field)
    page.locator('select[data-header="组"]').select_option("ignore")
    screenshot(page, "import-mapping")
    with page.expect_navigation():
        page.get_by_test_id("columns-save").click()

    # The preview: nothing written yet, the columns as read, the months of each row.
    expect(page.get_by_test_id("import-ok")).to_be_visible()
    expect(page.get_by_test_id("import-rows")).to_contain_text("2015-01 — 2015-05")
    assert not Household.objects.filter(unit_code="N8-801").exists()
    screenshot(page, "import-preview")
    with page.expect_navigation():
        page.get_by_test_id("import-commit").click()

    expect(page.get_by_test_id("import-report")).to_be_visible()
    house = Household.objects.get(office=world.office, unit_code="N8-802")
    assert house.debt_periods.count() == 11
    assert Case.objects.get(household=house).team is None  # 组 ignored
    assert ColumnMapping.objects.filter(office=world.office, kind="ledger").count() == 7


def test_the_mapping_step_fits_a_phone_in_english(world, phone, live_server, settings, tmp_path):
    """An office manager on a 390 px phone, in English: the columns scroll inside their table,
    the page itself never scrolls sideways, and the choice can be made and saved."""
    settings.VAR_DIR = tmp_path
    book = Workbook()
    for row in (HEADERS, *ROWS):
        book.active.append(row)
    path = tmp_path / "ledger.xlsx"
    book.save(path)

    page = phone
    log_in(page, "manager", "pw-manager")  # the login page asks in Chinese
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto("/imports/ledger/")
    page.locator("input[name=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.locator("[data-testid=ledger-upload-form] button[type=submit]").click()

    expect(page.get_by_role("heading", name="What are the columns?")).to_be_visible()
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"
    for header, field in CHOICES.items():
        page.locator(f'select[data-header="{header}"]').select_option(field)
    screenshot(page, "import-mapping-phone")
    with page.expect_navigation():
        page.get_by_test_id("columns-save").click()
    expect(page.get_by_test_id("import-ok")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
