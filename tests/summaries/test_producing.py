"""The 18:00 reports, the director's morning brief and the Monday pack (DESIGN.md §3).

Everything runs on a frozen Asia/Shanghai clock. `activity` builds a known day D (Wednesday
2026-11-25) with the day before (PREV) and the day after (NEXT) around it; every figure below
is worked out by hand from that data:

team A (case_a, C6-101, 17 months x ¥100)          team B (case_b, C13-103)
  PREV 10:00 payment notice to the owner             PREV 11:00 issue I4 (resolved NEXT 09:00)
  PREV 10:00 issue I1 (stays open)                   PREV 16:00 payment ¥100
  PREV 15:00 promise ¥200 due D                      D 10:00 issue I3 (resolved D 16:30)
  D 08:30 call, owner, no answer                     D 11:00 promise ¥150 due D
  D 09:00 office meeting, occupant, talked           D 14:00 home visit, owner refused
  D 09:30 issue I2 (stays open)                      D 15:00 payment ¥1600 clears case_b ...
  D 10:00 office meeting, co-owner, promised ¥300    D 16:00 ... reversed: clearance revoked
  D 11:00 payment ¥500                               D 17:00 payment ¥300
  D 12:00 payment ¥200, reversed D 13:00             D 22:30 call, owner, no answer (breach)
  D 23:00 call, owner, talked (breach)               NEXT 00:00 payment ¥100
  D 23:59 payment notice; payment ¥1200 clears       NEXT 00:00 promise ¥120 due NEXT+2
  NEXT 00:00 call, owner, no answer (breach)
  NEXT 00:00 issue I5 (stays open)

The other office (another region) has its own activity on D, which must never show in ours.

`day_figures` counts any window; the 18:00 report of D covers what was recorded from 18:00
on PREV to 18:00 on D (A_WINDOW, B_WINDOW): D's evening (22:30, 23:00, 23:59) and NEXT's
first minute fall in the report of NEXT, never in none.
"""

import datetime
import http.server
import json
import threading
import zoneinfo
from dataclasses import asdict
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrears.issues import issue_raise, issue_resolve
from arrears.models import (
    Case,
    DebtorCategory,
    Notification,
    Role,
    SchedulerStart,
    Summary,
)
from arrears.payments import payment_reverse
from arrears.scoping import summaries as visible_summaries
from households.contact import PromiseInput, attempt_log
from summaries.delivery import deliver
from summaries.producing import (
    Figures,
    catch_up,
    daily_reports,
    day_figures,
    morning_brief,
    produce_brief,
    produce_daily,
    produce_weekly,
    summary_store,
    weekly_pack,
)
from summaries.windows import local_day
from teams.models import Team
from tests.conftest import (
    add_cases,
    add_months,
    make_case,
    make_office_with_campaign,
    make_promise,
    record_payment,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 25)  # a Wednesday
PREV = DAY - datetime.timedelta(days=1)
NEXT = DAY + datetime.timedelta(days=1)
MONDAY = datetime.date(2026, 11, 30)  # the pack for the week 23–29 November
THIS_MONDAY = datetime.date(2026, 11, 23)  # DAY's week


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


NOW = at(DAY, 19)
DAYS = datetime.timedelta(days=1)

# The hand-worked figures of the module docstring.
A_DAY = Figures(
    attempts=5, owners_reached=2, promises_made=1, promised_amount=D("300"), promises_due=1,
    payments=3, collected=D("1700"), cleared=1, new_issues=1, open_issues=2, breaches=1,
)  # fmt: skip
B_DAY = Figures(
    attempts=2, owners_reached=1, promises_made=1, promised_amount=D("150"), promises_due=1,
    payments=2, collected=D("300"), cleared=0, new_issues=1, open_issues=1, breaches=1,
)  # fmt: skip
OFFICE_DAY = Figures(
    attempts=7, owners_reached=3, promises_made=2, promised_amount=D("450"), promises_due=2,
    payments=5, collected=D("2000"), cleared=1, new_issues=2, open_issues=3, breaches=2,
)  # fmt: skip
OFFICE_PREV = Figures(
    attempts=1, promises_made=1, promised_amount=D("200"), payments=1, collected=D("100"),
    new_issues=2, open_issues=2,
)  # fmt: skip
# The 18:00 report of D: recorded from PREV 18:00 to D 18:00.
A_WINDOW = Figures(
    attempts=3, owners_reached=1, promises_made=1, promised_amount=D("300"), promises_due=1,
    payments=2, collected=D("500"), cleared=0, new_issues=1, open_issues=2, breaches=0,
)  # fmt: skip
B_WINDOW = Figures(
    attempts=1, owners_reached=1, promises_made=1, promised_amount=D("150"), promises_due=1,
    payments=2, collected=D("300"), cleared=0, new_issues=1, open_issues=1, breaches=0,
)  # fmt: skip
OFFICE_WINDOW = Figures(
    attempts=4, owners_reached=2, promises_made=2, promised_amount=D("450"), promises_due=2,
    payments=4, collected=D("800"), cleared=0, new_issues=2, open_issues=3, breaches=0,
)  # fmt: skip
# The brief of D: D's 18:00 window against PREV's (OFFICE_PREV: nothing after 18:00 on PREV).
CHANGE_WINDOW = Figures(
    attempts=3, owners_reached=2, promises_made=1, promised_amount=D("250"), promises_due=2,
    payments=3, collected=D("700"), cleared=0, new_issues=0, open_issues=1, breaches=0,
)  # fmt: skip
WINDOW = {"from": at(PREV, 18), "to": at(DAY, 18), "by": "recorded"}
CHANGE = Figures(
    attempts=6, owners_reached=3, promises_made=1, promised_amount=D("250"), promises_due=2,
    payments=4, collected=D("1900"), cleared=1, new_issues=0, open_issues=1, breaches=2,
)  # fmt: skip


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(clock, world):
    """conftest's world, built on the frozen clock (campaign dates are relative to today)."""
    return world


def log(clock, case, by, when, channel, person, outcome, **kw):
    clock.move_to(when)
    return attempt_log(
        case=case,
        by=by,
        occurred_at=when,
        channel=channel,
        person_contacted=person,
        outcome=outcome,
        **kw,
    )


def pay(clock, house, amount, by, when):
    clock.move_to(when)
    return record_payment(house, amount, by, paid_at=when)


def reverse_payment(clock, payment, by, when):
    clock.move_to(when)
    return payment_reverse(payment=payment, by=by, reason="记错户号")


def raise_issue(clock, case, by, when, title):
    clock.move_to(when)
    return issue_raise(case=case, by=by, title=title, description="详见记录")


def resolve(clock, issue, by, when):
    clock.move_to(when)
    return issue_resolve(issue=issue, by=by, decision="经理书面答复")


def promise(case, amount, due, recorded_at, by):
    return make_promise(
        case=case, amount=D(amount), due_date=due, recorded_at=recorded_at, recorded_by=by
    )


