"""What the escalation pages do with odd input: a typed-in URL is answered, never a 500.
(The road through the pages end to end is in test_flow.py.)"""

import pytest
from django.urls import reverse

from tests.conftest import PNG

pytestmark = pytest.mark.usefixtures("frozen")


def test_a_preview_with_fewer_than_15_days_gives_15(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "3"})
    assert response.status_code == 200 and response.context["days"] == 15


def test_a_preview_with_days_that_are_not_a_number_gives_15(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "x"})
    assert response.status_code == 200 and response.context["days"] == 15


def test_a_preview_with_an_absurd_number_of_days_is_answered(client, world):
    client.force_login(world.manager)
    response = client.get(
        reverse("case-letter", args=[world.case_a.pk, "demand"]), {"days": "999999999"}
    )
    assert response.status_code in (200, 400)


def test_a_letter_list_with_an_id_that_is_not_a_number_is_answered(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("letter-list"), {"id": "²"}).status_code in (200, 400)


def _plan_post(client, case, signed_copy):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    return client.post(
        reverse("plan-new", args=[case.pk]),
        {"agreed_on": today, "instalments": f"{today} 100", "signed_copy": signed_copy},
    )


def test_a_signed_plan_that_is_not_a_scan_is_refused_with_what_to_attach(client, world, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.collector_a)
    response = _plan_post(client, world.case_a, SimpleUploadedFile("plan.exe", b"MZ\x90\x00"))
    assert response.status_code == 400
    assert "PDF" in response.context["form"].errors["signed_copy"][0]
    assert not world.case_a.payment_plans.exists()


def test_the_signed_plan_is_served_only_within_the_case_scope(client, world, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.collector_a)
    assert _plan_post(client, world.case_a, SimpleUploadedFile("plan.png", PNG)).status_code == 302
    plan = world.case_a.payment_plans.get()
    url = reverse("plan-copy", args=[plan.pk])
    client.force_login(world.manager)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    for outsider in (world.other_manager, world.collector_b, world.site):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_a_case_that_owes_nothing_offers_no_letter_to_issue(client, world):
    from tests.conftest import record_payment

    record_payment(world.house_a, "1700.00", world.collector_a)
    client.force_login(world.manager)
    page = client.get(reverse("case-letter", args=[world.case_a.pk, "demand"])).content.decode()
    assert 'data-testid="nothing-owed"' in page and 'data-testid="issue-letter"' not in page


# --- the ladder's legal rung comes from the legal stage alone ---------------------------------


def _rungs(client, case):
    import re

    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    ladder = page[page.index('data-testid="ladder"') : page.index('data-testid="letters"')]
    reached = set(re.findall(r'text-bg-(?:primary|secondary)" data-rung="(\w+)"', ladder))
    current = re.findall(r'data-rung="(\w+)" data-current="1"', ladder)
    return reached, current


@pytest.mark.parametrize("channel", ["lawsuit", "payment_order", "arbitration"])
def test_a_filing_logged_on_the_contact_form_does_not_reach_the_legal_rung(client, world, channel):
    """The log form no longer takes filings (issue 16: they are recorded in the legal stage);
    one logged before, as a contact attempt, still reaches no legal rung."""
    from django.utils import timezone

    from households.contact import attempt_log
    from households.models import ContactAttempt

    client.force_login(world.collector_a)
    response = client.post(
        reverse("attempt-new", args=[world.case_a.pk]),
        {
            "channel": channel,
            "person_contacted": "owner",
            "outcome": "sent",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200 and "channel" in response.context["form"].errors
    assert not ContactAttempt.objects.exists()
    attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=timezone.now(),
        channel=channel,
        person_contacted="owner",
        outcome="sent",
    )
    reached, current = _rungs(client, world.case_a)
    assert "legal" not in reached and current != ["legal"]


def test_a_filed_legal_action_keeps_the_legal_rung_once_it_is_closed(client, world, media):
    import datetime

    from escalation.letter_records import letter_issue, letter_record_delivery
    from escalation.proceedings import legal_open, legal_record_step
    from tests.escalation.conftest import TODAY, scan

    dated = TODAY - datetime.timedelta(days=20)
    letter = letter_issue(case=world.case_a, kind="demand", by=world.manager, dated=dated)
    letter_record_delivery(
        letter=letter,
        by=world.manager,
        delivered_on=dated,
        proof="signature",
        proof_detail="业主签收",
        scans=[scan()],
        method="in_person",
    )
    action = legal_open(case=world.case_a, by=world.manager, route="lawsuit")
    client.force_login(world.manager)
    assert _rungs(client, world.case_a)[1] == ["legal"]  # open, not yet filed
    legal_record_step(
        action=action, by=world.manager, stage="filed", on=TODAY, institution="北苑法院"
    )
    legal_record_step(action=action, by=world.manager, stage="closed", on=TODAY)
    reached, current = _rungs(client, world.case_a)
    assert "legal" in reached and current == ["legal"]
