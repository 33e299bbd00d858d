"""The owner's statement on a 390 px phone (issue 17): opened from a letter's QR code, decoded
here by a real decoder (OpenCV), read in Chinese; the owner disputes two months and sees them
paused, proposes instalments, asks for written contact only and about their personal
information; a forged and an expired link get the plain page. Never a sideways scroll."""

import base64
import datetime
from decimal import Decimal
from urllib.parse import urlparse

import cv2
import numpy
import pytest
import time_machine
from django.utils import timezone

from arrears.ledger import add_months
from arrears.models import DebtorCategory
from escalation.letter_records import letter_issue
from escalation.letters import issued_letter, letter_for
from escalation.models import PaymentPlan, PlanProposal, StatementEvent
from escalation.plan_proposals import proposal_record
from escalation.statement_links import link_issue, token_for
from households.contact import contact_answers
from households.contact_policy import DISPUTED
from households.disputes import disputed_months
from households.models import Household, PersonalDataRequest
from tests.browser.conftest import screenshot
from tests.browser.test_login_and_desk import log_in
from tests.conftest import make_case, make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_owner_reads_the_statement_and_asks_for_written_contact_only(phone, world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    path = urlparse(issued_letter(letter).statement_url).path
    phone.goto(path)
    page = phone.get_by_test_id("statement-page")
    assert "您的物业费对账单" in page.inner_text()
    assert "C6-101" in phone.get_by_test_id("statement-unit").inner_text()
    assert "¥1,700.00" in phone.get_by_test_id("statement-total").inner_text()
    text = page.inner_text()
    for never in ("张静", "13912345678", "李收费"):
        assert never not in text
    assert _fits(phone)
    screenshot(phone, "statement-phone-zh")
    phone.get_by_test_id("statement-written-only").click()
    assert phone.get_by_test_id("statement-done").is_visible()
    assert phone.get_by_test_id("statement-written-only-on").is_visible()
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only
    # English on the switch.
    phone.get_by_role("button", name="English").click()
    assert "Your property fee statement" in phone.get_by_test_id("statement-page").inner_text()
    assert _fits(phone)


def test_a_forged_or_expired_link_gets_the_plain_page(phone, world):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    path = urlparse(issued_letter(letter).statement_url).path
    phone.goto(path[:-3] + "xx/")
    assert phone.get_by_test_id("statement-gone").is_visible()
    assert "C6-101" not in phone.content()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=91)):
        phone.goto(path)
        assert phone.get_by_test_id("statement-gone").is_visible()
    assert _fits(phone)
    screenshot(phone, "statement-phone-gone")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def decode_qr(png: bytes) -> str:
    """What a phone's camera reads from the QR code: OpenCV's detector on the picture."""
    image = cv2.imdecode(numpy.frombuffer(png, numpy.uint8), cv2.IMREAD_GRAYSCALE)
    text, _points, _straight = cv2.QRCodeDetector().detectAndDecode(image)
    assert text, "the QR code did not decode"
    return text


def qr_on_the_printed_letter(desktop, letter) -> bytes:
    """The QR code's picture exactly as the letter page prints it (its <img> data)."""
    log_in(desktop, "collector_a", "pw-collector_a")
    desktop.goto(f"/letters/{letter.pk}/")
    src = desktop.get_by_test_id("letter-qr").get_attribute("src")
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix) :])


def _send(page, form, button):
    with page.expect_navigation():
        page.get_by_test_id(form).get_by_test_id(button).click()