def build(w, clock):
    a, b, ca, cb = w.case_a, w.case_b, w.collector_a, w.collector_b
    # the day before
    log(clock, a, ca, at(PREV, 10), "payment_notice", "owner", "delivered")
    i1 = raise_issue(clock, a, ca, at(PREV, 10, 5), "业主要求先修屋顶")
    i4 = raise_issue(clock, b, cb, at(PREV, 11), "产权纠纷")
    promise(a, "200", DAY, at(PREV, 15), ca)
    pay(clock, w.house_b, "100", cb, at(PREV, 16))
    # the day: team A
    log(clock, a, ca, at(DAY, 8, 30), "phone_call", "owner", "no_answer")
    log(clock, a, ca, at(DAY, 9), "office_meeting", "occupant", "talked")
    i2 = raise_issue(clock, a, ca, at(DAY, 9, 30), "业主称车位被占")
    log(
        clock, a, ca, at(DAY, 10), "office_meeting", "co_owner", "promised",
        promise=PromiseInput(amount=D("300"), due_date=DAY + datetime.timedelta(days=3)),
    )  # fmt: skip
    pay(clock, w.house_a, "500", ca, at(DAY, 11))
    wrong = pay(clock, w.house_a, "200", ca, at(DAY, 12))
    reverse_payment(clock, wrong, w.leader_a, at(DAY, 13))
    late_call = log(clock, a, ca, at(DAY, 23), "phone_call", "owner", "talked")
    log(clock, a, ca, at(DAY, 23, 59), "payment_notice", "owner", "delivered")
    clearing = pay(clock, w.house_a, "1200", ca, at(DAY, 23, 59))
    # the day: team B
    i3 = raise_issue(clock, b, cb, at(DAY, 10), "租户拒绝转告")
    promise(b, "150", DAY, at(DAY, 11), cb)
    log(clock, b, cb, at(DAY, 14), "home_visit", "owner", "refused", staff_count=2)
    full = pay(clock, w.house_b, "1600", cb, at(DAY, 15))
    reverse_payment(clock, full, w.manager, at(DAY, 16))
    resolve(clock, i3, w.manager, at(DAY, 16, 30))
    pay(clock, w.house_b, "300", cb, at(DAY, 17))
    evening_call = log(clock, b, cb, at(DAY, 22, 30), "phone_call", "owner", "no_answer")
    # the other office, same day
    oc, oh, who = w.other_case, w.other_house, w.other_collector
    log(clock, oc, who, at(DAY, 12), "office_meeting", "owner", "talked")
    pay(clock, oh, "500", who, at(DAY, 12, 30))
    promise(oc, "100", DAY, at(DAY, 12), who)
    raise_issue(clock, oc, who, at(DAY, 13), "外处问题")
    log(clock, oc, who, at(DAY, 23), "phone_call", "owner", "talked")
    # the day after, from midnight
    night_call = log(clock, a, ca, at(NEXT, 0), "phone_call", "owner", "no_answer")
    pay(clock, w.house_b, "100", cb, at(NEXT, 0))
    promise(b, "120", NEXT + datetime.timedelta(days=2), at(NEXT, 0), cb)
    i5 = raise_issue(clock, a, w.leader_a, at(NEXT, 0), "漏水未修")
    resolve(clock, i4, w.manager, at(NEXT, 9))
    clock.move_to(at(NEXT, 10))
    return SimpleNamespace(
        i1=i1, i2=i2, i3=i3, i4=i4, i5=i5, late_call=late_call, evening_call=evening_call,
        night_call=night_call, clearing=clearing,
    )  # fmt: skip


@pytest.fixture
def activity(world, clock):
    return build(world, clock)


def figures_of(day, offices):
    return day_figures(*local_day(day), [o.pk for o in offices])


def kinds(summaries):
    return {(s.kind, s.region.code, s.for_date) for s in summaries}


def told(user):
    return Notification.objects.filter(recipient=user, kind=Notification.Kind.SUMMARY)


# --- 1. day_figures ----------------------------------------------------------------------------


def test_day_figures_count_each_teams_work_of_the_day(world, activity):
    figures = figures_of(DAY, [world.office])
    assert set(figures) == {(world.office.pk, world.team_a.pk), (world.office.pk, world.team_b.pk)}
    assert figures[(world.office.pk, world.team_a.pk)] == A_DAY
    assert figures[(world.office.pk, world.team_b.pk)] == B_DAY


def test_the_crafted_day_breaches_at_night_and_clears_case_a_at_23_59(world, activity):
    # The hand-worked figures rely on these: the evening calls breach, the 23:59 payment
    # clears case_a, case_b's clearance was revoked the same day.
    assert activity.late_call.breaches == ["hours", "quiet_after_conversation"]
    assert activity.evening_call.breaches == ["hours", "quiet_after_conversation"]
    assert "hours" in activity.night_call.breaches
    world.case_a.refresh_from_db()
    world.case_b.refresh_from_db()
    assert world.case_a.status == Case.Status.CLEARED
    assert world.case_a.cleared_at == at(DAY, 23, 59)
    assert world.case_b.clearances.get().revoked_at == at(DAY, 16)


def test_a_day_runs_from_local_midnight_to_midnight(world, activity):
    """23:59 belongs to the day; 00:00 the next day to the next day."""
    a = figures_of(NEXT, [world.office])[(world.office.pk, world.team_a.pk)]
    b = figures_of(NEXT, [world.office])[(world.office.pk, world.team_b.pk)]
    assert a == Figures(attempts=1, breaches=1, new_issues=1, open_issues=3)
    # I4 was resolved at 09:00 that day: not open at the day's end
    assert b == Figures(payments=1, collected=D("100"), promises_made=1, promised_amount=D("120"))
    prev = Figures()
    for value in figures_of(PREV, [world.office]).values():
        prev.add(value)
    assert prev == OFFICE_PREV


def test_the_other_offices_activity_never_appears_in_ours(world, activity):
    both = figures_of(DAY, [world.office, world.other_office])
    assert both[(world.office.pk, world.team_a.pk)] == A_DAY
    assert both[(world.office.pk, world.team_b.pk)] == B_DAY
    assert both[(world.other_office.pk, world.other_team.pk)] == Figures(
        attempts=2, owners_reached=2, promises_made=1, promised_amount=D("100"), promises_due=1,
        payments=1, collected=D("500"), new_issues=1, open_issues=1, breaches=1,
    )  # fmt: skip
    assert set(both) == {
        (world.office.pk, world.team_a.pk),
        (world.office.pk, world.team_b.pk),
        (world.other_office.pk, world.other_team.pk),
    }


# --- 2. daily_reports --------------------------------------------------------------------------


def test_the_team_report_holds_the_teams_figures_since_the_last_cut_off(world, activity):
    reports = daily_reports(DAY, [world.office])
    assert set(reports["team"]) == {world.team_a.pk, world.team_b.pk}
    assert reports["team"][world.team_a.pk] == {
        "team": str(world.team_a),
        "office": world.office.pk,
        "day": DAY,
        "window": WINDOW,
        "figures": asdict(A_WINDOW),
    }


def test_the_office_summary_has_team_rows_totals_new_issues_and_breaches(world, activity):
    office = daily_reports(DAY, [world.office])["office"][world.office.pk]
    assert office["office"] == "北苑服务处" and office["day"] == DAY
    assert office["window"] == WINDOW
    assert office["teams"] == [
        {"team": str(world.team_a), "figures": asdict(A_WINDOW)},
        {"team": str(world.team_b), "figures": asdict(B_WINDOW)},
    ]
    assert office["totals"] == asdict(OFFICE_WINDOW)
    assert office["empty"] is False
    assert office["new_issues"] == [
        {"unit": "C6-101", "title": "业主称车位被占", "by": "李收费", "team": "A"},
        {"unit": "C13-103", "title": "租户拒绝转告", "by": "王收费", "team": "B"},
    ]
    assert office["breaches"] == [] and office["entered_late"] == []
    # D's evening breaches are in the next report, with NEXT's midnight call
    evening = daily_reports(NEXT, [world.office])["office"][world.office.pk]
    assert [(b["unit"], b["at"], b["by"], b["rules"]) for b in evening["breaches"]] == [
        ("C13-103", at(DAY, 22, 30), "王收费", ["hours", "quiet_after_conversation"]),
        ("C6-101", at(DAY, 23), "李收费", ["hours", "quiet_after_conversation"]),
        ("C6-101", at(NEXT, 0), "李收费", ["hours", "quiet_after_conversation"]),
    ]


def test_the_operations_report_covers_only_the_offices_in_their_charge(world, activity):
    reports = daily_reports(DAY, [world.office, world.other_office])
    assert set(reports["operations"]) == {(world.ops.pk, world.region.pk)}
    report = reports["operations"][(world.ops.pk, world.region.pk)]
    assert report["manager"] == "运营" and report["region_id"] == world.region.pk
    assert report["offices"] == [
        {"office": "北苑服务处", "window": WINDOW, "figures": asdict(OFFICE_WINDOW)}
    ]
    assert report["totals"] == asdict(OFFICE_WINDOW) and report["window"] == WINDOW
    assert report["empty"] is False


def test_an_empty_day_is_marked_empty_even_with_issues_still_open(world, activity):
    quiet_day = NEXT + datetime.timedelta(days=1)
    office = daily_reports(quiet_day, [world.office])["office"][world.office.pk]
    assert office["empty"] is True
    assert office["totals"] == asdict(Figures(open_issues=3))
    assert office["new_issues"] == [] and office["breaches"] == []


# --- 3. morning_brief --------------------------------------------------------------------------


