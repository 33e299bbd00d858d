"""An owner's written-only request is withdrawn only by the owner, in writing (issue 11.2).

Collectors and leaders record the request; only the office manager (or an administrator)
lifts it, with the owner's dated, signed withdrawal attached as a scan or photo. The
withdrawal is on the case timeline and in the office managers' inbox; until then every call,
message and visit is a breach, and contact backdated into the request stays one.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from arrears.models import Notification
from desk.timeline import case_timeline
from households.contact import (
    attempt_log,
    household_set_written_only,
    household_withdraw_written_only,
    may_withdraw_written_only,
)
from households.models import Household, WrittenOnlyWithdrawal
from tests.conftest import PNG

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)  # a Wednesday
TODAY = NOON.date()
ASKED_ON = datetime.date(2026, 11, 10)

PDF = b"%PDF-1.4\n%\xe2\xe3\n"


@pytest.fixture(autouse=True)
def frozen_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def written_only(world):
    """house_a's owner asked collector_a for written contact only on 10 November."""
    household_set_written_only(
        household=world.house_a, since=ASKED_ON, reason="业主要求只书面联系", by=world.collector_a
    )
    world.house_a.refresh_from_db()
    return world.house_a


def scan(name="withdrawal.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


def withdraw(world, by=None, **kw):
    kw.setdefault("withdrawn_on", TODAY)
    kw.setdefault("evidence", scan())
    return household_withdraw_written_only(household=world.house_a, by=by or world.manager, **kw)


def call(world, at=NOON, by=None):
    return attempt_log(
        case=world.case_a,
        by=by or world.collector_a,
        occurred_at=at,
        channel="phone_call",
        person_contacted="owner",
        outcome="no_answer",
    )


def withdraw_url(world):
    return reverse("written-only-withdraw", args=[world.case_a.pk])


def page_post(world):
    return {"withdrawn_on": TODAY.isoformat(), "evidence": scan(), "note": "业主来函撤回"}


# --- Who may lift it ------------------------------------------------------------------------


def test_only_the_offices_manager_or_an_administrator_may_withdraw(world):
    house = world.house_a
    assert may_withdraw_written_only(world.manager, house)
    assert may_withdraw_written_only(world.admin, house)
    for role in ("collector_a", "leader_a", "collector_b", "ops", "director", "site"):
        assert not may_withdraw_written_only(world.roles[role], house), role
    assert not may_withdraw_written_only(world.other_manager, house)


def test_the_service_refuses_a_collector_and_changes_nothing(world, written_only):
    with pytest.raises(PermissionDenied) as caught:
        withdraw(world, by=world.collector_a)
    assert "office manager" in str(caught.value)
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only
    assert not WrittenOnlyWithdrawal.objects.exists()


def test_the_service_refuses_another_offices_manager(world, written_only):
    with pytest.raises(PermissionDenied):
        withdraw(world, by=world.other_manager)
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only


# --- What the withdrawal needs ----------------------------------------------------------------


def test_a_withdrawal_without_a_scan_is_refused_saying_what_to_attach(world, written_only):
    with pytest.raises(ValidationError) as caught:
        withdraw(world, evidence=None)
    assert "scan or photo" in " ".join(caught.value.message_dict["evidence"])
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_whatever_its_name(world, written_only):
    fake = SimpleUploadedFile("letter.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        withdraw(world, evidence=fake)
    assert "not a photo or a PDF" in " ".join(caught.value.message_dict["evidence"])
    assert not WrittenOnlyWithdrawal.objects.exists()


def test_a_withdrawal_dated_in_the_future_is_refused(world, written_only):
    with pytest.raises(ValidationError) as caught:
        withdraw(world, withdrawn_on=TODAY + datetime.timedelta(days=1))
    assert "withdrawn_on" in caught.value.message_dict


def test_a_withdrawal_dated_before_the_request_is_refused(world, written_only):
    with pytest.raises(ValidationError) as caught:
        withdraw(world, withdrawn_on=ASKED_ON - datetime.timedelta(days=1))
    assert "2026-11-10" in " ".join(caught.value.message_dict["withdrawn_on"])


def test_a_withdrawal_on_the_day_of_the_request_is_accepted(world, written_only):
    withdraw(world, withdrawn_on=ASKED_ON, evidence=scan("letter.pdf", PDF))
    assert WrittenOnlyWithdrawal.objects.get().content_type == "application/pdf"


def test_there_is_nothing_to_withdraw_without_a_request(world):
    with pytest.raises(ValidationError) as caught:
        withdraw(world)
    assert "no written-only request" in str(caught.value)


# --- What it does --------------------------------------------------------------------------


def test_the_withdrawal_is_kept_lifts_the_request_and_tells_the_managers(world, written_only):
    withdrawal = withdraw(world, note="业主来函撤回")
    house = Household.objects.get(pk=world.house_a.pk)
    assert not house.written_contact_only
    assert (withdrawal.request_since, withdrawal.request_reason) == (ASKED_ON, "业主要求只书面联系")
    assert (withdrawal.withdrawn_on, withdrawal.recorded_by) == (TODAY, world.manager)
    assert withdrawal.file.read().startswith(b"\x89PNG")
    latest = house.history.first()
    assert latest.history_user == world.manager
    assert "withdrawn in writing" in latest.history_change_reason
    notice = Notification.objects.get(recipient=world.manager)
    assert "C6-101" in notice.shown_title and "withdrew" in notice.shown_title
    assert "2026-11-25" in notice.shown_body
    assert notice.url == reverse("case-detail", args=[world.case_a.pk])
    assert not Notification.objects.filter(recipient=world.other_manager).exists()
    assert not Notification.objects.filter(recipient=world.collector_a).exists()


def test_until_withdrawn_every_call_is_a_breach_and_after_it_none_is(world, written_only):
    assert call(world, at=NOON - datetime.timedelta(hours=2)).breaches == ["written_only"]
    withdraw(world)
    assert call(world).breaches == []


def test_a_call_backdated_into_the_withdrawn_request_is_still_a_breach(world, written_only):
    withdraw(world, withdrawn_on=datetime.date(2026, 11, 20))
    inside = datetime.datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI)
    on_the_day = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    before = datetime.datetime(2026, 11, 9, 10, 0, tzinfo=SHANGHAI)
    assert "written_only" in call(world, at=inside).breaches
    assert "written_only" not in call(world, at=on_the_day).breaches
    assert "written_only" not in call(world, at=before).breaches


def test_an_attachment_is_append_only(world, written_only):
    withdrawal = withdraw(world)
    with pytest.raises(Exception, match="append-only"):
        withdrawal.save()


def test_the_request_can_be_recorded_again_after_a_withdrawal(world, written_only):
    withdraw(world)
    later = TODAY
    household_set_written_only(
        household=world.house_a, since=later, reason="又要求书面联系", by=world.collector_a
    )
    house = Household.objects.get(pk=world.house_a.pk)
    assert (house.written_contact_only, house.written_only_since) == (True, later)
    assert call(world).breaches == ["written_only"]


def test_recording_the_request_again_while_it_stands_is_refused(world, written_only):
    with pytest.raises(ValidationError) as caught:
        household_set_written_only(
            household=world.house_a, since=TODAY, reason="换个日期", by=world.collector_a
        )
    assert "already recorded" in " ".join(caught.value.message_dict["since"])
    assert Household.objects.get(pk=world.house_a.pk).written_only_since == ASKED_ON


# --- The timeline --------------------------------------------------------------------------


def test_the_request_and_the_withdrawal_are_on_the_case_timeline(world, written_only):
    withdraw(world, note="业主来函撤回")
    entries = {e.kind: e for e in case_timeline(world.case_a)}
    asked = entries["written_only"]
    assert "2026-11-10" in asked.title and asked.detail == "业主要求只书面联系"
    assert asked.actor == "李收费"
    withdrawn = entries["written_only_withdrawn"]
    assert "2026-11-25" in withdrawn.title and withdrawn.detail == "业主来函撤回"
    assert withdrawn.actor == "北苑经理"
    ((url, name),) = withdrawn.evidence
    assert name == "withdrawal.png"
    assert "written_only_lifted" not in entries


def test_a_request_lifted_without_a_written_withdrawal_is_flagged_on_the_timeline(
    world, written_only
):
    # How the old one-click "clear" left it: the flag off, no letter on record.
    house = Household.objects.get(pk=world.house_a.pk)
    house.written_contact_only = False
    house._history_user = world.collector_a
    house.save()
    lifted = [e for e in case_timeline(world.case_a) if e.kind == "written_only_lifted"]
    assert len(lifted) == 1
    assert lifted[0].flags and lifted[0].actor == "李收费"


# --- Through the pages ----------------------------------------------------------------------


def test_a_collectors_raw_post_to_withdraw_gets_403_with_the_reason(client, world, written_only):
    client.force_login(world.collector_a)
    response = client.post(withdraw_url(world), page_post(world))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Only the office manager" in page and "Civil Code art. 1033" in page
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only
    assert not WrittenOnlyWithdrawal.objects.exists()
    assert not Notification.objects.exists()


def test_the_old_one_click_clear_is_refused_to_a_collector(client, world, written_only):
    client.force_login(world.collector_a)
    response = client.post(reverse("written-only", args=[world.case_a.pk]), {"clear": "1"})
    assert response.status_code == 403
    assert "Only the office manager" in response.content.decode()
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only


def test_the_old_one_click_clear_sends_a_manager_to_the_withdrawal_form(
    client, world, written_only
):
    client.force_login(world.manager)
    response = client.post(reverse("written-only", args=[world.case_a.pk]), {"clear": "1"})
    assert response.status_code == 302 and response["Location"] == withdraw_url(world)
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only


def test_a_collector_sees_no_withdraw_control_but_the_reason(client, world, written_only):
    client.force_login(world.collector_a)
    page = client.get(reverse("written-only", args=[world.case_a.pk])).content.decode()
    assert withdraw_url(world) not in page and 'name="clear"' not in page
    assert 'data-testid="withdraw-refusal"' in page


def test_the_manager_sees_the_withdraw_control(client, world, written_only):
    client.force_login(world.manager)
    page = client.get(reverse("written-only", args=[world.case_a.pk])).content.decode()
    assert withdraw_url(world) in page


def test_the_manager_withdraws_through_the_page_with_a_scan(client, world, written_only):
    client.force_login(world.manager)
    response = client.post(withdraw_url(world), page_post(world))
    assert response.status_code == 302
    assert not Household.objects.get(pk=world.house_a.pk).written_contact_only
    withdrawal = WrittenOnlyWithdrawal.objects.get()
    case_page = client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    file_url = reverse("written-only-withdrawal-file", args=[withdrawal.pk])
    assert file_url in case_page
    assert client.get(file_url).status_code == 200


def test_the_page_without_a_scan_says_what_to_attach(client, world, written_only):
    client.force_login(world.manager)
    data = page_post(world)
    del data["evidence"]
    response = client.post(withdraw_url(world), data)
    assert response.status_code == 200
    assert "signed, dated withdrawal" in " ".join(response.context["form"].errors["evidence"])
    assert Household.objects.get(pk=world.house_a.pk).written_contact_only


def test_the_scan_is_not_shown_to_another_team_or_office(client, world, written_only):
    withdrawal = withdraw(world)
    url = reverse("written-only-withdrawal-file", args=[withdrawal.pk])
    for user in (world.collector_b, world.other_manager, world.site):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_the_lawful_contact_page_says_who_lifts_a_written_only_request(client, world):
    client.force_login(world.collector_a)
    page = client.get(reverse("lawful-contact")).content.decode()
    assert "withdraws it in writing" in page and "never looser" in page


def test_a_call_backdated_into_an_earlier_withdrawn_request_breaches_under_a_new_one(
    world, written_only
):
    withdraw(world, withdrawn_on=datetime.date(2026, 11, 15))
    household_set_written_only(
        household=world.house_a,
        since=datetime.date(2026, 11, 20),
        reason="再次要求",
        by=world.manager,
    )
    inside_the_first = datetime.datetime(2026, 11, 12, 10, 0, tzinfo=SHANGHAI)
    between = datetime.datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI)
    assert "written_only" in call(world, at=inside_the_first).breaches
    assert "written_only" not in call(world, at=between).breaches
    assert "written_only" in call(world).breaches
