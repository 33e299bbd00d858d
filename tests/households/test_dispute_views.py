"""Recording a dispute from the case page, and the case page showing it first (issue 17.2)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from arrears.models import DebtPeriod, Notification
from households.models import Dispute
from tests.conftest import PNG

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOON, tick=False):
        yield


def english(client):
    client.cookies["django_language"] = "en"


def periods(house, n=None):
    qs = DebtPeriod.objects.filter(household=house).order_by("month")
    return list(qs if n is None else qs[:n])


def post(client, world, case=None, **data):
    fields = {
        "kind": "months",
        "months": [p.pk for p in periods(world.house_a)],
        "words": "漏水三年没人修，这些月不交",
        "source": "visit",
    }
    fields.update(data)
    return client.post(reverse("dispute-new", args=[(case or world.case_a).pk]), fields)


def test_a_collector_records_a_dispute_and_the_case_shows_it_first(client, world):
    client.force_login(world.collector_a)
    english(client)
    form = client.get(reverse("dispute-new", args=[world.case_a.pk]))
    assert form.status_code == 200 and 'data-testid="dispute-form"' in form.text
    response = post(client, world)
    assert response.status_code == 302
    dispute = Dispute.objects.get(household=world.house_a)
    assert dispute.recorded_by == world.collector_a and dispute.months.count() == 17
    assert Notification.objects.filter(recipient=world.manager, kind="dispute").count() == 1
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    assert page.index('data-testid="disputes"') < page.index('data-testid="timeline"')
    assert "漏水三年没人修" in page
    assert "Under dispute since 2026-11-25 12:00, until the written answer is delivered" in page
    assert 'data-state="disputed"' in page  # the "contact allowed now?" banner


def test_the_case_page_in_chinese(client, world):
    client.force_login(world.collector_a)
    post(client, world)
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    assert 'data-testid="disputes"' in page and "Under dispute" not in page


def test_a_service_dispute_with_a_file(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.collector_a)
    response = post(
        client,
        world,
        kind="service",
        months=[],
        cause="leak_unrepaired",
        evidence=SimpleUploadedFile("leak.png", PNG, content_type="image/png"),
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.cause == "leak_unrepaired" and dispute.content_type == "image/png"
    assert dispute.file.name.startswith(f"disputes/{world.office.pk}/")
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    assert 'data-testid="work-order"' in page


def test_months_of_another_household_posted_raw_are_refused(client, world):
    client.force_login(world.collector_a)
    english(client)
    response = post(client, world, months=[periods(world.other_house, 1)[0].pk])
    assert response.status_code == 200
    assert "Choose months from this household&#x27;s unpaid ledger only." in response.text
    assert not Dispute.objects.exists()


def test_every_error_says_what_to_do(client, world):
    client.force_login(world.collector_a)
    english(client)
    response = post(client, world, words="", kind="service", months=[], cause="")
    assert response.status_code == 200
    assert "Write down what the owner said, in their words." in response.text
    assert not Dispute.objects.exists()
    response = post(client, world, kind="amount", months=[])
    assert "Enter the amount the owner says was paid" in response.text
    response = post(client, world, source="statement")
    assert "Choose where the dispute came from." in response.text


def test_another_offices_case_is_404_and_nothing_is_recorded(client, world):
    client.force_login(world.other_collector)
    assert client.get(reverse("dispute-new", args=[world.case_a.pk])).status_code == 404
    assert post(client, world).status_code == 404
    client.force_login(world.collector_a)
    response = post(
        client, world, case=world.other_case, months=[periods(world.other_house, 1)[0].pk]
    )
    assert response.status_code == 404
    assert not Dispute.objects.exists()
    assert not Notification.objects.filter(kind="dispute").exists()


def test_the_manager_is_told_in_their_language(client, world):
    client.force_login(world.collector_a)
    post(client, world)
    client.force_login(world.manager)
    english(client)
    inbox = client.get(reverse("inbox")).text
    assert "Dispute on C6-101" in inbox
    client.cookies["django_language"] = "zh-hans"
    inbox = client.get(reverse("inbox")).text
    assert "C6-101 提出异议" in inbox


def test_the_timeline_keeps_the_dispute_and_its_steps(client, world):
    from households import disputes

    client.force_login(world.collector_a)
    english(client)
    post(client, world)
    dispute = Dispute.objects.get()
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager, note="书面答复已签收")
    page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    timeline = page[page.index('data-testid="timeline"') :]
    assert "Dispute recorded: some months" in timeline
    assert "written answer delivered" in timeline and "书面答复已签收" in timeline
    # Answered: contact about the months is allowed again, the dispute awaits its resolution.
    assert 'data-state="disputed"' not in page
    assert 'data-state="answered"' in page