def test_the_owner_opens_the_letters_qr_code_disputes_two_months_and_proposes_instalments(
    phone, desktop, world
):
    letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    url = decode_qr(qr_on_the_printed_letter(desktop, letter))
    assert url == issued_letter(letter).statement_url
    phone.goto(urlparse(url).path)
    assert "C6-101" in phone.get_by_test_id("statement-unit").inner_text()
    assert _fits(phone)

    # I dispute this: the first two months, in the owner's words.
    phone.get_by_test_id("statement-dispute-open").click()
    form = phone.get_by_test_id("statement-dispute-form")
    form.locator('input[name="kind"][value="months"]').check()
    boxes = form.locator('input[name="months"]')
    assert boxes.count() == 17
    boxes.nth(0).check()
    boxes.nth(1).check()
    form.locator('textarea[name="words"]').fill("2014年1月和2月我在前台交过现金")
    assert _fits(phone)
    screenshot(phone, "statement-phone-dispute-form")
    _send(phone, "statement-dispute-form", "statement-dispute-send")
    assert phone.get_by_test_id("statement-done").is_visible()
    paused = phone.get_by_test_id("statement-paused")
    assert paused.count() == 1 and "2014-01" in paused.inner_text()
    assert phone.get_by_test_id("statement-dispute").get_attribute("data-state") == "open"
    months = disputed_months(world.house_a.pk, timezone.now())
    assert months == {datetime.date(2014, 1, 1), datetime.date(2014, 2, 1)}
    # Letters now leave them out and say they are under review.
    notice = letter_for(world.case_a, kind="notice", dated=timezone.localdate())
    assert [r.start for r in notice.under_review] == [datetime.date(2014, 1, 1)]
    assert notice.total == 1500
    assert _fits(phone)
    screenshot(phone, "statement-phone-disputed")

    # I would like to pay in instalments: five, from next month.
    phone.get_by_test_id("statement-plan-open").click()
    form = phone.get_by_test_id("statement-plan-form")
    form.locator('input[name="count"]').fill("5")
    first = add_months(timezone.localdate().replace(day=1), 1)
    form.locator('input[name="first_month"]').fill(f"{first:%Y-%m}")
    _send(phone, "statement-plan-form", "statement-plan-send")
    assert phone.get_by_test_id("statement-done").is_visible()
    assert phone.get_by_test_id("statement-proposal").get_attribute("data-state") == "pending"
    proposal = PlanProposal.objects.get(case=world.case_a)
    assert proposal.total == 1500 and len(proposal.instalments) == 5  # the paused months out

    # Contact me in writing only.
    phone.get_by_test_id("statement-written-only").click()
    assert phone.get_by_test_id("statement-written-only-on").is_visible()
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only

    # Your personal information: see what is held.
    phone.get_by_test_id("statement-data-open").click()
    phone.get_by_test_id("statement-data-form").locator('input[value="access"]').check()
    _send(phone, "statement-data-form", "statement-data-send")
    assert phone.get_by_test_id("statement-done").is_visible()
    assert PersonalDataRequest.objects.get(household=world.house_a).received_via == "statement"

    kinds = set(
        StatementEvent.objects.filter(link__case=world.case_a).values_list("kind", flat=True)
    )
    assert kinds == {"viewed", "disputed", "plan_proposed", "written_only", "data_request"}
    text = phone.get_by_test_id("statement-page").inner_text()
    for never in ("张静", "13912345678", "李收费", "北苑经理"):
        assert never not in text
    assert _fits(phone)
    screenshot(phone, "statement-phone-after-actions")


def test_disputing_every_unpaid_month_stops_calls_about_them(phone, world):
    """F1-1802 owes two months; the owner disputes both on the statement: the contact policy
    refuses a collection call about them from that moment."""
    house = make_household(
        world.office, "F1-1802", first=datetime.date(2015, 4, 1), last=datetime.date(2015, 5, 1)
    )
    case = make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.GRIEVANCE,
    )
    # The server's clock is real: ask about a moment inside the allowed hours, tomorrow 10:00.
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    ten = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    assert contact_answers([house], now=ten)[house.pk].call.allowed
    phone.goto(f"/s/{token_for(link_issue(case=case, by=world.collector_a))}/")
    phone.get_by_test_id("statement-dispute-open").click()
    form = phone.get_by_test_id("statement-dispute-form")
    form.locator('input[name="kind"][value="months"]').check()
    form.locator('input[name="months"]').nth(0).check()
    form.locator('input[name="months"]').nth(1).check()
    form.locator('textarea[name="words"]').fill("房屋质量问题没解决，这两个月不交")
    _send(phone, "statement-dispute-form", "statement-dispute-send")
    assert phone.get_by_test_id("statement-paused").count() == 1
    call = contact_answers([house], now=ten)[house.pk].call
    assert not call.allowed and DISPUTED in {b.code for b in call.reasons}
    assert _fits(phone)