def test_the_morning_brief_shows_each_office_and_the_change_since_the_day_before(world, activity):
    """The brief covers the day's 18:00 window, so it agrees with the 18:00 reports."""
    brief = morning_brief(DAY, world.region)
    assert brief["region"] == "东区" and brief["day"] == DAY
    assert brief["window"] == WINDOW
    assert brief["offices"] == [
        {"office": "北苑服务处", "figures": asdict(OFFICE_WINDOW), "change": asdict(CHANGE_WINDOW)}
    ]
    assert brief["offices"][0]["change"]["attempts"] == 4 - 1
    assert brief["totals"] == asdict(OFFICE_WINDOW)
    assert brief["change"] == asdict(CHANGE_WINDOW)
    assert brief["empty"] is False


def test_the_morning_brief_sums_every_office_of_the_region(world, activity, clock):
    second, campaign = make_office_with_campaign(world.region, "west-garden", "西苑服务处")
    team = Team.objects.create(campaign=campaign, code="A")
    add_cases(SimpleNamespace(office=second, campaign=campaign, team_a=team), 1, "W")
    case = Case.objects.get(campaign=campaign)
    log(clock, case, world.manager, at(DAY, 9), "office_meeting", "owner", "talked")
    log(clock, case, world.manager, at(DAY, 10), "payment_notice", "owner", "delivered")
    log(clock, case, world.manager, at(DAY, 11), "payment_notice", "owner", "delivered")
    log(clock, case, world.manager, at(PREV, 9), "payment_notice", "owner", "delivered")
    brief = morning_brief(DAY, world.region)
    assert [o["office"] for o in brief["offices"]] == ["北苑服务处", "西苑服务处"]
    west = brief["offices"][1]
    assert (west["figures"]["attempts"], west["change"]["attempts"]) == (3, 2)
    assert west["figures"]["owners_reached"] == 1
    assert brief["totals"]["attempts"] == 4 + 3
    assert brief["change"]["attempts"] == 3 + 2


# --- 4. weekly_pack ----------------------------------------------------------------------------


@pytest.fixture
def plans(world, activity):
    """Planned dates around MONDAY on open cases (case_a is cleared: never overdue)."""
    add_cases(world, 3, "P")
    p0, p1, p2 = (Case.objects.get(household__unit_code=f"P{i}-101") for i in range(3))
    plan = {
        p0: MONDAY + datetime.timedelta(days=2),
        p1: MONDAY + datetime.timedelta(days=7),  # the week after next: not due yet
        p2: MONDAY - datetime.timedelta(days=3),  # overdue
        world.case_b: MONDAY,
        world.case_a: MONDAY - datetime.timedelta(days=10),
        world.other_case: MONDAY + datetime.timedelta(days=1),
    }
    for case, day in plan.items():
        Case.objects.filter(pk=case.pk).update(planned_date=day)


def test_the_monday_pack_has_progress_last_weeks_figures_and_the_leaderboard(world, plans):
    pack = weekly_pack(MONDAY, world.region)
    assert pack["region"] == "东区"
    assert (pack["monday"], pack["week_from"]) == (MONDAY, datetime.date(2026, 11, 23))
    [office] = pack["offices"]
    assert office["office"] == "北苑服务处"
    assert (office["cases"], office["cleared"]) == (5, 1)
    assert office["collected_to_date"] == D("2200")
    assert office["days_left"] == (world.campaign.target_date - MONDAY).days == 65
    week = dict(office["week"])
    assert week == {
        "attempts": 9, "owners_reached": 3, "promises_made": 4, "promised_amount": D("770"),
        "promises_due": 4, "instalments_due": 0, "payments": 7, "collected": D("2200"), "cleared": 1,
        "new_issues": 5, "open_issues": 3, "breaches": 3, "backdated": 0, "exemptions": 0,
    }  # fmt: skip
    assert pack["window"] == {
        "from": at(datetime.date(2026, 11, 22), 18), "to": at(datetime.date(2026, 11, 29), 18),
        "by": "recorded",
    }  # fmt: skip
    # case_a's clearance followed a breach on the case, so it earns no place in the ranking
    assert office["leaderboard"] == [
        {"rank": 1, "team": str(world.team_a), "cleared": 0, "collected": D("1700"),
         "points": 0, "change": 0},
        {"rank": 2, "team": str(world.team_b), "cleared": 0, "collected": D("500"),
         "points": 0, "change": -1},
    ]  # fmt: skip


def test_the_monday_pack_counts_open_cases_not_yet_classified_per_office(world, plans):
    # P0 and P1 are open; case_a is cleared: it needs no classifying any more.
    units = ["P0-101", "P1-101", "C6-101"]
    Case.objects.filter(campaign=world.campaign, household__unit_code__in=units).update(
        category=DebtorCategory.UNCLASSIFIED
    )
    [office] = weekly_pack(MONDAY, world.region)["offices"]
    assert office["unclassified"] == 2


def test_the_monday_packs_week_counts_every_promise_due_that_week(world, plans):
    [office] = weekly_pack(MONDAY, world.region)["offices"]
    assert office["week"]["promises_due"] == 4


def test_the_monday_pack_lists_open_issues_plans_and_last_weeks_breaches(world, plans):
    pack = weekly_pack(MONDAY, world.region)
    a, b = world.case_a.pk, world.case_b.pk
    p0, p2 = (Case.objects.get(household__unit_code=f"P{i}-101").pk for i in (0, 2))
    assert pack["open_issues"] == [
        {"office": "北苑服务处", "unit": "C6-101", "case": a, "title": "业主要求先修屋顶",
         "by": "李收费", "team": "A", "age_days": 6},
        {"office": "北苑服务处", "unit": "C6-101", "case": a, "title": "业主称车位被占",
         "by": "李收费", "team": "A", "age_days": 5},
        {"office": "北苑服务处", "unit": "C6-101", "case": a, "title": "漏水未修", "by": "赵组长",
         "team": "A", "age_days": 4},
    ]  # fmt: skip
    assert pack["plans_due"] == [
        {"office": "北苑服务处", "unit": "C13-103", "case": b, "date": MONDAY, "team": "B",
         "responsible": "王收费"},
        {"office": "北苑服务处", "unit": "P0-101", "case": p0,
         "date": MONDAY + datetime.timedelta(days=2), "team": "A", "responsible": ""},
    ]  # fmt: skip
    assert pack["overdue"] == [
        {"office": "北苑服务处", "unit": "P2-101", "case": p2,
         "date": MONDAY - datetime.timedelta(days=3), "days": 3, "team": "A"},
    ]  # fmt: skip
    assert [(b["unit"], b["at"], b["by"]) for b in pack["breaches"]] == [
        ("C13-103", at(DAY, 22, 30), "王收费"),
        ("C6-101", at(DAY, 23), "李收费"),
        ("C6-101", at(NEXT, 0), "李收费"),
    ]
    assert pack["counts"] == {
        "plans_due": 2, "overdue": 1, "open_issues": 3, "breaches": 3, "limitation": 4,
        "limitation_expired": 4, "legal_ready": 0, "letters_to_chase": 0, "legal_open": 0,
        "waivers_pending": 0, "plans_behind": 0,
    }  # fmt: skip


def test_a_pack_produced_later_in_the_week_lists_only_issues_open_on_its_monday(world, plans):
    # clock: Thursday 26 November; the pack of Monday 23 November, before any issue was raised
    pack = weekly_pack(THIS_MONDAY, world.region)
    assert all(issue["age_days"] >= 0 for issue in pack["open_issues"])
    assert pack["open_issues"] == []


# --- 5. storing ----------------------------------------------------------------------------------


def office_summary(world, day=DAY, office=None):
    office = office or world.office
    return Summary.objects.get(
        kind=Summary.Kind.DAILY_OFFICE, scope=f"office:{office.pk}", for_date=day
    )


