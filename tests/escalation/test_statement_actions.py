"""The owner's actions on the statement page (issue 17.2, 17.4, 17.5): dispute, propose
instalments, ask about personal information. Public pages: a forged, expired or revoked link
gets the same plain 404 on POST too; the owner reaches their own household only; each
action is rate-limited, logged on the case timeline and recorded once per double tap."""

import datetime
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from arrears.models import DebtPeriod, Notification
from desk.timeline import case_timeline
from escalation.models import PlanProposal, StatementEvent
from escalation.statement_links import link_issue, link_revoke, token_for
from households.contact_policy import DISPUTED
from households.disputes import disputed_months, household_pause
from households.models import Dispute, PersonalDataRequest
from tests.conftest import PNG
from tests.escalation.conftest import TODAY, at

pytestmark = pytest.mark.usefixtures("frozen")

GONE = "This link cannot be opened"
HTML = b"<html><body><script>fetch('/cases/').then(r=>r.text()).then(alert)</script></html>"
NAMES_NEVER_SHOWN = ["张静", "13912345678", "李收费", "赵组长", "北苑经理", "高萌"]


@pytest.fixture
def link(world, media):
    return link_issue(case=world.case_a, by=world.collector_a)


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def url(name, link):
    return reverse(name, args=[token_for(link)])


def months(house, n=None):
    qs = DebtPeriod.objects.filter(household=house).order_by("month")
    return list(qs if n is None else qs[:n])


def dispute_post(client, link, **data):
    fields = {"kind": "months", "words": "这两个月我已经交过了"}
    fields.update(data)
    return client.post(url("statement-dispute", link), fields)


def photo_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, "JPEG", comment=b"Zhang Jing")
    return out.getvalue()


# --- I dispute this -------------------------------------------------------------------------


def test_disputing_two_months_pauses_them_and_tells_the_manager(en, world, link):
    two = months(world.house_a, 2)
    response = dispute_post(en, link, months=[p.pk for p in two])
    assert response.status_code == 302 and response.url.endswith("?done=disputed")
    dispute = Dispute.objects.get(household=world.house_a)
    assert dispute.source == "statement" and dispute.recorded_by is None
    assert {p.pk for p in dispute.months.all()} == {p.pk for p in two}
    assert disputed_months(world.house_a.pk, at(TODAY, 11)) == {p.month for p in two}
    assert Notification.objects.filter(recipient=world.manager, kind="dispute").count() == 1
    assert StatementEvent.objects.filter(link=link, kind="disputed").count() == 1
    page = en.get(response.url).text
    assert 'data-testid="statement-done"' in page
    assert page.count('data-testid="statement-paused"') == 1  # 2014-01 — 2014-02, one range
    assert "under review" in page and 'data-state="open"' in page
    assert 'data-testid="statement-paused-total">¥200.00' in page
    assert 'data-testid="statement-due-now">¥1,500.00' in page
    for never in NAMES_NEVER_SHOWN:
        assert never not in page
    kinds = [e.kind for e in case_timeline(world.case_a)]
    assert "statement" in kinds and "dispute" in kinds


def test_disputing_every_unpaid_month_makes_the_policy_refuse_a_call(client, world, link):
    dispute_post(client, link, months=[p.pk for p in months(world.house_a)])
    assert household_pause(world.house_a.pk, at(TODAY, 11)) is not None
    from households.contact import contact_answers

    answers = contact_answers([world.house_a], now=at(TODAY, 11))[world.house_a.pk]
    assert not answers.call.allowed
    assert DISPUTED in {b.code for b in answers.call.reasons}