def test_the_office_manager_answers_a_proposal_in_writing_and_the_owner_sees_it(wide, phone, world):
    link = link_issue(case=world.case_a, by=world.collector_a)
    first = add_months(timezone.localdate().replace(day=1), 1)
    proposal, _created = proposal_record(link=link, first_month=first, count=4)
    log_in(wide, "manager", "pw-manager")
    wide.goto(f"/cases/{world.case_a.pk}/#plan-proposals")
    card = wide.get_by_test_id("plan-proposal")
    assert card.get_attribute("data-state") == "pending"
    card.locator('input[name="outcome"][value="accepted"]').check()
    screenshot(wide, "case-plan-proposal")
    with wide.expect_navigation():
        card.get_by_role("button").click()
    letter = wide.get_by_test_id("letter")
    assert "分期缴费申请答复函" in letter.inner_text()
    assert "同意您提出的分期方案" in letter.inner_text()
    assert wide.get_by_test_id("letter-qr").is_visible()
    assert PaymentPlan.objects.get(case=world.case_a).total == proposal.total
    phone.goto(f"/s/{token_for(link)}/")
    assert phone.get_by_test_id("statement-proposal").get_attribute("data-state") == "accepted"
    assert _fits(phone)


def test_the_manager_changes_a_proposal_and_the_owner_accepts_the_offer_on_the_phone(
    wide, phone, world
):
    """ "Changed" is the office's offer: no plan until the owner accepts it on the statement
    page; then the case page shows the plan, agreed that day."""
    link = link_issue(case=world.case_a, by=world.collector_a)
    first = add_months(timezone.localdate().replace(day=1), 1)
    proposal, _created = proposal_record(link=link, first_month=first, count=4)
    log_in(wide, "manager", "pw-manager")
    wide.goto(f"/cases/{world.case_a.pk}/#plan-proposals")
    card = wide.get_by_test_id("plan-proposal")
    card.locator('input[name="outcome"][value="changed"]').check()
    due = [add_months(first, n + 1) - datetime.timedelta(days=1) for n in range(2)]
    half = (proposal.total / 2).quantize(Decimal("0.01"))
    amounts = [half, proposal.total - half]
    card.locator('textarea[name="instalments"]').fill(
        "\n".join(f"{d:%Y-%m-%d} {a}" for d, a in zip(due, amounts, strict=True))
    )
    card.locator('textarea[name="reason"]').fill("分两期更便于核对")
    with wide.expect_navigation():
        card.get_by_role("button").click()
    letter = wide.get_by_test_id("letter").inner_text()
    assert "接受这些分期" in letter and "逾期未确认的" in letter
    assert not PaymentPlan.objects.filter(case=world.case_a).exists()  # nothing agreed yet

    phone.goto(f"/s/{token_for(link)}/")
    offer = phone.get_by_test_id("statement-offer")
    assert "服务处为您提出的分期方案" in offer.inner_text()
    assert f"{due[0]:%Y-%m-%d}" in offer.inner_text()
    assert _fits(phone)
    screenshot(phone, "statement-phone-offer")
    with phone.expect_navigation():
        offer.get_by_test_id("statement-offer-accept").click()
    assert phone.get_by_test_id("statement-done").is_visible()
    assert phone.get_by_test_id("statement-offer").count() == 0
    state = phone.get_by_test_id("statement-proposal").get_attribute("data-state")
    assert state == "offer_accepted"
    assert _fits(phone)

    plan = PaymentPlan.objects.get(case=world.case_a)
    assert plan.agreed_on == timezone.localdate() and plan.total == proposal.total
    wide.goto(f"/cases/{world.case_a.pk}/#plans")
    plans = wide.get_by_test_id("plans").inner_text()
    assert f"{timezone.localdate():%Y-%m-%d}" in plans and "对账单" in plans
    offer_card = wide.get_by_test_id("plan-offer")
    assert offer_card.get_attribute("data-offer-state") == "accepted"
    kinds = set(StatementEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert "plan_accepted" in kinds
