"""PIPL art. 47: owners' contact data erased after the office's retention period, with a
record, in the history rows too; kept while it is still needed."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from arrears import case_figures
from arrears.models import Campaign, DebtPeriod, Office, Region
from config.celery import app
from escalation.personal_data import erase_expired
from escalation.tasks import erase_expired_contact_data
from households.models import Household, Owner, PersonalDataErasure
from tests.conftest import make_case, make_user
from tests.processes import celery_env, start_worker, wait_until

SH = ZoneInfo("Asia/Shanghai")
CLOSED_AT = datetime.datetime(2023, 6, 15, 10, 0, tzinfo=SH)


def cleared_household(office, campaign, unit="C6-101", *, unpaid=False):
    household = Household.objects.create(
        office=office, unit_code=unit, area_m2=Decimal("100"), note="业主说周末在家"
    )
    owner = Owner.objects.create(household=household, name="张三", phone="13812345678")
    owner.phone_alt = "13900000000"
    owner.save()  # a second history row that keeps the phones too
    DebtPeriod.objects.create(
        household=household,
        month=datetime.date(2015, 1, 1),
        amount_due=Decimal("100.00"),
        amount_paid=Decimal("0.00") if unpaid else Decimal("100.00"),
    )
    make_case(campaign=campaign, household=household)
    return household, owner


@pytest.fixture
def closed(db):
    """An office whose campaign closed on 15 June 2023 with one cleared household."""
    with time_machine.travel(CLOSED_AT, tick=False):
        region = Region.objects.create(name="东区", code="pd-east")
        office = Office.objects.create(region=region, code="pd-north", name="北苑")
        campaign = Campaign.objects.create(
            office=office,
            name="清收",
            start_date=datetime.date(2023, 1, 1),
            target_date=datetime.date(2023, 6, 1),
            arrears_through=datetime.date(2015, 5, 1),
        )
        household, owner = cleared_household(office, campaign)
        campaign.status = Campaign.Status.CLOSED
        campaign.save()
    return office, campaign, household, owner


def erased(owner) -> bool:
    owner.refresh_from_db()
    return owner.name == "" and owner.phone == "" and owner.phone_alt == ""


def test_the_day_before_three_years_nothing_is_erased(closed):
    office, campaign, household, owner = closed
    with time_machine.travel(datetime.datetime(2026, 6, 14, 23, 59, tzinfo=SH), tick=False):
        assert erase_expired() == 0
    assert not erased(owner)
    assert not PersonalDataErasure.objects.exists()


def test_exactly_three_years_after_the_close_the_contact_data_is_erased(closed):
    office, campaign, household, owner = closed
    with time_machine.travel(datetime.datetime(2026, 6, 15, 0, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 1
    assert erased(owner)
    household.refresh_from_db()
    assert household.note == "" and household.unit_code == "C6-101"
    # The ledger is kept.
    assert DebtPeriod.objects.get(household=household).amount_paid == Decimal("100.00")
    # No history row keeps the name or a phone.
    for row in Owner.history.filter(id=owner.pk):
        assert (row.name, row.phone, row.phone_alt, row.note) == ("", "", "", "")
    assert not Household.history.filter(id=household.pk).exclude(note="").exists()
    record = PersonalDataErasure.objects.get()
    assert record.reason == PersonalDataErasure.Reason.RETENTION and record.by is None
    assert record.owners == 1 and record.history_rows >= 3
    assert "owner.phone" in record.fields
    assert record.erased_at == datetime.datetime(2026, 6, 15, 0, 0, tzinfo=SH)


def test_the_job_twice_erases_and_records_once(closed):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 1
        assert erase_expired() == 0
    assert PersonalDataErasure.objects.count() == 1


def test_the_record_is_append_only(closed):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, 0, tzinfo=SH), tick=False):
        erase_expired()
    record = PersonalDataErasure.objects.get()
    record.owners = 9
    with pytest.raises(Exception, match="append-only"):
        record.save()


def test_the_office_sets_the_period(closed):
    office, campaign, household, owner = closed
    office.retention_years = 5
    office.save()
    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 0
    with time_machine.travel(datetime.datetime(2028, 6, 15, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 1


def test_a_household_still_owing_keeps_its_contact_data(closed):
    office, campaign, _, _ = closed
    with time_machine.travel(CLOSED_AT, tick=False):
        owing, owner = cleared_household(office, campaign, "C6-102", unpaid=True)
    with time_machine.travel(datetime.datetime(2030, 1, 1, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 1  # the cleared one only
    assert not erased(owner)


def test_a_household_in_a_running_campaign_keeps_its_contact_data(closed):
    office, campaign, household, owner = closed
    with time_machine.travel(CLOSED_AT, tick=False):
        running = Campaign.objects.create(
            office=office,
            name="二期",
            start_date=datetime.date(2023, 6, 1),
            target_date=datetime.date(2033, 6, 1),
            arrears_through=datetime.date(2015, 5, 1),
        )
        make_case(campaign=running, household=household)
    with time_machine.travel(datetime.datetime(2030, 1, 1, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 0
    assert not erased(owner)


def test_a_later_payment_or_contact_restarts_the_period(closed):
    office, campaign, household, owner = closed
    from households.models import ContactAttempt

    with time_machine.travel(datetime.datetime(2024, 3, 1, 10, 0, tzinfo=SH), tick=False):
        user = make_user("pd-collector", "collector", office=office)
        ContactAttempt.objects.create(
            household=household,
            made_by=user,
            occurred_at=datetime.datetime(2024, 3, 1, 10, 0, tzinfo=SH),
            channel="phone_call",
            person_contacted="owner",
            outcome="no_answer",
        )
        case_figures.refresh([household.pk])
    with time_machine.travel(datetime.datetime(2027, 2, 28, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 0
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 1


def test_the_command_runs_the_job(closed):
    out = io.StringIO()
    with (
        time_machine.travel(datetime.datetime(2026, 7, 1, 9, 0, tzinfo=SH), tick=False),
        translation.override("en"),
    ):
        call_command("erase_expired_contact_data", stdout=out)
    assert "Contact data erased for 1 households." in out.getvalue()


def test_the_job_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["erase-expired-contact-data"]
    assert entry["task"] == "escalation.tasks.erase_expired_contact_data"
    assert erase_expired_contact_data.acks_late is True


@pytest.mark.worker
def test_a_real_worker_erases_from_the_queue(transactional_db, tmp_path):
    import uuid

    queue = f"test-{uuid.uuid4().hex[:8]}"
    with time_machine.travel(datetime.datetime(2020, 1, 6, 10, 0, tzinfo=SH), tick=False):
        region = Region.objects.create(name="东区", code="pd-w")
        office = Office.objects.create(region=region, code="pd-w", name="北苑")
        campaign = Campaign.objects.create(
            office=office,
            name="清收",
            start_date=datetime.date(2019, 1, 1),
            target_date=datetime.date(2019, 12, 1),
            arrears_through=datetime.date(2015, 5, 1),
            status=Campaign.Status.CLOSED,
        )
        household, owner = cleared_household(office, campaign)
    worker = start_worker(tmp_path, celery_env(settings.CELERY_BROKER_URL), queue)
    try:
        erase_expired_contact_data.apply_async(queue=queue)
        assert wait_until(PersonalDataErasure.objects.exists, timeout=90), worker.output()
    finally:
        worker.stop()
    assert erased(owner)


def _closed_on(office, unit, moment, *, unpaid=False):
    """A household of a campaign of `office` closed at `moment` (its history says so)."""
    with time_machine.travel(moment, tick=False):
        campaign = Campaign.objects.create(
            office=office,
            name=f"清收 {unit}",
            start_date=datetime.date(2015, 1, 1),
            target_date=datetime.date(2015, 12, 1),
            arrears_through=datetime.date(2015, 5, 1),
        )
        household, owner = cleared_household(office, campaign, unit, unpaid=unpaid)
        campaign.status = Campaign.Status.CLOSED
        campaign.save()
    return household, owner


@pytest.mark.redis
@pytest.mark.worker
def test_a_real_worker_consuming_from_redis_erases_exactly_at_the_retention_boundary(
    transactional_db, tmp_path
):
    """The nightly task, queued on Redis and run by a real worker at the real time: a
    household whose campaign closed exactly three years ago today (local midnight) is
    erased with its record; one closed a day later, one still owing, and one of an office
    keeping data five years are untouched."""
    import re
    import uuid
    from pathlib import Path

    from django.utils import timezone

    from escalation.personal_data import add_years
    from tests.processes import redis_server

    queue = f"test-{uuid.uuid4().hex[:8]}"
    today = timezone.localdate()
    boundary = datetime.datetime.combine(add_years(today, -3), datetime.time(0, 0), tzinfo=SH)
    region = Region.objects.create(name="东区", code="pd-r")
    office = Office.objects.create(region=region, code="pd-r3", name="北苑")
    longer = Office.objects.create(region=region, code="pd-r5", name="南苑", retention_years=5)
    due, due_owner = _closed_on(office, "C6-101", boundary)
    day_later, day_later_owner = _closed_on(office, "C6-102", boundary + datetime.timedelta(days=1))
    owing, owing_owner = _closed_on(office, "C6-103", boundary, unpaid=True)
    kept, kept_owner = _closed_on(longer, "C6-101", boundary)

    with redis_server(tmp_path) as redis:
        worker = start_worker(tmp_path, celery_env(redis.url), queue)
        try:
            with app.connection_for_write(redis.url) as conn:
                erase_expired_contact_data.apply_async(queue=queue, connection=conn)

            def finished():
                log = Path(worker.log_path).read_text(errors="replace")
                return re.search(r"erase_expired_contact_data\[[^]]+\] succeeded", log)

            assert wait_until(finished, timeout=120), worker.output()
        finally:
            worker.stop()

    record = PersonalDataErasure.objects.get()
    assert record.household == due
    assert record.reason == PersonalDataErasure.Reason.RETENTION and record.by is None
    assert timezone.localdate(record.erased_at) == today
    assert erased(due_owner)
    for owner in (day_later_owner, owing_owner, kept_owner):
        assert not erased(owner), owner.household.unit_code


def test_the_job_leaves_no_owner_name_on_the_letters(closed):
    from escalation.models import Letter

    office, campaign, household, owner = closed
    with time_machine.travel(CLOSED_AT, tick=False):
        user = make_user("pd-letters", "office_manager", office=office)
        letter = Letter.objects.create(
            case=household.cases.get(),
            kind="notice",
            reference="PD-2023-N0001",
            dated=datetime.date(2023, 3, 1),
            total=Decimal("100.00"),
            owners=["张三"],
            issued_by=user,
            proof_detail="张三 本人签收",
        )
    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, 0, tzinfo=SH), tick=False):
        assert erase_expired() == 1
    letter.refresh_from_db()
    assert (letter.owners, letter.proof_detail) == ([], "")
    assert (letter.reference, letter.total) == ("PD-2023-N0001", Decimal("100.00"))
    for row in Letter.history.filter(id=letter.pk):
        assert (row.owners, row.proof_detail) == ([], "")
    from escalation.letters import issued_letter

    assert issued_letter(letter).salutation.startswith("尊敬的业主")
