"""Owners' personal-information requests (PIPL arts. 44–47), recorded by the office manager."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from arrears.models import Campaign, DebtPeriod, Notification
from escalation.personal_data import request_correct, request_delete, request_record
from households.models import Household, Owner, PersonalDataErasure, PersonalDataRequest
from tests.conftest import make_case

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _english():
    """The services' refusals are read in English here (the default language is zh-hans)."""
    with translation.override("en"):
        yield


def cleared_in_closed_campaign(world, unit="Q9-101"):
    campaign = Campaign.objects.create(
        office=world.office,
        name="旧清收",
        start_date=datetime.date(2020, 1, 1),
        target_date=datetime.date(2020, 6, 1),
        arrears_through=datetime.date(2015, 5, 1),
        status=Campaign.Status.CLOSED,
    )
    household = Household.objects.create(office=world.office, unit_code=unit, area_m2=100)
    owner = Owner.objects.create(household=household, name="王五", phone="13700000000")
    DebtPeriod.objects.create(
        household=household,
        month=datetime.date(2015, 1, 1),
        amount_due=Decimal("100.00"),
        amount_paid=Decimal("100.00"),
    )
    make_case(campaign=campaign, household=household)
    return household, owner


def test_a_request_is_due_15_days_after_receipt_and_the_manager_hears(world):
    received = TODAY - datetime.timedelta(days=2)
    req = request_record(
        household=world.house_a,
        kind=PersonalDataRequest.Kind.ACCESS,
        received_via=PersonalDataRequest.Received.LETTER,
        received_on=received,
        by=world.manager,
        words="我要看你们存了我哪些信息",
    )
    assert req.due_on == received + datetime.timedelta(days=15)
    notice = Notification.objects.get(recipient=world.manager, kind=Notification.Kind.APPROVAL)
    assert notice.url == reverse("data-request-detail", args=[req.pk])
    assert not Notification.objects.filter(recipient=world.other_manager).exists()


def test_a_request_received_tomorrow_is_refused(world):
    with pytest.raises(ValidationError, match="cannot be later than today"):
        request_record(
            household=world.house_a,
            kind=PersonalDataRequest.Kind.ACCESS,
            received_via="call",
            received_on=TODAY + datetime.timedelta(days=1),
            by=world.manager,
        )


def test_a_correction_changes_the_owner_with_history_and_closes(world):
    owner = world.house_a.owners.get()
    req = request_record(
        household=world.house_a,
        owner=owner,
        kind=PersonalDataRequest.Kind.CORRECT,
        received_via="call",
        received_on=TODAY,
        by=world.manager,
        corrections={"phone": " 13611112222 ", "name": ""},
    )
    before = owner.history.count()
    request_correct(request=req, by=world.manager)
    owner.refresh_from_db()
    assert owner.phone == "13611112222" and owner.name == "张静"
    assert owner.history.count() == before + 1
    assert owner.history.first().history_user == world.manager
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.DONE and req.closed_by == world.manager
    with pytest.raises(ValidationError, match="already answered"):
        request_correct(request=req, by=world.manager)


def test_a_correction_without_data_says_what_to_enter(world):
    with pytest.raises(ValidationError, match="Enter the name or phone"):
        request_record(
            household=world.house_a,
            owner=world.house_a.owners.get(),
            kind=PersonalDataRequest.Kind.CORRECT,
            received_via="call",
            received_on=TODAY,
            by=world.manager,
        )


def test_deletion_is_refused_with_the_reason_while_arrears_are_outstanding(world):
    req = request_record(
        household=world.house_a,
        kind=PersonalDataRequest.Kind.DELETE,
        received_via="visit",
        received_on=TODAY,
        by=world.manager,
    )
    request_delete(request=req, by=world.manager)
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.REFUSED
    assert "still owes" in req.answer
    assert world.house_a.owners.get().phone
    assert not PersonalDataErasure.objects.exists()


def test_deletion_erases_what_is_not_needed(world):
    household, owner = cleared_in_closed_campaign(world)
    req = request_record(
        household=household,
        kind=PersonalDataRequest.Kind.DELETE,
        received_via="letter",
        received_on=TODAY,
        by=world.manager,
    )
    request_delete(request=req, by=world.manager)
    owner.refresh_from_db()
    assert (owner.name, owner.phone) == ("", "")
    assert not Owner.history.filter(id=owner.pk).exclude(phone="").exists()
    record = PersonalDataErasure.objects.get()
    assert record.request == req and record.by == world.manager
    assert record.reason == PersonalDataErasure.Reason.REQUEST