def test_producing_twice_stores_one_summary_per_kind_scope_and_day_with_the_new_data(
    world, activity, clock
):
    first = produce_daily(day=DAY)
    assert len(first) == 6  # 3 teams, 2 offices, 1 operations manager
    stored = Summary.objects.filter(for_date=DAY)
    assert sorted(stored.values_list("kind", "scope")) == sorted(
        [
            (Summary.Kind.DAILY_TEAM, f"team:{world.team_a.pk}"),
            (Summary.Kind.DAILY_TEAM, f"team:{world.team_b.pk}"),
            (Summary.Kind.DAILY_TEAM, f"team:{world.other_team.pk}"),
            (Summary.Kind.DAILY_OFFICE, f"office:{world.office.pk}"),
            (Summary.Kind.DAILY_OFFICE, f"office:{world.other_office.pk}"),
            (Summary.Kind.DAILY_OPERATIONS, f"operations:{world.ops.pk}:region:{world.region.pk}"),
        ]
    )
    summary = office_summary(world)
    assert summary.data["totals"]["attempts"] == 4
    assert D(summary.data["totals"]["collected"]) == D("800")
    assert summary.data["window"] == {
        "from": "2026-11-24T18:00:00+08:00", "to": "2026-11-25T18:00:00+08:00", "by": "recorded"
    }  # fmt: skip
    # an entry recorded before the cut-off that the first run did not see, then the report again
    log(
        clock,
        world.case_b,
        world.collector_b,
        at(DAY, 17, 30),
        "payment_notice",
        "owner",
        "delivered",
    )
    second = produce_daily(day=DAY, by="rerun")
    assert {s.pk for s in second} == {s.pk for s in first}
    assert Summary.objects.filter(for_date=DAY).count() == 6
    summary = office_summary(world)
    assert summary.data["totals"]["attempts"] == 5
    assert summary.data["teams"][1]["figures"]["attempts"] == 2
    assert summary.generated_by == "rerun"


def test_people_are_told_once_by_inbox_and_by_e_mail_with_an_html_part(
    world, activity, mailoutbox, django_capture_on_commit_callbacks
):
    world.manager.email = "manager@example.com"
    world.manager.save()
    breaches_before = Notification.objects.filter(recipient=world.manager).count()
    with django_capture_on_commit_callbacks(execute=True):
        produce_daily(day=DAY)
    assert told(world.manager).count() == 1
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        produce_daily(day=DAY)
    assert told(world.manager).count() == 1
    assert Notification.objects.filter(recipient=world.manager).count() == breaches_before + 1
    assert len(mailoutbox) == 1
    summary = office_summary(world)
    assert summary.notified_at is not None
    [mail] = mailoutbox
    assert mail.bcc == ["manager@example.com"]
    assert mail.subject.startswith("[清欠台]")
    assert "北苑服务处" in mail.subject and "2026-11-25" in mail.subject
    url = reverse("summary-detail", args=[summary.pk])
    assert url in mail.body and ": 4" in mail.body  # the 4 attempts since 18:00 the day before
    assert "18:00 11-24 → 18:00 11-25" in mail.body
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html" and "<h2" in html and url in html
    assert "18:00 11-24 → 18:00 11-25" in html
    assert told(world.manager).get().url == url


# --- 6. who gets what ----------------------------------------------------------------------------


def test_each_summary_goes_to_the_people_who_read_it(world, activity):
    produce_daily(day=DAY, region=world.region)
    produce_brief(day=DAY, region=world.region)
    produce_weekly(monday=MONDAY, region=world.region)
    readers = {}
    for n in Notification.objects.filter(kind=Notification.Kind.SUMMARY):
        summary = Summary.objects.get(pk=int(n.url.rstrip("/").rsplit("/", 1)[1]))
        readers.setdefault((summary.kind, summary.scope), set()).add(n.recipient.username)
    region = f"region:{world.region.pk}"
    assert readers == {
        (Summary.Kind.DAILY_TEAM, f"team:{world.team_a.pk}"): {"leader_a"},
        (Summary.Kind.DAILY_OFFICE, f"office:{world.office.pk}"): {"manager"},
        (Summary.Kind.DAILY_OPERATIONS, f"operations:{world.ops.pk}:region:{world.region.pk}"): {
            "ops"
        },
        (Summary.Kind.MORNING_BRIEF, region): {"director"},
        # the Monday pack: each reader their own copy (issue 12)
        (Summary.Kind.WEEKLY_PACK, region): {"director"},
        (Summary.Kind.WEEKLY_PACK, f"office:{world.office.pk}"): {"manager"},
        (Summary.Kind.WEEKLY_PACK, f"operations:{world.ops.pk}:{region}"): {"ops"},
    }
    # team B has no leader: its report is stored but nobody is told
    assert Summary.objects.filter(kind=Summary.Kind.DAILY_TEAM, team=world.team_b).exists()
    for user in (world.other_manager, world.other_collector, world.collector_a, world.site):
        assert not told(user).exists()


# --- 7. catch_up -----------------------------------------------------------------------------


def test_catch_up_produces_the_days_reports_at_18_00_and_only_once(world, clock):
    clock.move_to(at(DAY, 17, 59))
    catch_up()  # the first run: nothing before today (the install's first day)
    assert not Summary.objects.filter(for_date=DAY).exists()
    assert catch_up() == []
    clock.move_to(at(DAY, 18))
    produced = catch_up()
    assert len(produced) == 6
    assert {(s.kind, s.for_date) for s in produced} == {
        (Summary.Kind.DAILY_TEAM, DAY),
        (Summary.Kind.DAILY_OFFICE, DAY),
        (Summary.Kind.DAILY_OPERATIONS, DAY),
    }
    assert all(s.generated_by == "catch-up" for s in produced)
    assert catch_up() == []
    assert Summary.objects.filter(for_date=DAY).count() == 6


def test_catch_up_keeps_a_regions_own_daily_hour(world, clock):
    world.region.daily_summary_at = datetime.time(17, 0)
    world.region.save()
    clock.move_to(at(DAY, 16, 59))
    catch_up()
    assert not Summary.objects.filter(for_date=DAY).exists()
    clock.move_to(at(DAY, 17))
    assert {k for k in kinds(catch_up()) if k[0] == Summary.Kind.DAILY_OFFICE} == {
        (Summary.Kind.DAILY_OFFICE, "east", DAY)
    }
    clock.move_to(at(DAY, 18))
    assert {k for k in kinds(catch_up()) if k[0] == Summary.Kind.DAILY_OFFICE} == {
        (Summary.Kind.DAILY_OFFICE, "west", DAY)
    }


def installed_since(when):
    """The scheduler first ran at `when` on this installation."""
    SchedulerStart.objects.update_or_create(name="summaries", defaults={"started_at": when})


def test_catch_up_produces_a_day_missed_yesterday_and_not_the_day_before(world, clock):
    installed_since(at(DAY - 30 * DAYS, 9))
    clock.move_to(at(DAY, 9))
    offices = {k for k in kinds(catch_up()) if k[0] == Summary.Kind.DAILY_OFFICE}
    assert offices == {(Summary.Kind.DAILY_OFFICE, region, PREV) for region in ("east", "west")}


def test_catch_up_produces_yesterdays_brief_after_08_30(world, clock):
    installed_since(at(DAY - 30 * DAYS, 9))
    clock.move_to(at(DAY, 8, 29))
    catch_up()
    assert not Summary.objects.filter(kind=Summary.Kind.MORNING_BRIEF, for_date=PREV).exists()
    assert catch_up() == []
    clock.move_to(at(DAY, 8, 30))
    assert kinds(catch_up()) == {
        (Summary.Kind.MORNING_BRIEF, "east", PREV),
        (Summary.Kind.MORNING_BRIEF, "west", PREV),
    }


def dated(summaries):
    return {(s.kind, s.for_date) for s in summaries}


DAILY_KINDS = (Summary.Kind.DAILY_TEAM, Summary.Kind.DAILY_OFFICE, Summary.Kind.DAILY_OPERATIONS)


def test_a_fresh_install_catches_up_nothing_for_the_days_before_its_first_start(world, clock):
    """Issue 16: the first start e-mailed 15 summaries of the days before the install."""
    from django.core import mail

    clock.move_to(at(DAY, 10))  # a Wednesday morning: the 18:00 reports, the brief and the
    assert catch_up() == []  # Monday pack of earlier days were all due before the install
    assert SchedulerStart.objects.get().started_at == at(DAY, 10)
    assert not Summary.objects.exists() and not mail.outbox
    clock.move_to(at(DAY, 18))  # the install's own day is reported
    assert dated(catch_up()) == {(k, DAY) for k in DAILY_KINDS}
    clock.move_to(at(NEXT, 8, 30))
    assert dated(catch_up()) == {(Summary.Kind.MORNING_BRIEF, DAY)}
    # a restart does not move the first start
    clock.move_to(at(NEXT + 3 * DAYS, 12))
    catch_up()
    assert SchedulerStart.objects.get().started_at == at(DAY, 10)
    assert not Summary.objects.filter(for_date__lt=DAY).exists()


