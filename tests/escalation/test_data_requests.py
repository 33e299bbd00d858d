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


# The document of what is held, as a .docx (issue 17.5), and the answers in writing.


def _docx_text(data: bytes) -> str:
    import io

    from docx import Document

    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def _everything_held(world, *, letter=True):
    """case_a's owner with a corrected phone, a call with a note and a photo, a promise, a
    letter, a dispute and a view of the statement link."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from escalation.letter_records import letter_issue
    from escalation.statement_links import event_record, link_issue
    from households.contact import attempt_log
    from households.disputes import dispute_record
    from tests.conftest import PNG, make_promise, record_payment

    owner = world.house_a.owners.get()
    owner.phone = "13911110000"
    owner.save()  # a later phone: the earlier one stays in the history
    yesterday = timezone.now() - datetime.timedelta(days=1)
    attempt = attempt_log(
        case=world.case_a,
        by=world.collector_a,
        occurred_at=yesterday.replace(hour=10),
        channel="phone_call",
        person_contacted="owner",
        outcome="talked",
        notes="业主说月底前缴清",
        evidence=[SimpleUploadedFile("call-note.png", PNG, content_type="image/png")],
    )
    make_promise(
        case=world.case_a,
        amount=Decimal("500.00"),
        due_date=TODAY + datetime.timedelta(days=20),
        attempt=attempt,
        recorded_by=world.collector_a,
    )
    if letter:
        letter = letter_issue(case=world.case_a, kind="notice", by=world.collector_a)
    dispute_record(
        case=world.case_a,
        kind="service",
        cause="leak_unrepaired",
        words="卫生间漏水一直没修",
        source="call",
        by=world.collector_a,
    )
    event_record(link_issue(case=world.case_a, by=world.collector_a), "viewed")
    receipt = "R-PIPL-1" if letter else "R-PIPL-2"
    record_payment(world.house_a, "200.00", world.collector_a, receipt_no=receipt)
    return letter


def test_the_document_downloads_as_docx_with_everything_held(client, world):
    letter = _everything_held(world)
    req = _access_request(world)
    client.force_login(world.manager)
    url = reverse("data-request-document", args=[req.pk]) + "?format=docx"
    response = client.get(url)
    assert response.status_code == 200
    assert "wordprocessingml" in response["Content-Type"]
    assert "attachment" in response["Content-Disposition"]
    text = _docx_text(response.content)
    assert "张静" in text and "13911110000" in text
    assert "13912345678" in text  # the earlier phone, from the history
    assert "业主说月底前缴清" in text and "¥500.00" in text
    assert letter.reference in text
    assert "卫生间漏水一直没修" in text
    assert "call-note.png" in text  # the file's name, not the file
    assert "R-PIPL-1" in text and "¥200.00" in text
    assert "李收费" not in text  # no staff names: the owner's data
    # Written in Chinese for the owner, whatever the manager reads.
    assert "联系信息" in text or "联系数据" in text
    client.force_login(world.other_manager)
    assert client.get(url).status_code == 404
    client.force_login(world.collector_a)
    assert client.get(url).status_code == 403


def test_the_page_shows_the_same_sections(client, world, settings):
    _everything_held(world)
    req = _access_request(world)
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("data-request-document", args=[req.pk])).content.decode()
    for key in ("contact", "contact-history", "attempts", "promises", "letters", "disputes"):
        assert f'data-testid="held-{key}"' in page
    assert "erased 3 years after the last payment" in page  # why, and for how long
    assert "statement opened" in page
    assert "13912345678" in page


def test_the_document_page_makes_a_constant_number_of_queries(
    client, world, django_assert_max_num_queries
):
    _everything_held(world)
    req = _access_request(world)
    client.force_login(world.manager)
    url = reverse("data-request-document", args=[req.pk])
    with django_assert_max_num_queries(40) as first:
        client.get(url)
    _everything_held(world, letter=False)
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)


def test_sending_the_document_records_who_and_when_and_the_list_shows_it(client, world):
    req = _access_request(world)
    client.force_login(world.manager)
    client.post(reverse("data-request-answer", args=[req.pk]), {"how": "当面交付"})
    req.refresh_from_db()
    assert (req.sent_by, req.sent_how) == (world.manager, "当面交付")
    assert req.sent_at is not None
    page = client.get(reverse("data-request-list")).content.decode()
    assert "北苑经理" in page


def test_an_open_overdue_request_is_flagged_on_its_page(client, world, settings):
    req = request_record(
        household=world.house_a,
        kind=PersonalDataRequest.Kind.ACCESS,
        received_via="letter",
        received_on=TODAY - datetime.timedelta(days=16),
        by=world.manager,
    )
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("data-request-detail", args=[req.pk])).content.decode()
    assert 'data-testid="overdue"' in page
    on_time = _access_request(world)
    page = client.get(reverse("data-request-detail", args=[on_time.pk])).content.decode()
    assert 'data-testid="overdue"' not in page


def test_the_due_day_itself_is_not_overdue(client, world, settings):
    req = request_record(
        household=world.house_a,
        kind=PersonalDataRequest.Kind.ACCESS,
        received_via="letter",
        received_on=TODAY - datetime.timedelta(days=15),
        by=world.manager,
    )
    assert req.due_on == TODAY
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("data-request-list")).content.decode()
    assert 'data-testid="overdue"' not in page and "due soon" in page


# Corrections: the history keeps the old value; the request links to the change.


def _correction(world, household=None, owner=None, **corrections):
    household = household or world.house_a
    return request_record(
        household=household,
        owner=owner or household.owners.get(),
        kind=PersonalDataRequest.Kind.CORRECT,
        received_via="call",
        received_on=TODAY,
        by=world.manager,
        corrections=corrections or {"phone": "13611112222"},
    )


def test_the_correction_links_to_the_history_row_that_keeps_the_old_value(client, world):
    from escalation.personal_data import correction_changes

    req = _correction(world)
    request_correct(request=req, by=world.manager)
    req.refresh_from_db()
    assert req.correction.phone == "13611112222"
    assert req.correction.history_user == world.manager
    [change] = correction_changes(req)
    assert (change.field, change.before, change.after) == ("phone", "13912345678", "13611112222")
    client.force_login(world.manager)
    page = client.get(reverse("data-request-detail", args=[req.pk])).content.decode()
    assert "13912345678 → 13611112222" in page


def test_a_raw_post_cannot_correct_another_offices_owner(client, world):
    foreign = world.other_house.owners.get()
    client.force_login(world.manager)
    response = client.post(
        reverse("data-request-new", args=[world.house_a.pk]),
        {
            "kind": "correct",
            "received_via": "call",
            "received_on": TODAY.isoformat(),
            "owner": foreign.pk,
            "phone": "13000000000",
        },
    )
    assert response.status_code == 400
    assert not PersonalDataRequest.objects.exists()
    # Nor through the other household's page: another office's household is hidden.
    response = client.post(
        reverse("data-request-new", args=[world.other_house.pk]),
        {"kind": "correct", "received_via": "call", "received_on": TODAY.isoformat()},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.phone != "13000000000"


def test_the_service_refuses_an_owner_of_another_household(world):
    with pytest.raises(ValidationError, match="owner of this household"):
        _correction(world, owner=world.other_house.owners.get())


def test_only_contact_data_is_corrected(world):
    req = _correction(world, phone="13611112222", note="改备注", relation="co_owner")
    assert set(req.corrections) == {"phone"}
    request_correct(request=req, by=world.manager)
    owner = world.house_a.owners.get()
    assert owner.relation == "owner" and owner.note == ""


def test_another_offices_manager_cannot_apply_a_correction(client, world):
    req = _correction(world)
    client.force_login(world.other_manager)
    assert client.post(reverse("data-request-answer", args=[req.pk])).status_code == 404
    assert world.house_a.owners.get().phone == "13912345678"


def test_the_correction_is_answered_in_writing_and_sent(client, world):
    req = _correction(world)
    client.force_login(world.manager)
    document = reverse("data-request-document", args=[req.pk])
    assert client.get(document).status_code == 404  # nothing to answer yet
    client.post(reverse("data-request-answer", args=[req.pk]))
    page = client.get(document).content.decode()
    assert "关于更正个人信息的答复" in page and "13611112222" in page
    text = _docx_text(client.get(document + "?format=docx").content)
    assert "尊敬的张静（C6-101 业主）" in text and "电话：13611112222" in text
    client.post(reverse("data-request-answer", args=[req.pk]), {"how": "短信告知"})
    req.refresh_from_db()
    assert (req.sent_how, req.sent_by) == ("短信告知", world.manager)


# Deletion: refused in writing with the reason, or done now with a record.


def test_a_refused_deletion_is_answered_in_writing_with_the_reason(client, world):
    req = request_record(
        household=world.house_a,
        kind=PersonalDataRequest.Kind.DELETE,
        received_via="letter",
        received_on=TODAY,
        by=world.manager,
    )
    client.force_login(world.manager)
    client.post(reverse("data-request-answer", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.REFUSED
    text = _docx_text(
        client.get(reverse("data-request-document", args=[req.pk]) + "?format=docx").content
    )
    assert "暂不能删除" in text
    assert "仍欠" in text or "欠费" in text  # the reason, in Chinese for the owner
    assert "第五十条" in text
    url = reverse("data-request-answer", args=[req.pk])
    response = client.post(url, {"how": " "}, follow=True)
    req.refresh_from_db()
    assert req.sent_at is None
    client.post(url, {"how": "挂号信 XA1CN"})
    client.post(url, {"how": "again"})
    req.refresh_from_db()
    assert req.sent_how == "挂号信 XA1CN"
    assert response.status_code == 200


def test_a_deletion_is_refused_while_the_campaign_runs(world):
    household, owner = cleared_in_closed_campaign(world, "Q9-102")
    make_case(campaign=world.campaign, household=household)  # world's campaign is running
    req = request_record(
        household=household,
        kind=PersonalDataRequest.Kind.DELETE,
        received_via="letter",
        received_on=TODAY,
        by=world.manager,
    )
    request_delete(request=req, by=world.manager)
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.REFUSED
    assert "still running" in req.answer
    owner.refresh_from_db()
    assert owner.phone == "13700000000"


def test_an_allowed_deletion_also_anonymises_the_letters_and_requests(world):
    from escalation.models import Letter

    household, owner = cleared_in_closed_campaign(world, "Q9-103")
    case = household.cases.get()
    letter = Letter.objects.create(
        case=case,
        kind="notice",
        reference="NORTH-2020-N9999",
        dated=datetime.date(2020, 3, 1),
        total=Decimal("100.00"),
        owners=["王五"],
        issued_by=world.manager,
        proof_detail="王五 本人签收",
    )
    correction = _correction(world, household=household, owner=owner, phone="13700000001")
    request_correct(request=correction, by=world.manager)
    req = request_record(
        household=household,
        kind=PersonalDataRequest.Kind.DELETE,
        received_via="letter",
        received_on=TODAY,
        by=world.manager,
    )
    request_delete(request=req, by=world.manager)
    letter.refresh_from_db()
    assert (letter.owners, letter.proof_detail) == ([], "")
    assert letter.reference == "NORTH-2020-N9999" and letter.total == Decimal("100.00")
    assert not Letter.history.filter(id=letter.pk).exclude(owners=[]).exists()
    correction.refresh_from_db()
    assert correction.corrections == {}
    assert not PersonalDataRequest.history.filter(id=correction.pk).exclude(corrections={}).exists()
    record = PersonalDataErasure.objects.get(request=req)
    assert "letter.owners" in record.fields
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.DONE
    from escalation.personal_data_docx import answer_letter

    letter_text = " ".join(answer_letter(req).paragraphs)
    assert "已删除您的联系信息" in letter_text


def test_a_raw_post_with_a_too_long_how_is_refused_with_what_to_do(client, world, settings):
    req = _access_request(world)
    client.force_login(world.manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("data-request-answer", args=[req.pk])
    response = client.post(url, {"how": "挂" * 301}, follow=True)
    assert "in at most 300 characters" in response.content.decode()
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.OPEN and req.sent_at is None
    client.post(url, {"how": "挂" * 300})
    req.refresh_from_db()
    assert req.status == PersonalDataRequest.Status.DONE and len(req.sent_how) == 300