def _new_url(world):
    return reverse("data-request-new", args=[world.house_a.pk])


def test_only_the_offices_manager_handles_requests(client, world):
    client.force_login(world.collector_a)
    assert client.get(reverse("data-request-list")).status_code == 403
    assert client.get(_new_url(world)).status_code == 403
    client.force_login(world.other_manager)
    assert client.get(_new_url(world)).status_code == 404
    client.force_login(world.manager)
    assert client.get(_new_url(world)).status_code == 200


def test_the_page_records_and_lists_overdue_first(client, world):
    client.force_login(world.manager)
    for days_ago in (1, 20):
        response = client.post(
            _new_url(world),
            {
                "kind": "access",
                "received_via": "call",
                "received_on": (TODAY - datetime.timedelta(days=days_ago)).isoformat(),
            },
        )
        assert response.status_code == 302
    page = client.get(reverse("data-request-list")).content.decode()
    old, new = PersonalDataRequest.objects.order_by("received_on")
    assert page.index(f'data-request="{old.pk}"') < page.index(f'data-request="{new.pk}"')
    assert "overdue" in page or "逾期" in page
    client.force_login(world.other_manager)
    assert client.get(reverse("data-request-detail", args=[old.pk])).status_code == 404
    assert (
        f'data-request="{old.pk}"' not in client.get(reverse("data-request-list")).content.decode()
    )


def test_a_form_error_says_what_to_do(client, world, settings):
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        _new_url(world),
        {"kind": "erase-everything", "received_via": "call", "received_on": "yesterday"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose what the owner asks for from the list." in page
    assert "Enter the day as YYYY-MM-DD." in page


def test_answering_a_deletion_from_the_page(client, world):
    household, owner = cleared_in_closed_campaign(world)
    req = request_record(
        household=household,
        kind=PersonalDataRequest.Kind.DELETE,
        received_via="letter",
        received_on=TODAY,
        by=world.manager,
    )
    client.force_login(world.other_manager)
    assert client.post(reverse("data-request-answer", args=[req.pk])).status_code == 404
    client.force_login(world.manager)
    assert client.post(reverse("data-request-answer", args=[req.pk])).status_code == 302
    owner.refresh_from_db()
    assert owner.phone == ""


def test_the_case_page_links_the_manager_to_a_new_request(client, world):
    url = reverse("data-request-new", args=[world.house_a.pk])
    client.force_login(world.manager)
    assert url in client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()
    client.force_login(world.collector_a)
    assert url not in client.get(reverse("case-detail", args=[world.case_a.pk])).content.decode()


def test_the_lawful_contact_page_states_the_offices_retention_period(client, world, settings):
    world.office.retention_years = 5
    world.office.save()
    client.force_login(world.collector_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("lawful-contact")).content.decode()
    assert 'data-testid="personal-information"' in page
    assert "by a nightly job 5 years after the last payment" in page


def _access_request(world):
    return request_record(
        household=world.house_a,
        kind=PersonalDataRequest.Kind.ACCESS,
        received_via="letter",
        received_on=TODAY,
        by=world.manager,
    )


def test_the_document_shows_everything_held_about_the_owner(client, world):
    from households.contact import attempt_log  # noqa: F401 - the attempts of world exist

    req = _access_request(world)
    client.force_login(world.manager)
    page = client.get(reverse("data-request-document", args=[req.pk])).content.decode()
    assert "张静" in page and "13912345678" in page  # the owner's own data, in full
    assert 'data-testid="held-attempts"' in page
    client.force_login(world.other_manager)
    assert client.get(reverse("data-request-document", args=[req.pk])).status_code == 404
    client.force_login(world.collector_a)
    assert client.get(reverse("data-request-document", args=[req.pk])).status_code == 403


def test_marking_the_document_sent_needs_how_and_closes(client, world, settings):
    req = _access_request(world)
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("data-request-answer", args=[req.pk])
    response = client.post(url, {"how": "  "}, follow=True)
    assert "Say how the document was sent" in response.content.decode()
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.OPEN
    client.post(url, {"how": "挂号信 XA123456789CN"})
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.DONE
    assert req.answer == "挂号信 XA123456789CN" and req.closed_by == world.manager