@pytest.mark.parametrize(
    "back_at, expected",
    [
        # Wednesday 19:00 after 3 days down: Wednesday's reports, Tuesday's brief, this
        # Monday's pack; never Sunday's, Monday's or Tuesday's reports.
        (
            at(DAY, 19),
            {
                *((k, DAY) for k in DAILY_KINDS),
                (Summary.Kind.MORNING_BRIEF, PREV),
                (Summary.Kind.WEEKLY_PACK, THIS_MONDAY),
            },
        ),  # noqa: E501
        # Wednesday 08:00: Tuesday's reports, Monday's brief (due Tuesday 08:30)
        (
            at(DAY, 8),
            {
                *((k, PREV) for k in DAILY_KINDS),
                (Summary.Kind.MORNING_BRIEF, PREV - DAYS),
                (Summary.Kind.WEEKLY_PACK, THIS_MONDAY),
            },
        ),  # noqa: E501
        # Monday 15:00 of the next week: Sunday's reports, Sunday's brief (due Monday 08:30),
        # the pack of the Monday before, missing here (this Monday's is due at 16:00)
        (
            at(MONDAY, 15),
            {
                *((k, MONDAY - DAYS) for k in DAILY_KINDS),
                (Summary.Kind.MORNING_BRIEF, MONDAY - DAYS),
                (Summary.Kind.WEEKLY_PACK, THIS_MONDAY),
            },
        ),  # noqa: E501
    ],
)
def test_after_a_three_day_outage_only_the_last_missed_of_each_kind_is_filled(
    world, clock, back_at, expected
):
    installed_since(at(DAY - 30 * DAYS, 9))
    clock.move_to(back_at)
    produced = catch_up()
    assert dated(produced) == expected
    count, told_count = Summary.objects.count(), Notification.objects.count()
    # running twice duplicates nothing and tells nobody again
    assert catch_up() == []
    assert (Summary.objects.count(), Notification.objects.count()) == (count, told_count)


def test_catch_up_produces_the_monday_pack_after_monday_16_00(world, clock):
    clock.move_to(at(MONDAY, 15, 59))
    catch_up()
    assert not Summary.objects.filter(kind=Summary.Kind.WEEKLY_PACK, for_date=MONDAY).exists()
    assert catch_up() == []
    clock.move_to(at(MONDAY, 16))
    assert kinds(catch_up()) == {
        (Summary.Kind.WEEKLY_PACK, "east", MONDAY),
        (Summary.Kind.WEEKLY_PACK, "west", MONDAY),
    }


def second_office(world, clock):
    """Another running office in world.region, also in the operations manager's charge."""
    office, campaign = make_office_with_campaign(world.region, "west-garden", "西苑服务处")
    team = Team.objects.create(campaign=campaign, code="A")
    add_cases(SimpleNamespace(office=office, campaign=campaign, team_a=team), 1, "W")
    world.ops.staff_profile.offices.add(office)
    case = Case.objects.get(campaign=campaign)
    log(clock, case, world.ops, at(DAY, 9), "payment_notice", "owner", "delivered")
    return office


def test_catch_up_produces_every_office_of_the_region(world, clock):
    office2 = second_office(world, clock)
    clock.move_to(at(DAY, 18))
    catch_up()
    assert office_summary(world).data["totals"]["attempts"] == 0
    assert office_summary(world, office=office2).data["totals"]["attempts"] == 1


def test_catch_up_still_produces_the_other_offices_after_one_office_ran_now(world, clock, client):
    office2 = second_office(world, clock)
    clock.move_to(at(DAY, 17, 59))
    catch_up()
    client.force_login(world.manager)
    client.post(reverse("summary-run"), {"kind": "daily_office", "date": DAY.isoformat()})
    assert office_summary(world).generated_by == "run now: manager"
    clock.move_to(at(DAY, 18, 15))
    catch_up()
    assert office_summary(world, office=office2).data["totals"]["attempts"] == 1


# --- 7b. windows: every attempt and payment in exactly one 18:00 report -------------------------


def report_day(recorded: datetime.datetime) -> datetime.date:
    """Worked out independently of the code: the report whose window holds `recorded`."""
    local = recorded.astimezone(SHANGHAI)
    return local.date() + datetime.timedelta(days=1 if local.time() >= datetime.time(18) else 0)


def test_every_attempt_and_payment_falls_in_exactly_one_daily_report(world, clock):
    """Attempts and payments recorded around every edge of the 18:00 cut-off over several
    days, one entered the next morning for the day before and two backdated: each appears in
    exactly one stored 18:00 report. Each payment has its own power of two in yuan, so a
    report's amount collected names the payments it counted; every attempt is a breach (an
    unrelated person told of the debt), so the report lists each one it counted."""
    d0, d1, d2, d3 = (datetime.date(2026, 11, 23) + datetime.timedelta(days=i) for i in range(4))
    sec = datetime.timedelta(seconds=1)
    # An old month large enough that every payment goes wholly to arrears (collected).
    add_months(world.house_a, [datetime.date(2000, 1, 1)], "9999999")
    moments = [
        at(d0, 18) - sec, at(d0, 18), at(d0, 20, 30), at(d0, 23, 59), at(d1, 0),
        at(d1, 17, 59) + 59 * sec, at(d1, 18), at(d1, 20, 30), at(d1, 23, 59), at(d2, 0),
        at(d2, 12), at(d2, 18) - sec, at(d2, 18), at(d2, 20, 30), at(d2, 23, 59), at(d3, 0),
        at(d3, 18) - sec, at(d3, 18),
    ]  # fmt: skip
    # (dated, recorded): the same moment, or entered later
    entries = [(m, m) for m in moments] + [
        (at(d1, 17, 30), at(d2, 10)),  # the evening's call typed in the next morning
        (at(d2, 19) - 10 * datetime.timedelta(days=1), at(d2, 19)),  # backdated 10 days
    ]
    attempts, payments = {}, {}
    for index, (dated, recorded) in enumerate(sorted(entries, key=lambda e: e[1])):
        clock.move_to(recorded)
        attempt = attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=dated,
            channel="phone_call",
            person_contacted="unrelated",
            outcome="talked",
            third_party_told_of_debt=True,
        )
        assert attempt.breaches and attempt.recorded_at == recorded
        attempts[dated] = report_day(recorded)
        payment = record_payment(world.house_a, str(2**index), world.collector_a, paid_at=dated)
        assert payment.recorded_at == recorded
        payments[index] = report_day(recorded)
    clock.move_to(at(d3, 12))
    backdated = record_payment(
        world.house_a, str(2 ** len(entries)), world.collector_a, paid_at=at(d3, 12) - 12 * DAYS
    )
    payments[len(entries)] = d3
    clock.move_to(at(d3 + DAYS, 19))
    days = [d0, d1, d2, d3, d3 + DAYS]
    for day in days:
        produce_daily(day=day)
    seen_attempts: dict = {}
    seen_payments: dict = {}
    for day in days:
        data = office_summary(world, day).data
        assert data["window"]["from"] == at(day - DAYS, 18).isoformat()
        assert data["window"]["to"] == at(day, 18).isoformat()
        listed = [datetime.datetime.fromisoformat(b["at"]) for b in data["breaches"]]
        assert len(listed) == data["totals"]["attempts"] == data["totals"]["breaches"]
        for moment in listed:
            seen_attempts.setdefault(moment, []).append(day)
        collected = int(D(data["totals"]["collected"]))
        assert data["totals"]["payments"] == collected.bit_count()
        for index in range(collected.bit_length()):
            if collected >> index & 1:
                seen_payments.setdefault(index, []).append(day)
    assert seen_attempts == {dated: [day] for dated, day in attempts.items()}
    assert seen_payments == {index: [day] for index, day in payments.items()}
    # The 18:00:00 entries open the next window; 17:59:59 closes the day's.
    assert attempts[at(d1, 18)] == d2 and attempts[at(d1, 18) - sec] == d1
    # Entered late: listed in the report that counted them, the backdated ones marked.
    late = {
        day: [(e["kind"], e["backdated"]) for e in office_summary(world, day).data["entered_late"]]
        for day in days
    }
    assert late[d2] == [("attempt", False), ("payment", False)]
    assert sorted(late[d3]) == [("attempt", True), ("payment", True), ("payment", True)]
    assert office_summary(world, d3).data["totals"]["backdated"] == 3
    assert backdated.paid_at < at(d2, 18)