def test_i_paid_this_keeps_the_amount_and_the_receipt(en, world, link):
    response = dispute_post(
        en,
        link,
        kind="amount",
        amount="300",
        receipt_number="NO.88812",
        receipt_date="2015-06-01",
        words="我在前台交过",
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get(household=world.house_a)
    assert dispute.kind == "amount" and str(dispute.amount) == "300.00"
    assert "NO.88812" in dispute.words and "2015-06-01" in dispute.words


def test_a_service_complaint_with_a_photo_becomes_a_work_order(en, world, link, media):
    response = dispute_post(
        en,
        link,
        kind="service",
        cause="leak_unrepaired",
        words="楼上漏水一年没人修",
        photo=SimpleUploadedFile("漏水.jpg", photo_jpeg(), content_type="image/jpeg"),
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get(household=world.house_a)
    assert dispute.work_order.department == "engineering"
    data = dispute.file.read()
    assert data.startswith(b"\xff\xd8") and b"Zhang Jing" not in data  # cleaned again
    assert dispute.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("receipt.jpg", HTML),  # a web page dressed as a photo
        ("receipt.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("receipt.png", PNG[:20]),  # a picture that does not decode
        ("receipt.exe", b"MZ\x90\x00" + b"\x00" * 64),
    ],
)
def test_a_hostile_file_is_refused_and_nothing_is_recorded(en, world, link, name, content):
    response = dispute_post(
        en,
        link,
        months=[months(world.house_a, 1)[0].pk],
        photo=SimpleUploadedFile(name, content, content_type="image/jpeg"),
    )
    assert response.status_code == 400
    assert 'id="dispute" open' in response.text
    assert not Dispute.objects.exists()
    assert not Notification.objects.filter(kind="dispute").exists()


def test_a_polyglot_is_kept_as_the_picture_alone(client, world, link):
    dispute_post(
        client,
        link,
        months=[months(world.house_a, 1)[0].pk],
        photo=SimpleUploadedFile("receipt.png", PNG + HTML, content_type="image/png"),
    )
    data = Dispute.objects.get(household=world.house_a).file.read()
    assert data.startswith(b"\x89PNG") and b"<html" not in data


def test_a_file_over_10_mb_is_refused_with_what_to_do(en, world, link):
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024))
    response = dispute_post(en, link, months=[months(world.house_a, 1)[0].pk], photo=big)
    assert response.status_code == 400 and "larger than 10 MB" in response.text
    assert not Dispute.objects.exists()


def test_a_raw_post_with_months_of_another_household_is_refused(en, world, link):
    theirs = months(world.house_b, 1)[0]
    ours = months(world.house_a, 1)[0]
    response = dispute_post(en, link, months=[ours.pk, theirs.pk])
    assert response.status_code == 400
    assert "Choose months from this statement only." in response.text
    assert not Dispute.objects.exists()
    # And the service refuses them too, whatever the form let through.
    from django.core.exceptions import ValidationError

    from escalation.statement_actions import statement_dispute

    with pytest.raises(ValidationError) as refused:
        statement_dispute(link=link, kind="months", months=[theirs.pk], words="x")
    assert refused.value.error_dict["months"][0].code == "other_household"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "months"}, "Tick the months you dispute."),
        ({"kind": "service"}, "Choose what the complaint is about."),
        ({"kind": "amount"}, "Enter the amount you paid, as on your receipt."),
        ({"kind": "months", "words": ""}, "Tell us in your own words what is wrong."),
        ({"kind": "nonsense"}, "Choose what is wrong"),
    ],
)
def test_a_dispute_that_does_not_hold_together_says_what_to_do(en, world, link, fields, message):
    response = dispute_post(en, link, **fields)
    assert response.status_code == 400 and message in response.text
    assert not Dispute.objects.exists()


def test_a_double_submit_in_the_same_minute_records_one_dispute(client, world, link):
    two = [p.pk for p in months(world.house_a, 2)]
    dispute_post(client, link, months=two)
    with time_machine.travel(at(TODAY) + datetime.timedelta(seconds=30), tick=False):
        assert dispute_post(client, link, months=two).status_code == 302
    assert Dispute.objects.count() == 1
    assert Notification.objects.filter(recipient=world.manager, kind="dispute").count() == 1
    # A minute later it is a new dispute (the owner means it again).
    with time_machine.travel(at(TODAY) + datetime.timedelta(minutes=2), tick=False):
        dispute_post(client, link, months=two)
    assert Dispute.objects.count() == 2


