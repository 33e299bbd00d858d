"""The escalation road in a real browser (issue 7): a manager prints a formal demand for a
case, records how it was sent and its delivery, and the case's limitation dates move; opening
the legal stage before the demand's deadline has passed is refused with the day it can open.
Then a demand whose deadline has passed lets the legal stage open on the suggested route, and
a batch of notices issued from the case list comes back as one .docx.

The server clock is real, so "after the deadline" is a demand delivered weeks ago, written
straight into the database. Pages are found by test ids, names, ids and URLs (the catalogue
may lag behind the English msgids); the letters' own Chinese text is fixed and checked as is.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from docx import Document
from playwright.sync_api import expect

from arrears.ledger import add_months
from arrears.models import Case, DebtorCategory
from escalation.letter_records import effective_deadline, letter_issue, letter_record_delivery
from escalation.limitation import add_years
from escalation.limitation_records import unpaid_clocks
from escalation.models import LegalAction, Letter
from households.models import ContactAttempt, Outcome
from tests.browser.conftest import screenshot
from tests.browser.test_collector_day import zh
from tests.browser.test_login_and_desk import log_in
from tests.conftest import PNG, make_case, make_household, set_campaign_months

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Twelve unpaid months ending a year before this month: their limitation dates (three years
# after each month) are one to two years ahead, so a demand delivered today moves every one.
LAST = add_months(timezone.localdate().replace(day=1), -12)
FIRST = add_months(LAST, -11)
MONTHS = [add_months(FIRST, i) for i in range(12)]


TRACKING = "EA123456789CN"
DAYS_TO_PAY = 20  # more than the 15-day floor, so the letter's own deadline decides


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Scans of the proof go to a temporary folder, not var/media (the live server runs in
    this process, so it sees the override)."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def recent_case(world):
    """A case with twelve recent months unpaid (¥100 each), FIRST … LAST: their limitation
    dates are still running, so a delivered demand visibly moves them."""
    house = make_household(
        world.office,
        "R2-301",
        first=FIRST,
        last=LAST,
        owner="陈明",
    )
    set_campaign_months(world.campaign, arrears_through=timezone.localdate().replace(day=1))
    return make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.REFUSAL,  # not disputed, reachable: a payment order fits
    )


def limitation_rows(page):
    """The limitation table as (months, time-barred after, state) rows, as the page shows
    them; the date cell may carry a warning after the date ("· within 90 days")."""
    rows = page.get_by_test_id("limitation").locator("tbody tr")
    details = page.get_by_test_id("limitation-details")
    if details.get_attribute("open") is None:  # a long table is folded: one tap opens it
        details.locator("summary").click()
    expect(rows.first).to_be_visible()
    found = []
    for row in rows.all():
        months, limit = (" ".join(c.split()) for c in row.locator("td").all_text_contents()[:2])
        found.append((months, limit[:10], row.get_attribute("data-state")))
    return found


def submit(form):
    """Send the form and wait for the page it leads to (database checks come next)."""
    with form.page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_a_manager_prints_and_delivers_a_demand_and_the_legal_stage_must_wait(
    world, recent_case, desktop
):
    page, case, today = desktop, recent_case, timezone.localdate()
    log_in(page, "manager", "pw-manager")
    page.goto(f"/cases/{case.pk}/")
    expect(page.get_by_role("heading", name="R2-301")).to_be_visible()

    # Before: one row per month, each barred three years after it fell due.
    before = limitation_rows(page)
    assert len(before) == 12
    assert [limit for _months, limit, _state in before] == [
        f"{add_years(month, 3):%Y-%m-%d}" for month in MONTHS
    ]
    # Nothing delivered yet: the legal stage explains what it waits for.
    expect(page.get_by_test_id("legal-refusal")).to_have_attribute("data-code", "no_demand")

    # The case-actions button "Formal demand" opens the draft.
    with page.expect_navigation():
        page.get_by_test_id("case-actions").locator(
            f'a[href="/cases/{case.pk}/letters/demand/"]'
        ).click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/letters/demand/$"))
    letter = page.get_by_test_id("letter")
    expect(letter.get_by_role("heading", level=1)).to_have_text("催告函")
    expect(letter).to_contain_text("尊敬的陈明（R2-301 业主）")
    expect(letter).to_contain_text(
        f"{FIRST.year}年{FIRST.month}月至{LAST.year}年{LAST.month}月（12个月）"
    )
    expect(page.get_by_test_id("letter-total")).to_have_text("¥1,200.00")
    expect(page.get_by_test_id("letter-reference")).to_have_count(0)  # a draft has no number
    assert not Letter.objects.exists()

    # A longer deadline is shown on the draft before it is issued.
    page.get_by_test_id("draft-days").locator("#days").fill(str(DAYS_TO_PAY))
    submit(page.get_by_test_id("draft-days"))
    later = today + datetime.timedelta(days=DAYS_TO_PAY)
    expect(page.get_by_test_id("letter-deadline")).to_have_attribute(
        "data-deadline", f"{later:%Y-%m-%d}"
    )
    assert not Letter.objects.exists()
    with page.expect_navigation():
        page.get_by_test_id("issue-letter").click()
    issued = Letter.objects.get(case=case)
    expect(page).to_have_url(re.compile(rf"/letters/{issued.pk}/$"))
    expect(page.get_by_test_id("letter-reference")).to_have_text(f"编号：{issued.reference}")
    assert issued.kind == Letter.Kind.DEMAND and issued.total == Decimal("1200.00")
    assert issued.deadline == today + datetime.timedelta(days=DAYS_TO_PAY)
    deadline_paragraph = page.get_by_test_id("letter-deadline")
    expect(deadline_paragraph).to_have_attribute("data-deadline", f"{issued.deadline:%Y-%m-%d}")
    d = issued.deadline
    expect(deadline_paragraph).to_contain_text(f"请您于{d.year}年{d.month}月{d.day}日前缴清")

    # On paper only the letter: no buttons, forms, messages of the page or navigation.
    page.emulate_media(media="print")
    expect(page.get_by_test_id("letter-actions")).to_be_hidden()
    expect(page.get_by_test_id("issue-letter")).to_have_count(0)
    expect(page.locator("nav")).to_be_hidden()
    expect(page.get_by_test_id("letter")).to_be_visible()
    expect(page.get_by_test_id("letter-total")).to_be_visible()
    screenshot(page, "demand-print")
    page.emulate_media(media="screen")
    expect(page.get_by_test_id("letter-actions")).to_be_visible()

    # Sent by EMS, with the tracking number from the post office receipt.
    dispatch = page.get_by_test_id("dispatch-form")
    dispatch.locator("[name=method]").select_option("ems")
    expect(dispatch.locator("[name=sent_on]")).to_have_value(f"{today:%Y-%m-%d}")
    dispatch.locator("[name=tracking_number]").fill(TRACKING)
    submit(dispatch)
    expect(page).to_have_url(re.compile(rf"/letters/{issued.pk}/$"))
    expect(page.get_by_test_id("letter-status")).to_contain_text(TRACKING)
    expect(page.get_by_test_id("dispatch-form")).to_have_count(0)
    issued.refresh_from_db()
    assert issued.status == Letter.Status.SENT and issued.method == Letter.Method.EMS

    # Delivered: the tracking record says so, and its screenshot is attached.
    delivery = page.get_by_test_id("delivery-form")
    expect(delivery.locator("[name=method]")).to_have_count(0)  # already sent by EMS
    expect(delivery.locator("[name=delivered_on]")).to_have_value(f"{today:%Y-%m-%d}")
    delivery.locator("[name=proof]").select_option("tracking")
    delivery.locator("[name=proof_detail]").fill("EMS 妥投，本人签收")
    delivery.locator("[name=evidence]").set_input_files(
        files=[{"name": "ems-tracking.png", "mimeType": "image/png", "buffer": PNG}]
    )
    submit(delivery)
    expect(page).to_have_url(re.compile(rf"/letters/{issued.pk}/$"))
    delivered = page.get_by_test_id("delivered-on")
    expect(delivered).to_contain_text(f"{today:%Y-%m-%d}")
    expect(delivered).to_contain_text("EMS 妥投，本人签收")
    expect(delivered.get_by_role("link", name="ems-tracking.png")).to_be_visible()
    expect(page.get_by_test_id("delivery-form")).to_have_count(0)
    expect(page.get_by_test_id("return-form")).to_have_count(0)
    issued.refresh_from_db()
    assert issued.status == Letter.Status.DELIVERED and issued.delivered_on == today
    screenshot(page, "demand-delivered-letter")
    attempt = ContactAttempt.objects.get(case=case, outcome=Outcome.DELIVERED)
    assert attempt.evidence.get().original_name == "ems-tracking.png"

    # Back on the case: the delivery restarted every month's clock, three years from today.
    with page.expect_navigation():
        page.get_by_test_id("letter-actions").locator(f'a[href="/cases/{case.pk}/"]').click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    limit = add_years(today, 3)
    after = limitation_rows(page)
    months = f"{FIRST:%Y-%m} — {LAST:%Y-%m} (12 个月)"
    assert after == [(months, f"{limit:%Y-%m-%d}", "ok")], after
    restarted = page.get_by_test_id("limitation").locator("tbody tr td").nth(2)
    expect(restarted).to_have_text(f"{today:%Y-%m-%d}")
    assert {c.clock.limit for c in unpaid_clocks([case.household_id])[case.household_id]} == {limit}
    expect(page.get_by_test_id("letters").locator("[data-status]")).to_have_attribute(
        "data-status", "delivered"
    )

    # Too early for the legal stage: refused, and the message names the day it can open.
    deadline = max(issued.deadline, issued.delivered_on + datetime.timedelta(days=15))
    assert effective_deadline(issued) == deadline
    opens = deadline + datetime.timedelta(days=1)
    # The button says no before anyone clicks; a form posted anyway is refused on the server.
    button = page.get_by_test_id("legal-open-form").locator("button[type=submit]")
    expect(button).to_be_disabled()
    expect(page.get_by_test_id("legal-refusal")).to_contain_text(f"{opens:%Y-%m-%d}")
    with page.expect_navigation():
        page.get_by_test_id("legal-open-form").evaluate("form => form.submit()")
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/#legal$"))
    refusal = page.locator(".alert-danger[role=alert]")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text(f"{opens:%Y-%m-%d}")
    expect(refusal).to_contain_text(f"{deadline:%Y-%m-%d}")
    expect(refusal).to_contain_text(f"{today:%Y-%m-%d}")  # the day it was delivered
    box = page.get_by_test_id("legal-refusal")
    expect(box).to_have_attribute("data-code", "deadline_not_passed")
    expect(box).to_contain_text(f"{opens:%Y-%m-%d}")
    expect(page.get_by_test_id("legal-action")).to_have_count(0)
    assert not LegalAction.objects.exists()
    case.refresh_from_db()
    assert case.status != Case.Status.LEGAL
    screenshot(page, "demand-delivered-case")


def test_after_the_deadline_the_legal_stage_opens_on_the_suggested_route(
    world, recent_case, desktop
):
    case, today = recent_case, timezone.localdate()
    days = datetime.timedelta
    demand = Letter.objects.create(
        case=case,
        kind=Letter.Kind.DEMAND,
        reference=f"NORTH-{today.year}-D0099",
        dated=today - days(40),
        deadline=today - days(25),
        total=Decimal("1200.00"),
        periods=[
            {
                "start": FIRST.isoformat(),
                "end": LAST.isoformat(),
                "count": 12,
                "due": "1200.00",
                "paid": "0.00",
            }
        ],
        owners=["陈明"],
        issued_by=world.manager,
        status=Letter.Status.DELIVERED,
        method=Letter.Method.EMS,
        tracking_number=TRACKING,
        sent_on=today - days(38),
        delivered_on=today - days(36),
        proof=Letter.Proof.TRACKING,
        proof_detail="EMS 妥投",
    )
    assert effective_deadline(demand) == today - days(21)  # 15 days from delivery decide

    log_in(desktop, "manager", "pw-manager")
    desktop.goto(f"/cases/{case.pk}/")
    legal = desktop.get_by_test_id("legal")
    expect(legal.get_by_test_id("legal-refusal")).to_have_count(0)
    suggestion = legal.get_by_test_id("route-suggestion")
    expect(suggestion).to_contain_text(zh("payment order (支付令)"))
    expect(suggestion).to_contain_text(
        zh(
            "The amount is fixed by the ledger, the owner has raised no dispute and can "
            "be served: a payment order (支付令) is the quickest and cheapest route."
        )
    )
    form = legal.get_by_test_id("legal-open-form")
    expect(form.locator("[name=route]")).to_have_value("payment_order")  # preselected
    submit(form)

    expect(desktop).to_have_url(re.compile(rf"/cases/{case.pk}/#legal$"))
    expect(desktop.locator(".alert-success[role=alert]")).to_have_text(
        zh("The legal stage is open. Record each step as it happens.")
    )
    action = LegalAction.objects.get(case=case)
    assert action.route == action.suggested_route == LegalAction.Route.PAYMENT_ORDER
    assert action.demand == demand and action.claimed == Decimal("1200.00")
    opened = desktop.get_by_test_id("legal-action")
    expect(opened).to_have_attribute("data-stage", "preparing")
    expect(opened).to_contain_text(demand.reference)
    expect(desktop.get_by_test_id("legal-open-form")).to_have_count(0)
    expect(desktop.get_by_test_id("legal-step-form")).to_be_visible()
    case.refresh_from_db()
    assert case.status == Case.Status.LEGAL


def test_a_manager_issues_notices_for_two_ticked_cases_and_downloads_them(
    world, recent_case, desktop, tmp_path
):
    page = desktop
    log_in(page, "manager", "pw-manager")
    page.goto("/cases/")
    batch = page.get_by_test_id("letter-batch")
    expect(batch).to_be_visible()
    page.locator(f'input[name=case][value="{world.case_a.pk}"]').check()
    page.locator(f'input[name=case][value="{recent_case.pk}"]').check()
    expect(page.locator("input[name=case]:checked")).to_have_count(2)
    batch.locator("[name=kind]").select_option("notice")
    screenshot(page, "letter-batch-ticked")
    submit(batch)

    letters = list(Letter.objects.order_by("case__household__unit_code"))
    assert [x.case for x in letters] == [world.case_a, recent_case]
    assert {x.kind for x in letters} == {Letter.Kind.NOTICE}
    expect(page).to_have_url(re.compile(r"/letters/\?id=\d+&id=\d+$"))
    table = page.get_by_test_id("letter-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    for x in letters:
        expect(table).to_contain_text(x.reference)
    expect(table).to_contain_text("C6-101")
    expect(table).to_contain_text("R2-301")

    # Printing the list prints the two letters, each on its own page.
    page.emulate_media(media="print")
    printed = page.get_by_test_id("letter")
    expect(printed).to_have_count(2)
    expect(printed.first).to_be_visible()
    expect(table).to_be_hidden()
    page.emulate_media(media="screen")
    expect(printed.first).to_be_hidden()

    with page.expect_download() as download_info:
        page.get_by_test_id("batch-docx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    document = Document(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.count("催缴通知书") == 2
    assert "C6-101" in text and "R2-301" in text
    for x in letters:
        assert x.reference in text


def test_the_message_shown_after_issuing_is_not_printed_on_the_letter(world, recent_case, desktop):
    log_in(desktop, "manager", "pw-manager")
    desktop.goto(f"/cases/{recent_case.pk}/letters/demand/")
    with desktop.expect_navigation():
        desktop.get_by_test_id("issue-letter").click()
    message = desktop.get_by_role("alert")
    expect(message).to_be_visible()  # the page the clerk prints from says "print it"
    desktop.emulate_media(media="print")
    expect(desktop.get_by_test_id("letter")).to_be_visible()
    expect(message).to_be_hidden(timeout=1_000)


def test_the_proof_scan_on_the_letter_page_opens(world, recent_case, desktop):
    today = timezone.localdate()
    demand = letter_issue(case=recent_case, kind="demand", by=world.manager)
    letter_record_delivery(
        letter=demand,
        by=world.manager,
        method="in_person",
        delivered_on=today,
        proof="signature",
        proof_detail="陈明 本人签收",
        scans=[SimpleUploadedFile("receipt.png", PNG, content_type="image/png")],
    )
    log_in(desktop, "manager", "pw-manager")
    desktop.goto(f"/letters/{demand.pk}/")
    link = desktop.get_by_test_id("delivered-on").get_by_role("link", name="receipt.png")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    # Django's live server serves MEDIA_ROOT to anyone (LiveServerThread's media handler), so
    # the browser would open it here; the app's own URLs, as gunicorn serves them, decide.
    client = Client()
    client.force_login(world.manager)
    response = client.get(href)
    assert response.status_code == 200, f"{href}: {response.status_code}"
    assert b"".join(response.streaming_content).startswith(PNG[:8])