def test_the_summary_page_and_the_region_cut_off_state_the_window(world, activity, client):
    produce_daily(day=DAY)
    client.force_login(world.manager)
    page = client.get(reverse("summary-detail", args=[office_summary(world).pk])).content.decode()
    assert 'data-testid="window"' in page and "18:00 11-24 → 18:00 11-25" in page
    world.region.daily_summary_at = datetime.time(17, 0)
    world.region.save()
    office = daily_reports(DAY, [world.office])["office"][world.office.pk]
    assert office["window"]["from"] == at(PREV, 17) and office["window"]["to"] == at(DAY, 17)
    # the other region keeps 18:00 in the same run
    both = daily_reports(DAY, [world.office, world.other_office])["office"]
    assert both[world.other_office.pk]["window"]["to"] == at(DAY, 18)
    assert both[world.office.pk]["totals"] == office["totals"]


def test_the_brief_and_the_pack_state_their_windows(world, activity):
    produce_brief(day=DAY)
    produce_weekly(monday=MONDAY)
    brief = Summary.objects.get(kind=Summary.Kind.MORNING_BRIEF, region=world.region)
    pack = Summary.objects.get(
        kind=Summary.Kind.WEEKLY_PACK, region=world.region, scope=f"region:{world.region.pk}"
    )
    assert brief.data["window"]["from"] == "2026-11-24T18:00:00+08:00"
    assert pack.data["window"] == {
        "from": "2026-11-22T18:00:00+08:00", "to": "2026-11-29T18:00:00+08:00", "by": "recorded"
    }  # fmt: skip


# --- 8. query count ----------------------------------------------------------------------------


def grow(world, clock, *, with_issues):
    """20 more cases over 3 more teams, each team with a day of work on DAY."""
    add_cases(world, 20, "Q")
    new_cases = list(Case.objects.filter(household__unit_code__startswith="Q").order_by("pk"))
    teams = [Team.objects.create(campaign=world.campaign, code=code) for code in "CDE"]
    for i, case in enumerate(new_cases):
        Case.objects.filter(pk=case.pk).update(team=teams[i % 3])
    for team in teams:
        case = Case.objects.filter(team=team).order_by("pk").first()
        log(clock, case, world.collector_a, at(PREV, 22), "phone_call", "owner", "talked")
        pay(clock, case.household, "100", world.collector_a, at(DAY, 12))
        promise(case, "100", DAY, at(DAY, 12), world.collector_a)
        if with_issues:
            raise_issue(clock, case, world.collector_a, at(DAY, 14), f"{team.code}组问题")
    clock.move_to(at(NEXT, 10))
    return teams


def count_queries(world):
    with CaptureQueriesContext(connection) as queries:
        reports = daily_reports(DAY, [world.office])
    return len(queries), reports


def test_daily_reports_cost_the_same_with_more_cases_and_teams(world, activity, clock):
    before, _ = count_queries(world)
    grow(world, clock, with_issues=False)
    after, reports = count_queries(world)
    assert len(reports["team"]) == 5
    assert reports["office"][world.office.pk]["totals"]["attempts"] == 4 + 3
    assert reports["office"][world.office.pk]["totals"]["breaches"] == 0 + 3
    assert after == before


def test_daily_reports_cost_the_same_with_more_new_issues(world, activity, clock):
    before, _ = count_queries(world)
    grow(world, clock, with_issues=True)
    after, reports = count_queries(world)
    assert len(reports["office"][world.office.pk]["new_issues"]) == 2 + 3
    assert after == before


# --- 9. summary pages ----------------------------------------------------------------------------


@pytest.fixture
def stored(world, activity):
    produce_daily(day=DAY)
    produce_brief(day=DAY)
    produce_weekly(monday=THIS_MONDAY)
    return {(s.kind, s.scope): s for s in Summary.objects.all()}


def seen(user):
    return {(s.kind, s.scope) for s in visible_summaries(user)}


def test_each_role_sees_its_own_summaries(world, stored):
    team_a = (Summary.Kind.DAILY_TEAM, f"team:{world.team_a.pk}")
    team_b = (Summary.Kind.DAILY_TEAM, f"team:{world.team_b.pk}")
    office = (Summary.Kind.DAILY_OFFICE, f"office:{world.office.pk}")
    ops = (Summary.Kind.DAILY_OPERATIONS, f"operations:{world.ops.pk}:region:{world.region.pk}")
    brief = (Summary.Kind.MORNING_BRIEF, f"region:{world.region.pk}")
    pack = (Summary.Kind.WEEKLY_PACK, f"region:{world.region.pk}")
    office_pack = (Summary.Kind.WEEKLY_PACK, f"office:{world.office.pk}")
    ops_pack = (Summary.Kind.WEEKLY_PACK, f"operations:{world.ops.pk}:region:{world.region.pk}")
    assert seen(world.collector_a) == {team_a}
    assert seen(world.leader_a) == {team_a}
    assert seen(world.collector_b) == {team_b}
    # the Monday pack: each reader sees their own copy only (issue 12)
    assert seen(world.manager) == {team_a, team_b, office, office_pack}
    assert seen(world.ops) == {team_a, team_b, office, ops, ops_pack}
    assert seen(world.director) == {team_a, team_b, office, ops, brief, pack}
    assert seen(world.site) == set()
    ours = {team_a, team_b, office, ops, brief, pack, office_pack, ops_pack}
    assert seen(world.other_manager) == {
        (Summary.Kind.DAILY_TEAM, f"team:{world.other_team.pk}"),
        (Summary.Kind.DAILY_OFFICE, f"office:{world.other_office.pk}"),
        (Summary.Kind.WEEKLY_PACK, f"office:{world.other_office.pk}"),
    }
    assert not seen(world.other_manager) & ours
    assert not seen(world.other_collector) & ours


# One test for the four readers: producing every summary is what the test costs.
def test_the_summary_page_is_shown_in_scope_and_404_outside(client, world, stored):
    office = stored[(Summary.Kind.DAILY_OFFICE, f"office:{world.office.pk}")]
    team_a = stored[(Summary.Kind.DAILY_TEAM, f"team:{world.team_a.pk}")]
    for who in ("manager", "director", "other_manager", "other_collector"):
        client.force_login(world.roles[who])
        expected = 200 if who in ("manager", "director") else 404
        for summary in (office, team_a):
            response = client.get(reverse("summary-detail", args=[summary.pk]))
            assert response.status_code == expected, who
            if expected == 200:
                assert summary.data["day"] == "2026-11-25"
                assert response.context["summary"] == summary
        if expected == 200:
            page = client.get(reverse("summary-detail", args=[office.pk])).content.decode()
            assert "C6-101" in page and "业主称车位被占" in page, who


def test_the_summary_list_shows_a_collector_only_their_teams_reports(client, world, stored):
    client.force_login(world.collector_a)
    response = client.get(reverse("summary-list"))
    assert response.status_code == 200
    assert [(s.kind, s.team_id) for s in response.context["summaries"]] == [
        (Summary.Kind.DAILY_TEAM, world.team_a.pk)
    ]


def test_the_office_manager_runs_the_office_summary_now_for_a_chosen_day(client, world, activity):
    client.force_login(world.manager)
    response = client.post(reverse("summary-run"), {"kind": "daily_office", "date": "2026-11-24"})
    assert response.status_code == 302 and response.url == reverse("summary-list")
    summary = office_summary(world, day=PREV)
    assert summary.generated_by == "run now: manager"
    assert summary.data["totals"]["attempts"] == 1
    assert D(summary.data["totals"]["collected"]) == D("100")
    # only the manager's own office is produced
    assert not Summary.objects.filter(office=world.other_office).exists()