def test_the_forms_need_the_csrf_token(world, link):
    strict = Client(enforce_csrf_checks=True)
    for name in ("statement-dispute", "statement-instalments", "statement-personal-data"):
        assert strict.post(url(name, link), {"kind": "months"}).status_code == 403
    page = strict.get(url("statement", link)).text
    # The three forms, written-only and the language switch.
    assert page.count('name="csrfmiddlewaretoken"') == 5
    assert not Dispute.objects.exists()


# --- The same plain page for a bad link, on POST too -----------------------------------------


def _bad_tokens(world, link):
    good = token_for(link)
    forged = good[:-2] + ("xx" if not good.endswith("xx") else "yy")
    revoked = link_issue(case=world.case_a, by=world.collector_a)
    link_revoke(link=revoked, by=world.manager)
    return {"forged": forged, "revoked": token_for(revoked), "expired": token_for(link)}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("statement-dispute", {"kind": "service", "cause": "other", "words": "x"}),
        ("statement-instalments", {"count": "4", "first_month": "2026-04"}),
        ("statement-personal-data", {"kind": "access"}),
        ("statement-written-only", {}),
    ],
)
def test_a_forged_revoked_or_expired_link_gets_the_plain_404_on_post(en, world, link, name, data):
    tokens = _bad_tokens(world, link)
    pages = []
    for which, token in tokens.items():
        later = (
            datetime.timedelta(days=90, seconds=1) if which == "expired" else datetime.timedelta()
        )
        with time_machine.travel(at(TODAY) + later, tick=False):
            pages.append(en.post(reverse(name, args=[token]), data))
    assert {p.status_code for p in pages} == {404}
    assert len({p.text for p in pages}) == 1 and GONE in pages[0].text
    assert "C6-101" not in pages[0].text
    assert not Dispute.objects.exists() and not PlanProposal.objects.exists()
    assert not PersonalDataRequest.objects.exists()


def test_the_actions_share_the_statements_rate_limit(en, world, link, settings):
    settings.STATEMENT_TOKEN_LIMIT = 2
    assert en.get(url("statement", link)).status_code == 200
    assert en.post(url("statement-personal-data", link), {"kind": "access"}).status_code == 302
    busy = dispute_post(en, link, months=[months(world.house_a, 1)[0].pk])
    assert busy.status_code == 429 and "Please try again later" in busy.text
    assert not Dispute.objects.exists()


# --- I would like to pay in instalments -----------------------------------------------------


def plan_post(client, link, **data):
    fields = {"count": "4", "first_month": "2026-04", "words": "每月发工资后交"}
    fields.update(data)
    return client.post(url("statement-instalments", link), fields)


def test_proposing_instalments_records_a_proposal_and_tells_the_manager(en, world, link):
    response = plan_post(en, link)
    assert response.status_code == 302 and response.url.endswith("?done=plan")
    proposal = PlanProposal.objects.get(case=world.case_a)
    assert str(proposal.total) == "1700.00" and str(proposal.balance) == "1700.00"
    assert proposal.instalments[0] == {"due_date": "2026-04-30", "amount": "425.00"}
    assert proposal.instalments[-1]["due_date"] == "2026-07-31"
    notice = Notification.objects.get(recipient=world.manager, kind="approval")
    assert "C6-101" in notice.title and "#plan-proposals" in notice.url
    assert not Notification.objects.filter(recipient=world.collector_b).exists()
    assert StatementEvent.objects.filter(link=link, kind="plan_proposed").count() == 1
    page = en.get(response.url).text
    assert 'data-testid="statement-proposal" data-state="pending"' in page
    assert "with the office" in page


