"""The escalation road through the web pages, end to end: a demand is issued, sent by EMS and
delivered; the legal stage is refused until its deadline has passed; a judgment for less than
is owed proposes a waiver that moves the ledger only when the manager approves it."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from arrears.cases import case_balance
from arrears.models import Case, DebtorCategory
from escalation.limitation_records import unpaid_clocks
from escalation.models import LegalAction, Letter, Waiver
from households.models import ContactAttempt, Outcome
from tests.conftest import PNG, make_case, make_household, set_campaign_months


@pytest.fixture
def recent_case(world):
    house = make_household(
        world.office, "R2-301", first=datetime.date(2024, 1, 1), last=datetime.date(2024, 12, 1)
    )
    set_campaign_months(world.campaign, arrears_through=datetime.date(2026, 10, 1))
    return make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.REFUSAL,
    )


def _scan():
    return SimpleUploadedFile("ems.png", PNG, content_type="image/png")


def test_demand_delivery_then_legal_stage_then_judgment_waiver(client, world, recent_case):
    case = recent_case
    client.force_login(world.manager)
    limit_before = unpaid_clocks([case.household_id])[case.household_id][0].clock.limit
    assert limit_before == datetime.date(2027, 1, 1)

    response = client.post(
        reverse("letter-issue", args=[case.pk, "demand"]), {"deadline_days": "20"}
    )
    letter = Letter.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == reverse(
        "letter-detail", args=[letter.pk]
    )
    assert letter.reference.startswith("NORTH-") and letter.total == Decimal("1200.00")
    assert letter.deadline == timezone.localdate() + datetime.timedelta(days=20)

    # EMS without a tracking number is refused, with what to do.
    page = client.post(
        reverse("letter-record", args=[letter.pk, "dispatch"]),
        {"method": "ems", "sent_on": timezone.localdate().isoformat()},
    )
    assert page.status_code == 400
    assert page.context["dispatch_form"].errors["tracking_number"] == [
        "请填写邮局回执上的单号：这是凭证。"
    ]
    client.post(
        reverse("letter-record", args=[letter.pk, "dispatch"]),
        {"method": "ems", "sent_on": timezone.localdate().isoformat(), "tracking_number": "EA123"},
    )
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SENT
    # Sent is not delivered: the limitation has not moved.
    assert unpaid_clocks([case.household_id])[case.household_id][0].clock.limit == limit_before

    client.post(
        reverse("letter-record", args=[letter.pk, "delivery"]),
        {
            "delivered_on": timezone.localdate().isoformat(),
            "proof": "tracking",
            "proof_detail": "EMS 妥投 本人签收",
            "evidence": _scan(),
        },
    )
    letter.refresh_from_db()
    assert letter.status == Letter.Status.DELIVERED
    attempt = letter.outcome_attempt
    assert attempt.outcome == Outcome.DELIVERED and attempt.evidence.count() == 1
    today = timezone.localdate()
    clocks = unpaid_clocks([case.household_id])[case.household_id]
    assert {c.clock.limit for c in clocks} == {today.replace(year=today.year + 3)}

    # The deadline has not passed: refused, with the day it opens.
    response = client.post(reverse("legal-open", args=[case.pk]), {"route": "payment_order"})
    assert response.status_code == 302
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    opens = (today + datetime.timedelta(days=21)).isoformat()
    assert opens in page and not LegalAction.objects.exists()

    with time_machine.travel(timezone.now() + datetime.timedelta(days=21)):
        client.force_login(world.manager)
        page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
        assert 'data-testid="legal-open-form"' in page
        # No arbitration clause in this office: arbitration is refused.
        client.post(reverse("legal-open", args=[case.pk]), {"route": "arbitration"})
        assert not LegalAction.objects.exists()
        client.post(reverse("legal-open", args=[case.pk]), {"route": "payment_order"})
        action = LegalAction.objects.get()
        assert action.suggested_route == "payment_order" and action.claimed == Decimal("1200.00")
        case.refresh_from_db()
        assert case.status == Case.Status.LEGAL
        client.post(
            reverse("legal-step", args=[action.pk]),
            {
                "stage": "filed",
                "on": timezone.localdate().isoformat(),
                "institution": "北苑区人民法院",
            },
        )
        client.post(
            reverse("legal-step", args=[action.pk]),
            {
                "stage": "decided",
                "on": timezone.localdate().isoformat(),
                "awarded": "1000.00",
                "court_fees": "50",
            },
        )
        waiver = Waiver.objects.get()
        assert waiver.amount == Decimal("200.00") and waiver.status == Waiver.Status.PENDING
        assert case_balance(case)[0] == Decimal("1200.00")  # nothing moves before approval

        client.force_login(world.leader_a)
        assert client.post(
            reverse("waiver-decide", args=[waiver.pk]), {"decision": "approve"}
        ).status_code in (302, 403)
        waiver.refresh_from_db()
        assert waiver.status == Waiver.Status.PENDING

        client.force_login(world.manager)
        client.post(reverse("waiver-decide", args=[waiver.pk]), {"decision": "approve"})
        waiver.refresh_from_db()
        assert waiver.status == Waiver.Status.APPROVED
        due, paid, _n = case_balance(case)
        assert due - paid == Decimal("1000.00")
        # The oldest months go first.
        assert [a.period.month for a in waiver.allocations.order_by("period__month")] == [
            datetime.date(2024, 1, 1),
            datetime.date(2024, 2, 1),
        ]


def test_a_batch_from_the_case_list(client, world, recent_case):
    client.force_login(world.manager)
    page = client.get(reverse("case-list")).content.decode()
    assert 'name="case"' in page and 'data-testid="letter-batch"' in page
    response = client.post(
        reverse("letter-batch"),
        {
            "case": [recent_case.pk, world.case_a.pk, world.other_case.pk],
            "kind": "notice",
            "deadline_days": "15",
        },
    )
    assert response.status_code == 302
    letters = Letter.objects.order_by("case__household__unit_code")
    # The other office's case is out of scope and silently not written to.
    assert [x.case_id for x in letters] == [world.case_a.pk, recent_case.pk]
    docx = client.get(response["Location"] + "&format=docx")
    assert docx["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert text.count("催缴通知书") == 2 and "R2-301" in text and "C6-101" in text


def test_collectors_get_no_batch(client, world):
    client.force_login(world.collector_a)
    assert 'data-testid="letter-batch"' not in client.get(reverse("case-list")).content.decode()
    assert client.post(reverse("letter-batch"), {"case": [world.case_a.pk]}).status_code == 403


def test_a_payment_plan_restarts_the_clock_and_is_followed(client, world, recent_case):
    client.force_login(world.collector_a)
    today = timezone.localdate()
    response = client.post(
        reverse("plan-new", args=[recent_case.pk]),
        {
            "agreed_on": today.isoformat(),
            "instalments": f"{today.isoformat()} 400\n{(today + datetime.timedelta(days=30)).isoformat()} 400",
        },
    )
    assert response.status_code == 302
    clocks = unpaid_clocks([recent_case.household_id])[recent_case.household_id]
    assert {c.clock.limit for c in clocks} == {today.replace(year=today.year + 3)}
    page = client.get(reverse("case-detail", args=[recent_case.pk])).content.decode()
    assert 'data-plan-state="running"' in page
    assert ContactAttempt.objects.filter(case=recent_case).count() == 0