@pytest.mark.parametrize(
    ("who", "kind"),
    [("collector_a", "daily_office"), ("leader_a", "daily_office"), ("manager", "morning_brief")],
)
def test_run_now_is_refused_to_those_who_may_not_run_it(client, world, who, kind):
    client.force_login(world.roles[who])
    response = client.post(reverse("summary-run"), {"kind": kind, "date": "2026-11-24"})
    assert response.status_code == 403
    assert not Summary.objects.exists()


def test_run_now_by_one_office_keeps_the_operations_report_whole(client, world, activity, clock):
    second_office(world, clock)
    produce_daily(day=DAY)
    scope = f"operations:{world.ops.pk}:region:{world.region.pk}"
    report = Summary.objects.get(kind=Summary.Kind.DAILY_OPERATIONS, scope=scope, for_date=DAY)
    assert [o["office"] for o in report.data["offices"]] == ["北苑服务处", "西苑服务处"]
    client.force_login(world.manager)
    client.post(reverse("summary-run"), {"kind": "daily_office", "date": DAY.isoformat()})
    report.refresh_from_db()
    assert [o["office"] for o in report.data["offices"]] == ["北苑服务处", "西苑服务处"]
    assert report.data["totals"]["attempts"] == 4 + 1


# --- 10. webhook -----------------------------------------------------------------------------