def test_a_proposal_leaves_the_disputed_months_out(client, world, link):
    dispute_post(client, link, months=[p.pk for p in months(world.house_a, 2)])
    plan_post(client, link)
    assert str(PlanProposal.objects.get().total) == "1500.00"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"count": "61"}, "At most 60 instalments"),
        ({"count": "99999999999999999999"}, "At most 60 instalments"),
        ({"count": "-3"}, "Propose at least 2 instalments"),
        ({"count": "two"}, "Enter the number of instalments, e.g. 6."),
        ({"count": "1"}, "Propose at least 2 instalments"),
        ({"count": "", "amounts": "500, 500"}, "add up to ¥1,000.00 but ¥1,700.00 is owed"),
        ({"count": "", "amounts": "1000, 1000"}, "only ¥1,700.00 is owed: lower them"),
        ({"count": "3", "amounts": "500, 1200"}, "You entered 2 amounts for 3 instalments"),
        ({"first_month": "2026-02"}, "Start with this month or a later one: 2026-03"),
        ({"first_month": "2026-07"}, "Start within 3 months: 2026-06 at the latest"),
        ({"first_month": "soon"}, "Enter the month as YYYY-MM"),
        ({"count": "", "amounts": "abc, 5"}, "Amount 1:"),
        ({"count": ""}, "Say how many instalments you would like"),
    ],
)
def test_a_proposal_that_breaks_a_rule_says_what_to_do(en, world, link, fields, message):
    response = plan_post(en, link, **fields)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="plan" open' in response.text
    assert not PlanProposal.objects.exists()


def test_a_double_submit_in_the_same_minute_records_one_proposal(en, world, link):
    plan_post(en, link)
    with time_machine.travel(at(TODAY) + datetime.timedelta(seconds=20), tick=False):
        assert plan_post(en, link).status_code == 302
    assert PlanProposal.objects.count() == 1
    assert Notification.objects.filter(recipient=world.manager, kind="approval").count() == 1
    # A different proposal while the first awaits its answer is refused with what to do.
    refused = plan_post(en, link, count="6")
    assert refused.status_code == 400 and "is still with the office" in refused.text


def test_nothing_owed_means_nothing_to_propose(en, world, link):
    DebtPeriod.objects.filter(household=world.house_a).update(amount_paid=100)
    from arrears import case_figures

    case_figures.refresh_cases(type(world.case_a).objects.filter(pk=world.case_a.pk))
    response = plan_post(en, link)
    assert response.status_code == 400 and "Nothing is owed now" in response.text


# --- Your personal information --------------------------------------------------------------


def test_asking_to_see_what_is_held_records_a_request_from_the_statement(en, world, link):
    response = en.post(
        url("statement-personal-data", link), {"kind": "access", "words": "请寄给我"}
    )
    assert response.status_code == 302 and response.url.endswith("?done=data_request")
    request = PersonalDataRequest.objects.get(household=world.house_a)
    assert request.received_via == "statement" and request.recorded_by is None
    assert request.due_on == TODAY + datetime.timedelta(days=15)
    assert Notification.objects.filter(recipient=world.manager, kind="approval").count() == 1
    assert StatementEvent.objects.filter(link=link, kind="data_request").count() == 1
    assert "within 15 days" in en.get(response.url).text


def test_a_correction_names_the_new_phone_and_goes_to_the_owner_on_record(en, world, link):
    response = en.post(
        url("statement-personal-data", link), {"kind": "correct", "phone": "13700001111"}
    )
    assert response.status_code == 302
    request = PersonalDataRequest.objects.get(household=world.house_a)
    assert request.corrections == {"phone": "13700001111"}
    assert request.owner.household_id == world.house_a.pk
    empty = en.post(url("statement-personal-data", link), {"kind": "correct"})
    assert empty.status_code == 400 and "Enter the name or phone number" in empty.text


def test_a_deletion_request_twice_in_a_minute_is_one(client, world, link):
    client.post(url("statement-personal-data", link), {"kind": "delete"})
    client.post(url("statement-personal-data", link), {"kind": "delete"})
    assert PersonalDataRequest.objects.filter(kind="delete").count() == 1


def test_the_office_manager_sees_a_statement_request_with_no_staff_name(client, world, link):
    client.post(url("statement-personal-data", link), {"kind": "access"})
    request = PersonalDataRequest.objects.get()
    client.force_login(world.manager)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("data-request-detail", args=[request.pk]))
    assert page.status_code == 200 and "C6-101" in page.text
