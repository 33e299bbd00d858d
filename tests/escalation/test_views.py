"""What the escalation pages do with odd input: a typed-in URL is answered, never a 500.
(The road through the pages end to end is in test_flow.py.)"""

import pytest
from django.urls import reverse

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


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


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
