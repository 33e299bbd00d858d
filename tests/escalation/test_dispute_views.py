"""The dispute page (issue 17.2): what it shows, who may do what on it, raw POSTs."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from arrears.models import DebtPeriod
from escalation.models import Letter, Waiver
from households import disputes
from households.models import Dispute, DisputeEvent
from tests.escalation.conftest import days, scan

pytestmark = pytest.mark.usefixtures("frozen", "media")


def english(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"


def record(world, **kw):
    fields = {
        "case": world.case_a,
        "kind": "months",
        "months": list(DebtPeriod.objects.filter(household=world.house_a).order_by("month")[:2]),
        "words": "头两个月我交过了",
        "source": "call",
        "by": world.collector_a,
    }
    fields.update(kw)
    return disputes.dispute_record(**fields)


def page(client, dispute):
    return client.get(reverse("dispute-detail", args=[dispute.pk]))


def step(client, dispute, name, **data):
    return client.post(reverse("dispute-step", args=[dispute.pk, name]), data)


def test_the_page_shows_what_is_disputed_the_words_the_months_and_the_history(client, world):
    dispute = record(world)
    english(client, world.collector_a)
    text = page(client, dispute).text
    assert "头两个月我交过了" in text
    assert "2014-01 — 2014-02 (2 months)" in text
    assert 'data-state="open"' in text
    assert 'data-testid="answer-form"' in text  # the collector may issue the answer
    assert 'data-testid="resolve-form"' not in text
    # The case page and its timeline link to it.
    case_page = client.get(reverse("case-detail", args=[world.case_a.pk])).text
    assert case_page.count(reverse("dispute-detail", args=[dispute.pk])) >= 2


def test_another_offices_manager_and_another_team_get_404(client, world):
    dispute = record(world)
    for user in (world.other_manager, world.collector_b, world.other_collector):
        client.force_login(user)
        assert page(client, dispute).status_code == 404
        assert step(client, dispute, "answer", found="x", proposed="y").status_code in (403, 404)
        assert client.get(reverse("dispute-file", args=[dispute.pk])).status_code == 404
    assert not Letter.objects.exists()


def test_a_collector_cannot_resolve_even_by_a_raw_post(client, world):
    dispute = record(world)
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager)
    client.force_login(world.collector_a)
    response = step(client, dispute, "resolve", outcome="upheld", note="收据属实")
    assert response.status_code == 403
    assert not Waiver.objects.exists()
    assert disputes.status(dispute) == disputes.ANSWERED


def test_another_offices_manager_cannot_resolve(client, world):
    dispute = record(world)
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager)
    client.force_login(world.other_manager)
    assert step(client, dispute, "resolve", outcome="rejected", note="x").status_code == 404
    assert not DisputeEvent.objects.filter(kind="rejected").exists()


def test_a_rejection_without_a_reason_is_refused_with_what_to_do(client, world):
    dispute = record(world)
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager)
    english(client, world.manager)
    response = step(client, dispute, "resolve", outcome="rejected", note="")
    assert response.status_code == 400
    assert "Give the reason the dispute was rejected." in response.text
    assert disputes.status(dispute) == disputes.ANSWERED


def test_a_resolution_posted_before_the_answer_is_refused(client, world):
    dispute = record(world)
    english(client, world.manager)
    response = step(client, dispute, "resolve", outcome="settled", note="已协商")
    assert response.status_code == 400
    assert "Deliver the written answer first" in response.text
    assert disputes.status(dispute) == disputes.OPEN


def test_the_staff_flow_answer_deliver_uphold_approve(client, world):
    dispute = record(world)
    english(client, world.manager)
    response = step(client, dispute, "answer", found="收据属实。", proposed="两个月予以核销。")
    letter = Letter.objects.get(dispute=dispute)
    assert response.status_code == 302 and response["Location"] == reverse(
        "letter-detail", args=[letter.pk]
    )
    # A second answer while the first awaits delivery is not offered, and refused if posted.
    assert 'data-testid="answer-form"' not in page(client, dispute).text
    again = step(client, dispute, "answer", found="x", proposed="y")
    assert again.status_code == 400 and Letter.objects.filter(dispute=dispute).count() == 1
    delivered = client.post(
        reverse("letter-record", args=[letter.pk, "delivery"]),
        {
            "method": "in_person",
            "delivered_on": timezone.localdate().isoformat(),
            "proof": "signature",
            "proof_detail": "张静 本人签收",
            "evidence": scan(),
        },
    )
    assert delivered.status_code == 302
    assert disputes.status(dispute) == disputes.ANSWERED
    text = page(client, dispute).text
    assert 'data-testid="resolve-form"' in text and 'data-testid="answered-at"' in text
    upheld = step(client, dispute, "resolve", outcome="upheld", note="收据属实", amount="")
    assert upheld.status_code == 302
    waiver = Waiver.objects.get(dispute=dispute)
    assert waiver.amount == Decimal("200.00") and waiver.status == Waiver.Status.PENDING
    assert 'data-testid="waiver-decide-form"' in page(client, dispute).text
    decided = client.post(
        reverse("waiver-decide", args=[waiver.pk]), {"decision": "approve", "note": "同意"}
    )
    assert decided["Location"] == reverse("dispute-detail", args=[dispute.pk])
    assert Waiver.objects.get(pk=waiver.pk).status == Waiver.Status.APPROVED
    assert 'data-status="approved"' in page(client, dispute).text


def test_a_waiver_larger_than_the_balance_posted_is_refused(client, world):
    dispute = record(world)
    disputes.dispute_answer_delivered(dispute=dispute, by=world.manager)
    english(client, world.manager)
    response = step(client, dispute, "resolve", outcome="upheld", note="属实", amount="99999")
    assert response.status_code == 400
    assert "is more than the case still owes" in response.text
    assert not Waiver.objects.exists()


def test_the_receipt_check_is_a_to_do_for_an_amount_dispute(client, world):
    dispute = record(world, kind="amount", months=[], amount=Decimal("300.00"))
    english(client, world.manager)
    assert 'data-testid="receipt-todo"' in page(client, dispute).text
    response = step(
        client, dispute, "receipt", found="yes", receipt_number="R-7", receipt_date="2015-03-02"
    )
    assert response.status_code == 302
    text = page(client, dispute).text
    assert 'data-testid="receipt-todo"' not in text
    assert 'data-kind="receipt_found"' in text and "R-7" in text
    # Not the future, and only with a receipt.
    bad = step(client, dispute, "receipt", found="no")
    assert bad.status_code == 400 and "Enter the receipt number or its date" in bad.text


def test_the_work_order_shows_overdue_and_done_is_a_new_step(client, world, frozen):
    dispute = record(world, kind="service", months=[], cause="cleaning")
    english(client, world.collector_a)
    assert 'data-overdue="no"' in page(client, dispute).text
    frozen.shift(days(8))
    text = page(client, dispute).text
    assert 'data-overdue="yes"' in text and "cleaning" in text
    assert step(client, dispute, "done", note="保洁已整改").status_code == 302
    text = page(client, dispute).text
    assert 'data-overdue="no"' in text and "reported fixed" in text
    assert step(client, dispute, "done", note="again").status_code == 400
    assert DisputeEvent.objects.filter(kind="work_done").count() == 1


def test_the_file_is_a_download_with_a_safe_name_never_inline_html(client, world):
    """Services store only checked files (households.evidence); the download is safe even
    for a file that got past them (stored before the check, or put there by hand)."""
    upload = SimpleUploadedFile(
        '../../evil"name<script>.html', b"<script>alert(1)</script>", content_type="text/html"
    )
    with pytest.raises(ValidationError):
        record(world, file=upload)
    dispute = Dispute.objects.create(
        household=world.house_a,
        case=world.case_a,
        kind="service",
        cause="security",
        words="门禁坏了",
        source="call",
        recorded_by=world.collector_a,
        file=upload,
        original_name=upload.name,
        content_type="text/html",
    )
    client.force_login(world.collector_a)
    response = client.get(reverse("dispute-file", args=[dispute.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert (
        "/" not in disposition and "<" not in disposition and "evilnamescript.html" in disposition
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)


def test_a_dispute_without_a_file_has_no_download(client, world):
    dispute = record(world)
    client.force_login(world.manager)
    assert client.get(reverse("dispute-file", args=[dispute.pk])).status_code == 404


def test_an_unknown_step_is_404(client, world):
    dispute = record(world)
    client.force_login(world.manager)
    assert step(client, dispute, "edit").status_code == 404


def test_the_page_makes_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    dispute = record(world, kind="amount", months=[], amount=Decimal("300.00"))
    for n in range(5):
        disputes.dispute_receipt_check(
            dispute=dispute,
            by=world.manager,
            found=False,
            receipt_number=f"R-{n}",
            receipt_date=datetime.date(2015, 3, 2),
        )
    client.force_login(world.manager)
    with django_assert_max_num_queries(30):
        assert page(client, dispute).status_code == 200