@pytest.fixture
def hook(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append((self.path, self.headers["Content-Type"], self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode":0}')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}/hook", received=received)
    server.shutdown()
    server.server_close()


def store_brief(world):
    summary, _ = summary_store(
        kind=Summary.Kind.MORNING_BRIEF,
        scope=f"region:{world.region.pk}",
        for_date=DAY,
        region=world.region,
        data=morning_brief(DAY, world.region),
        by="test",
    )
    return summary


def test_a_summary_is_posted_to_the_webhook_as_markdown(
    world, activity, settings, hook, django_capture_on_commit_callbacks
):
    settings.SUMMARY_WEBHOOK_URL = hook.url
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert deliver(store_brief(world)) == 1  # the director
    [(path, content_type, body)] = hook.received
    assert (path, content_type) == ("/hook", "application/json")
    message = json.loads(body)
    assert message["msgtype"] == "markdown"
    content = message["markdown"]["content"]
    assert content.startswith("**") and "东区" in content and "2026-11-25" in content
    # delivered again (a rerun): nobody is told twice, the hook included
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert deliver(Summary.objects.get()) == 0
    assert len(hook.received) == 1


def test_without_a_webhook_url_nothing_is_posted(
    world, activity, settings, hook, django_capture_on_commit_callbacks
):
    settings.SUMMARY_WEBHOOK_URL = ""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        produce_brief(day=DAY, region=world.region)
    assert len(callbacks) == 1  # the webhook's (the director has no e-mail address)
    assert hook.received == []
    assert told(world.director).count() == 1


def test_a_managers_run_now_tells_nobody_and_the_scheduled_run_tells_them_once(world, client):
    client.force_login(world.manager)
    client.post(reverse("summary-run"), {"kind": "daily_office", "date": "2026-11-25"})
    office = Summary.objects.get(kind=Summary.Kind.DAILY_OFFICE, office=world.office, for_date=DAY)
    assert office.notified_at is None
    assert not Notification.objects.filter(kind=Notification.Kind.SUMMARY).exists()
    with time_machine.travel(datetime.datetime(2026, 11, 25, 18, 5, tzinfo=SHANGHAI), tick=False):
        catch_up()
    office.refresh_from_db()
    assert office.notified_at is not None
    told = Notification.objects.filter(
        recipient=world.manager, url=reverse("summary-detail", args=[office.pk])
    )
    assert told.count() == 1


def test_the_office_report_counts_exemptions_and_reviewed_breaches(world, clock):
    """Issue 11: every exemption is counted at 18:00; one the manager found a breach counts
    as a breach (contacts between 07:00 and 18:00, inside any report window)."""
    from households.contact import exemption_decide

    early = log(
        clock, world.case_a, world.collector_a, at(DAY, 7, 30), "phone_call", "owner",
        "no_answer", at_owners_request=True, owners_request_note="业主要求上班前打",
    )  # fmt: skip
    log(
        clock, world.case_b, world.collector_b, at(DAY, 10), "phone_call", "owner", "talked",
        callback_at=at(DAY, 15),
    )  # fmt: skip
    log(clock, world.case_b, world.collector_b, at(DAY, 15, 10), "phone_call", "owner", "no_answer")
    clock.move_to(NOW)
    totals = daily_reports(DAY, [world.office])["office"][world.office.pk]["totals"]
    assert (totals["exemptions"], totals["breaches"]) == (2, 0)
    exemption_decide(attempt=early, decision="breach", note="核实：业主未提出", by=world.manager)
    office = daily_reports(DAY, [world.office])["office"][world.office.pk]
    assert (office["totals"]["exemptions"], office["totals"]["breaches"]) == (2, 1)
    assert [b["rules"] for b in office["breaches"]] == [["hours"]]


def test_report_day_is_the_day_whose_18_00_report_covers_the_moment(world):
    from summaries.windows import report_day, report_window

    day = datetime.date(2026, 11, 25)
    assert report_day(at(day, 17, 59), world.region) == day
    assert report_day(at(day, 18), world.region) == day + datetime.timedelta(days=1)
    assert report_day(at(day, 0), world.region) == day
    world.region.daily_summary_at = datetime.time(17, 30)
    assert report_day(at(day, 17, 45), world.region) == day + datetime.timedelta(days=1)
    # The day it names is the one whose window holds the moment.
    for moment in (at(day, 17, 29), at(day, 17, 30), at(day, 23, 59)):
        start, end = report_window(report_day(moment, world.region), world.region)
        assert start <= moment < end


def test_the_region_without_its_own_hours_follows_the_settings_times(world, settings):
    from summaries.windows import report_day, scheduled_times

    settings.SUMMARY_DAILY_AT = datetime.time(17, 30)
    settings.SUMMARY_BRIEF_AT = datetime.time(7, 45)
    settings.SUMMARY_WEEKLY_AT = datetime.time(15, 0)
    assert list(scheduled_times(world.region).values()) == [
        datetime.time(17, 30),
        datetime.time(7, 45),
        datetime.time(15, 0),
    ]
    day = datetime.date(2026, 11, 25)
    assert report_day(at(day, 17, 45), world.region) == day + datetime.timedelta(days=1)


# --- 11. the Monday pack: each reader gets the offices in their scope only --------------------

HT_UNIT, HT_OWNER, HT_RECEIPT, HT_ISSUE = "HT8-808", "华庭业主", "HT-RCPT-0001", "华庭门禁纠纷"
NORTH_RECEIPT = "NORTH-RCPT-0009"
# What each office's pack, page, mail and workbook show, and what the other's readers must not.
NORTH_ONLY = ["C6-101", "C13-103", "张静", "高萌", NORTH_RECEIPT, "北苑服务处", "业主称车位被占"]
HUATING_ONLY = [HT_UNIT, HT_OWNER, HT_RECEIPT, "华庭服务处", HT_ISSUE]
ONLY_IN_WORKBOOKS = {"张静", "高萌", HT_OWNER, NORTH_RECEIPT, HT_RECEIPT}  # not on the page


@pytest.fixture
def huating(world, activity, clock):
    """A second running office in world.region (华庭) with an owner, a case planned in the
    past (overdue at the pack's Monday), an open issue and a payment with a receipt; its own
    office manager and an operations manager in charge of 华庭 only. North gets a receipt too."""
    from tests.conftest import make_household, make_user

    office, campaign = make_office_with_campaign(world.region, "huating", "华庭服务处")
    team = Team.objects.create(campaign=campaign, code="A")
    house = make_household(
        office,
        HT_UNIT,
        first=datetime.date(2014, 1, 1),
        last=datetime.date(2015, 5, 1),
        owner=HT_OWNER,
    )
    case = make_case(
        campaign=campaign,
        household=house,
        team=team,
        category="vacant",
        planned_date=MONDAY - datetime.timedelta(days=4),
    )
    Case.objects.filter(pk=world.case_b.pk).update(planned_date=MONDAY - datetime.timedelta(days=2))
    manager = make_user("manager_ht", Role.OFFICE_MANAGER, office=office, name="华庭经理")
    ops = make_user("ops_ht", Role.OPERATIONS_MANAGER, offices=[office], name="华庭运营")
    collector = make_user("collector_ht", Role.COLLECTOR, office=office, name="华庭收费")
    raise_issue(clock, case, collector, at(NEXT, 11), HT_ISSUE)
    clock.move_to(at(NEXT, 12))
    record_payment(house, "100", collector, paid_at=at(NEXT, 11), receipt_no=HT_RECEIPT)
    record_payment(
        world.house_b, "100", world.collector_b, paid_at=at(NEXT, 11), receipt_no=NORTH_RECEIPT
    )
    clock.move_to(at(MONDAY, 16, 5))
    for user in (manager, ops, world.manager, world.ops, world.director):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return SimpleNamespace(office=office, manager=manager, ops=ops, case=case)


def pack_of(user):
    """The Monday pack this user reads: the one copy in their scope."""
    [pack] = visible_summaries(user).filter(kind=Summary.Kind.WEEKLY_PACK, for_date=MONDAY)
    return pack


def readers(world, huating):
    """(user, what their pack must show, what it must never show)."""
    return [
        (huating.manager, HUATING_ONLY, NORTH_ONLY),
        (huating.ops, HUATING_ONLY, NORTH_ONLY),
        (world.manager, NORTH_ONLY, HUATING_ONLY),
        (world.ops, NORTH_ONLY, HUATING_ONLY),
        (world.director, NORTH_ONLY + HUATING_ONLY, []),
    ]


def test_each_reader_opens_a_monday_pack_of_their_own_offices_only(client, world, huating):
    produce_weekly(monday=MONDAY, region=world.region)
    region_pack = Summary.objects.get(
        kind=Summary.Kind.WEEKLY_PACK, scope=f"region:{world.region.pk}", for_date=MONDAY
    )
    for user, shown, never in readers(world, huating):
        client.force_login(user)
        pack = pack_of(user)
        page = client.get(reverse("summary-detail", args=[pack.pk])).content.decode()
        stored = json.dumps(pack.data, ensure_ascii=False)
        for text in shown:
            assert text in page or text in ONLY_IN_WORKBOOKS, (user, text)
        for text in never:
            assert text not in page, f"{user} sees {text!r} on their pack"
            assert text not in stored, f"{user}'s pack stores {text!r}"
        if user != world.director:
            response = client.get(reverse("summary-detail", args=[region_pack.pk]))
            assert response.status_code == 404
            listing = client.get(reverse("summary-list") + "?kind=weekly_pack").context
            assert [s.pk for s in listing["summaries"]] == [pack.pk]
    # the copies are built from the same per-office figures: the region's is their sum
    north, huating_pack = pack_of(world.manager), pack_of(huating.manager)
    assert region_pack.data["totals"]["attempts"] == (
        north.data["totals"]["attempts"] + huating_pack.data["totals"]["attempts"]
    )
    assert [o["office"] for o in region_pack.data["offices"]] == ["北苑服务处", "华庭服务处"]
    assert [p["unit"] for p in north.data["overdue"]] == ["C13-103"]
    assert [p["unit"] for p in huating_pack.data["overdue"]] == [HT_UNIT]
    assert [p["unit"] for p in region_pack.data["overdue"]] == [HT_UNIT, "C13-103"]


def _workbook_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_each_reader_is_mailed_their_own_pack_and_workbook_only(
    world, huating, mailoutbox, settings, hook, django_capture_on_commit_callbacks
):
    settings.SUMMARY_WEBHOOK_URL = hook.url
    with django_capture_on_commit_callbacks(execute=True):
        produce_weekly(monday=MONDAY, region=world.region)
    by_address = {}
    for mail in mailoutbox:
        for address in mail.bcc + mail.to + mail.cc:
            assert address not in by_address, f"{address} is mailed the pack twice"
            by_address[address] = mail
    for user, shown, never in readers(world, huating):
        mail = by_address.pop(user.email)
        [(filename, data, mimetype)] = mail.attachments
        assert filename.endswith(".xlsx") and "spreadsheetml" in mimetype
        book = _workbook_text(data)
        html = mail.alternatives[0][0]
        for text in shown:
            assert text in book, f"{user}'s workbook lacks {text!r}"
        for text in never:
            assert text not in book, f"{user}'s workbook shows {text!r}"
            assert text not in mail.body and text not in html and text not in mail.subject
        url = reverse("summary-detail", args=[pack_of(user).pk])
        assert url in mail.body
    assert by_address == {}
    # the group chat gets one notice for the region, with no office's figures or people
    [(_path, _type, body)] = hook.received
    content = json.loads(body)["markdown"]["content"]
    assert "东区" in content and reverse("summary-list") in content
    for text in NORTH_ONLY + HUATING_ONLY:
        assert text not in content
    assert "¥" not in content


def test_the_pack_goes_to_each_reader_once_through_their_own_copy(world, huating):
    produce_weekly(monday=MONDAY, region=world.region)
    for user, _shown, _never in readers(world, huating):
        [notice] = told(user)
        assert notice.url == reverse("summary-detail", args=[pack_of(user).pk])
    for user in (world.other_manager, world.collector_a, world.leader_a, world.site):
        assert not told(user).exists()


def figure_queries(queries):
    tables = ("households_contactattempt", "arrears_payment", "arrears_case")
    return [q["sql"] for q in queries if any(f'"{t}"' in q["sql"] for t in tables)]


def test_a_huating_only_operations_manager_reads_no_other_offices_daily_reports(world, huating):
    """The 18:00 reports and the brief: the same rule as the pack (issue 12)."""
    produce_daily(day=DAY)
    produce_daily(day=NEXT)
    produce_brief(day=DAY)
    for user in (huating.ops, huating.manager):
        mine = visible_summaries(user)
        assert mine.exists()
        assert not mine.filter(kind=Summary.Kind.MORNING_BRIEF).exists()
        for summary in mine:
            stored = json.dumps(summary.data, ensure_ascii=False)
            assert summary.office in (None, huating.office)
            for text in NORTH_ONLY:
                assert text not in stored, f"{user} reads {text!r} in {summary}"
    [report] = visible_summaries(huating.ops).filter(
        kind=Summary.Kind.DAILY_OPERATIONS, for_date=NEXT
    )
    assert [o["office"] for o in report.data["offices"]] == ["华庭服务处"]


def test_a_monday_pack_per_reader_reuses_the_per_office_figures(world, huating, clock):
    """Three more office managers and operations managers do not add a query."""
    from tests.conftest import make_user

    with CaptureQueriesContext(connection) as before:
        produce_weekly(monday=MONDAY, region=world.region, by="run now: test")
    for i in range(3):
        make_user(f"m{i}", Role.OFFICE_MANAGER, office=huating.office)
        make_user(f"o{i}", Role.OPERATIONS_MANAGER, offices=[huating.office, world.office])
    with CaptureQueriesContext(connection) as after:
        produce_weekly(monday=MONDAY, region=world.region, by="run now: test")
    # the figures are computed once per office whatever the readers: the same queries on the
    # attempts, payments and cases; each new operations manager's copy costs only its storing
    assert figure_queries(after) == figure_queries(before)
    assert len(after) - len(before) <= 3 * 5


def test_an_operations_manager_of_two_regions_gets_one_report_per_region(world, activity):
    """Issue 12.1: a report filed under a region holds only that region's offices, so its
    director never reads another region's office through an operations manager's report."""
    from arrears import scoping

    world.ops.staff_profile.offices.add(world.other_office)  # 南苑, in the west region
    produce_daily(day=DAY)
    stored = {
        s.scope: s for s in Summary.objects.filter(kind=Summary.Kind.DAILY_OPERATIONS, for_date=DAY)
    }
    east = stored[f"operations:{world.ops.pk}:region:{world.region.pk}"]
    west = stored[f"operations:{world.ops.pk}:region:{world.other_region.pk}"]
    assert len(stored) == 2
    assert [o["office"] for o in east.data["offices"]] == [world.office.name]
    assert [o["office"] for o in west.data["offices"]] == [world.other_office.name]
    assert (east.region, west.region) == (world.region, world.other_region)
    director_sees = scoping.summaries(world.director).filter(kind=Summary.Kind.DAILY_OPERATIONS)
    assert list(director_sees) == [east]
    assert set(scoping.summaries(world.ops).filter(kind=Summary.Kind.DAILY_OPERATIONS)) == {
        east,
        west,
    }
