"""The Monday pack's view of the lawful road."""

import datetime
from decimal import Decimal

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from arrears.models import Case
from escalation.letter_records import letter_issue, letter_record_delivery, letter_record_dispatch
from escalation.models import Letter
from escalation.plans import plan_record
from escalation.watch import escalation_watch
from summaries.producing import weekly_pack
from tests.conftest import PNG


def test_the_pack_lists_what_is_ready_stuck_or_behind(world, django_assert_max_num_queries):
    start = timezone.now() - datetime.timedelta(days=40)
    with time_machine.travel(start):
        today = timezone.localdate()
        demand = letter_issue(case=world.case_a, kind="demand", by=world.manager)
        letter_record_delivery(
            letter=demand,
            by=world.manager,
            delivered_on=today,
            proof=Letter.Proof.SIGNATURE,
            proof_detail="张静 签收",
            scans=[SimpleUploadedFile("s.png", PNG)],
            method=Letter.Method.IN_PERSON,
        )
        notice = letter_issue(case=world.case_b, kind="notice", by=world.manager)
        letter_record_dispatch(
            letter=notice,
            by=world.manager,
            method=Letter.Method.EMS,
            sent_on=today,
            tracking_number="EA9",
        )
        plan_record(
            case=world.case_b,
            by=world.manager,
            agreed_on=today,
            instalments=[(today + datetime.timedelta(days=5), Decimal("200.00"))],
        )
    monday = timezone.localdate()
    open_cases = Case.objects.filter(campaign=world.campaign)
    with django_assert_max_num_queries(8):
        watch = escalation_watch(open_cases, monday)
    assert [r["unit"] for r in watch["legal_ready"]] == ["C6-101"]
    assert [(r["unit"], r["tracking"]) for r in watch["letters_to_chase"]] == [("C13-103", "EA9")]
    assert [(r["unit"], r["owed"], r["paid"]) for r in watch["plans_behind"]] == [
        ("C13-103", Decimal("200.00"), Decimal("0.00"))
    ]
    assert watch["legal_open"] == [] and watch["waivers_pending"] == []
    pack = weekly_pack(monday, world.region)
    assert pack["escalation"]["legal_ready"][0]["reference"] == demand.reference


def test_the_18_00_report_counts_instalments_due_that_day(world):
    from summaries.producing import day_figures
    from summaries.windows import local_day

    today = timezone.localdate()
    plan_record(
        case=world.case_a,
        by=world.manager,
        agreed_on=today,
        instalments=[
            (today, Decimal("100.00")),
            (today + datetime.timedelta(days=1), Decimal("100.00")),
        ],
    )
    figures = day_figures(*local_day(today), [world.office.pk])
    assert figures[(world.office.pk, world.team_a.pk)].instalments_due == 1
    tomorrow = day_figures(*local_day(today + datetime.timedelta(days=1)), [world.office.pk])
    assert tomorrow[(world.office.pk, world.team_a.pk)].instalments_due == 1
