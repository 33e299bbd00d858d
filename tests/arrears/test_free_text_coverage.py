"""The scanner reads the free text of payments, reversals and written-only requests too.

Issue 11 item 8: every free text a person writes is scanned; a mention is saved with its
phrases and the office manager is told. These texts were left out by the first pass.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from arrears.models import Notification
from arrears.payments import payment_reverse
from households.contact import household_set_written_only, household_withdraw_written_only
from tests.conftest import (
    PNG,
    record_payment,
)


def flag_notes(user):
    return list(
        Notification.objects.filter(recipient=user, kind=Notification.Kind.FLAG).values_list(
            "title", "body"
        )
    )


def test_a_payment_note_naming_a_method_is_saved_flagged_and_the_manager_told(world):
    payment = record_payment(
        world.house_a, "100.00", world.collector_a, note="业主说再催就停水，先交一个月"
    )
    assert payment.flagged_terms == ["停水"]
    ((title, body),) = flag_notes(world.manager)
    assert "C6-101" in title and "停水" in body
    assert flag_notes(world.other_manager) == []


def test_a_plain_payment_note_is_not_flagged_and_nobody_is_told(world):
    payment = record_payment(world.house_a, "100.00", world.collector_a, note="微信转账，已核对")
    assert payment.flagged_terms == []
    assert flag_notes(world.manager) == []


def test_an_import_tells_the_managers_itself_so_a_row_is_flagged_without_a_notice(world):
    payment = record_payment(
        world.house_a, "100.00", world.collector_a, note="到其单位找领导", notify_flags=False
    )
    assert payment.flagged_terms and flag_notes(world.manager) == []


def test_a_reversal_reason_naming_a_method_is_flagged(world):
    payment = record_payment(world.house_a, "100.00", world.collector_a)
    reversal = payment_reverse(payment=payment, by=world.manager, reason="录错户；该户应拉横幅公示")
    assert "横幅" in "".join(reversal.flagged_terms)
    assert len(flag_notes(world.manager)) == 1


def test_the_breaches_page_lists_a_flagged_payment_note_for_its_office_only(client, world):
    record_payment(world.house_a, "100.00", world.collector_a, note="不交就断水断电")
    client.force_login(world.manager)
    with translation.override("en"):
        page = client.get(reverse("breach-list")).content.decode()
    texts = page.split('data-testid="flagged-texts"')[1]
    assert "不交就断水断电" in texts and 'data-rule="utility_cutoff"' in texts
    client.force_login(world.other_manager)
    assert "不交就断水断电" not in client.get(reverse("breach-list")).content.decode()


def test_a_written_only_reason_naming_a_method_tells_the_manager(world):
    household_set_written_only(
        household=world.house_a,
        since=timezone.localdate(),
        reason="业主说收费员半夜打电话骚扰",
        by=world.collector_a,
    )
    ((title, body),) = flag_notes(world.manager)
    assert "C6-101" in title and "骚扰" in body


def test_a_withdrawal_note_is_scanned_too(world):
    household_set_written_only(
        household=world.house_a,
        since=timezone.localdate() - datetime.timedelta(days=3),
        reason="业主要求书面联系",
        by=world.collector_a,
    )
    household_withdraw_written_only(
        household=world.house_a,
        withdrawn_on=timezone.localdate(),
        evidence=SimpleUploadedFile("w.png", PNG, content_type="image/png"),
        note="业主同意电话联系；另：曾被威胁",
        by=world.manager,
    )
    flagged = [body for title, body in flag_notes(world.manager) if "威胁" in body]
    assert len(flagged) == 1
