"""The morning's reminders: each to the people who act on it, once a day."""

import datetime
from decimal import Decimal

import pytest

from arrears.models import Notification
from escalation.letter_records import letter_issue, letter_record_delivery, letter_record_dispatch
from escalation.models import Letter
from escalation.plans import plan_record
from escalation.reminders import send_reminders
from escalation.tasks import daily_reminders
from teams.models import TeamMember
from tests.escalation.conftest import TODAY, days, scan

pytestmark = pytest.mark.usefixtures("frozen", "media")


def _inbox(user):
    return list(
        Notification.objects.filter(recipient=user, kind=Notification.Kind.REMINDER).values_list(
            "title", "url"
        )
    )


def test_each_reminder_reaches_who_acts_on_it_once(world):
    demand = letter_issue(
        case=world.case_a, kind="demand", by=world.manager, dated=TODAY - days(20)
    )
    letter_record_delivery(
        letter=demand,
        by=world.manager,
        delivered_on=TODAY - days(20),
        proof="signature",
        proof_detail="张静 签收",
        scans=[scan()],
        method="in_person",
    )
    notice = letter_issue(
        case=world.case_b, kind="notice", by=world.leader_a, dated=TODAY - days(10)
    )
    letter_record_dispatch(
        letter=notice,
        by=world.leader_a,
        method="ems",
        sent_on=TODAY - days(10),
        tracking_number="EA7",
    )
    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=TODAY - days(1),
        instalments=[(TODAY, Decimal("200.00")), (TODAY + days(30), Decimal("200.00"))],
    )
    # The demand's deadline (delivery + 15) passes on TODAY - 5: the legal stage opened then.
    assert send_reminders(TODAY - days(4)) == 1
    assert _inbox(world.manager) == [
        (
            f"C6-101：催告函 {demand.reference} 的期限已过，可以进入法律程序",
            f"/cases/{world.case_a.pk}/#legal",
        )
    ]
    assert send_reminders(TODAY) == 2
    # Team A's leader issued case_b's notice but cannot open case_b (team B's): only those
    # who may see the case hear of it (issue 12.4).
    assert _inbox(world.leader_a) == []
    assert _inbox(world.collector_b) == [
        (_inbox(world.collector_b)[0][0], f"/letters/{notice.pk}/")
    ]
    assert "EA7" not in _inbox(world.collector_b)[0][0]
    assert "¥200.00" in _inbox(world.collector_a)[0][0]
    # Run again (a retry, a restarted beat): nobody hears twice.
    assert send_reminders(TODAY) == 0
    assert daily_reminders.run(TODAY.isoformat()) == 0
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 3


def test_a_letter_delivered_in_time_needs_no_chasing(world):
    notice = letter_issue(
        case=world.case_b, kind="notice", by=world.manager, dated=TODAY - days(10)
    )
    letter_record_dispatch(
        letter=notice, by=world.manager, method="courier", sent_on=TODAY - days(10)
    )
    letter_record_delivery(
        letter=Letter.objects.get(pk=notice.pk),
        by=world.manager,
        delivered_on=TODAY - days(8),
        proof="tracking",
        proof_detail="妥投",
        scans=[scan()],
    )
    assert send_reminders(TODAY) == 0


def test_reminders_are_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["escalation-reminders"]
    assert entry["task"] == "escalation.tasks.daily_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {0})


def test_the_catch_up_sends_what_the_morning_missed_and_nothing_before_it(world):
    import time_machine
    from django.utils import timezone

    from escalation.tasks import catch_up_reminders

    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=TODAY - days(1),
        instalments=[(TODAY, Decimal("200.00"))],
    )
    early = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(7, 30)))
    with time_machine.travel(early, tick=False):
        assert catch_up_reminders.run() == 0
    with time_machine.travel(early + datetime.timedelta(hours=3), tick=False):
        assert catch_up_reminders.run() == 1
        assert catch_up_reminders.run() == 0


def test_the_catch_up_waits_for_the_reminders_time_of_the_settings(world, settings):
    import time_machine
    from django.utils import timezone

    from escalation.tasks import catch_up_reminders

    settings.REMINDERS_AT = datetime.time(10, 15)
    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=TODAY - days(1),
        instalments=[(TODAY, Decimal("200.00"))],
    )
    at = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10, 14)))
    with time_machine.travel(at, tick=False):
        assert catch_up_reminders.run() == 0
    with time_machine.travel(at + datetime.timedelta(minutes=1), tick=False):
        assert catch_up_reminders.run() == 1


def test_reminders_skip_a_responsible_person_who_left_the_team_and_reach_the_leader(world):
    notice = letter_issue(
        case=world.case_a, kind="notice", by=world.collector_a, dated=TODAY - days(10)
    )
    letter_record_dispatch(
        letter=notice,
        by=world.collector_a,
        method="ems",
        sent_on=TODAY - days(10),
        tracking_number="EA8",
    )
    plan_record(
        case=world.case_a,
        by=world.collector_a,
        agreed_on=TODAY - days(1),
        instalments=[(TODAY, Decimal("200.00"))],
    )
    # Removed in the administration: her name stays on case_a and on what she issued.
    TeamMember.objects.get(team=world.team_a, user=world.collector_a).delete()
    assert send_reminders(TODAY) == 2
    assert _inbox(world.collector_a) == []
    assert len(_inbox(world.leader_a)) == 2
