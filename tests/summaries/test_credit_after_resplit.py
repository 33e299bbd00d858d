"""Issue 16, item 1: work stays credited to the team that did it when a case moves mid-week,
and a report of a past window shows the state at the end of that window.

The week of Monday 2026-11-16 (Asia/Shanghai), a case R1-101 (17 months x ¥100) in team A:

  Mon 09:00  the case is opened in team A, collector_a responsible, planned for 11-25
  Mon 19:00  collector_a calls the owner: no answer               (Tuesday's 18:00 window)
  Tue 07:30  collector_a calls again: before 08:00, a breach      (Tuesday's window)
  Tue 10:00  collector_a meets the owner, who promises ¥300 by Fri (Tuesday's window)
  Tue 11:00  the owner pays ¥500 (team A)
  Tue 12:00  collector_a raises a difficult issue
  Wed 10:00  the manager moves the case to team B (teams.assignment, as managers do)
  Thu 10:00  collector_b delivers a payment notice                 (Thursday's window)
  Thu 19:00  Tuesday's and Thursday's 18:00 reports are produced (the case is B's)
  --- the week ends Mon 11-23 00:00 ---
  Mon 11-23 16:00  the Monday meeting: the case is still B's, open, planned for 11-25
  Tue 11-24 08:30  the manager moves the case back to team A, collector_a responsible again
  Tue 11-24 09:00  the owner pays the remaining ¥1,200 (team A): the case is cleared
  Wed 11-25 10:00  the leaderboard, the pack and the workbook are produced, after both moves
"""

import datetime
import io
import zoneinfo
from decimal import Decimal as D

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from arrears.issues import issue_raise
from arrears.models import Case, DebtorCategory, Office, Summary
from households.contact import PromiseInput, attempt_log
from reports.weekly import WeeklyReport
from summaries.producing import Figures, daily_reports, day_figures, weekly_pack
from teams.assignment import case_assign_team, case_set_responsible
from teams.standings import WEEK, leaderboard, load_facts
from tests.conftest import make_case, make_household, record_payment

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MON = datetime.date(2026, 11, 16)
TUE, WED, THU = (MON + datetime.timedelta(days=n) for n in (1, 2, 3))
NEXT_MON = MON + datetime.timedelta(days=7)
WEEK_END = datetime.datetime.combine(NEXT_MON, datetime.time.min, tzinfo=SHANGHAI)


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(at(MON, 9), tick=False) as traveller:
        yield traveller


def _log(clock, case, by, when, channel, outcome, **kw):
    clock.move_to(when)
    return attempt_log(
        case=case,
        by=by,
        occurred_at=when,
        channel=channel,
        person_contacted="owner",
        outcome=outcome,
        **kw,
    )


@pytest.fixture
def resplit(world, clock):
    w = world
    house = make_household(
        w.office,
        "R1-101",
        first=datetime.date(2014, 1, 1),
        last=datetime.date(2015, 5, 1),
        owner="钱业主",
    )
    case = make_case(
        campaign=w.campaign,
        household=house,
        team=w.team_a,
        responsible=w.collector_a,
        category=DebtorCategory.REFUSAL,
        planned_date=datetime.date(2026, 11, 25),
    )
    ca, cb = w.collector_a, w.collector_b
    _log(clock, case, ca, at(MON, 19), "phone_call", "no_answer")
    breach = _log(clock, case, ca, at(TUE, 7, 30), "phone_call", "no_answer")
    _log(
        clock, case, ca, at(TUE, 10), "office_meeting", "promised",
        promise=PromiseInput(amount=D("300"), due_date=MON + datetime.timedelta(days=4)),
    )  # fmt: skip
    clock.move_to(at(TUE, 11))
    record_payment(house, "500.00", ca, case=case, paid_at=at(TUE, 11))
    clock.move_to(at(TUE, 12))
    issue_raise(case=case, by=ca, title="业主要求先修电梯", description="详见记录")
    clock.move_to(at(WED, 10))
    case_assign_team(case=case, team=w.team_b, by=w.manager)
    _log(clock, case, cb, at(THU, 10), "payment_notice", "delivered")
    clock.move_to(at(THU, 19))  # the reports of the week are produced again now
    case.refresh_from_db()
    assert case.team_id == w.team_b.pk
    assert breach.breaches  # before 08:00
    return case


@pytest.fixture
def week_after(world, clock, resplit):
    case, house = resplit, resplit.household
    w = world
    # A cleared case no longer changes team (item 2): the manager moves it back first.
    clock.move_to(at(NEXT_MON + datetime.timedelta(days=1), 8, 30))
    case = case_assign_team(case=case, team=w.team_a, by=w.manager)
    case_set_responsible(case=case, person=w.collector_a, by=w.manager, may_manage_office=True)
    clock.move_to(at(NEXT_MON + datetime.timedelta(days=1), 9))
    record_payment(
        house,
        "1200.00",
        w.collector_a,
        case=case,
        paid_at=at(NEXT_MON + datetime.timedelta(days=1), 9),
    )
    # A case opened after the week: not in last week's workbook.
    make_case(
        campaign=w.campaign,
        household=make_household(
            w.office, "R2-101", first=datetime.date(2015, 1, 1), last=datetime.date(2015, 5, 1)
        ),
        team=w.team_b,
        category=DebtorCategory.UNCLASSIFIED,
    )
    clock.move_to(at(NEXT_MON + datetime.timedelta(days=2), 10))
    case.refresh_from_db()
    assert case.team_id == w.team_a.pk and case.status == Case.Status.CLEARED
    return case


def _mine(figures, world, team):
    return figures.get((world.office.pk, team.pk), Figures())


def test_tuesdays_report_produced_on_thursday_after_the_move_credits_team_a(world, resplit):
    report = daily_reports(TUE, [world.office])
    a = report["team"][world.team_a.pk]["figures"]
    b = report["team"][world.team_b.pk]["figures"]
    assert (a["attempts"], a["owners_reached"], a["breaches"]) == (3, 1, 1)
    assert (a["promises_made"], D(a["promised_amount"])) == (1, D("300"))
    assert (a["payments"], D(a["collected"]), a["new_issues"]) == (1, D("500"), 1)
    assert (b["attempts"], b["breaches"], b["promises_made"], b["payments"]) == (0, 0, 0, 0)
    assert b["new_issues"] == 0
    office = report["office"][world.office.pk]
    rows = {r["team"]: r["figures"] for r in office["teams"]}
    assert rows[str(world.team_a)]["breaches"] == 1  # the red breach sits under team A
    assert rows[str(world.team_b)]["breaches"] == 0
    assert [(b["unit"], b["by"], b["team"]) for b in office["breaches"]] == [
        ("R1-101", "李收费", "A")
    ]
    assert [(i["unit"], i["team"]) for i in office["new_issues"]] == [("R1-101", "A")]


def test_thursdays_report_credits_team_b_for_its_own_attempt_only(world, resplit):
    figures = day_figures(at(WED, 18), at(THU, 18), [world.office.pk])
    assert _mine(figures, world, world.team_b).attempts == 1
    assert _mine(figures, world, world.team_a).attempts == 0
    # The promise made by A falls due on Friday: it stays A's promise.
    friday = day_figures(at(THU, 18), at(THU + datetime.timedelta(days=1), 18), [world.office.pk])
    assert _mine(friday, world, world.team_a).promises_due == 1
    assert _mine(friday, world, world.team_b).promises_due == 0


def test_the_leaderboard_of_that_week_credits_the_money_to_team_a(world, week_after):
    board = leaderboard(load_facts(world.campaign), WEEK, now=at(NEXT_MON, 10))
    collected = {row.team.pk: row.standing.collected for row in board}
    assert collected[world.team_a.pk] == D("500")
    assert collected[world.team_b.pk] == D("0")


def test_the_monday_pack_lists_the_breach_and_issue_under_a_and_the_plan_under_b(world, week_after):
    pack = weekly_pack(NEXT_MON, world.region, [world.office])
    assert [(b["unit"], b["team"]) for b in pack["breaches"]] == [("R1-101", "A")]
    assert ("R1-101", "A") in [(i["unit"], i["team"]) for i in pack["open_issues"]]
    # At the meeting (Monday 16:00) the case was B's and open; it is A's and cleared now.
    assert ("R1-101", "B", "") in [
        (p["unit"], p["team"], p["responsible"]) for p in pack["plans_due"]
    ]
    week = pack["offices"][0]["week"]
    assert (week["attempts"], week["breaches"], week["promises_made"]) == (4, 1, 1)


def _sheet(wb, title, first_heading):
    """Rows of a sheet from its heading row on, as dicts by heading (whatever title block
    sits above the table; without the totals row under it)."""
    rows = [list(r) for r in wb[title].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_heading)
    heading = rows[start]
    return [
        dict(zip(heading, r, strict=False))
        for r in rows[start + 1 :]
        if any(r) and not (isinstance(r[0], str) and r[0].startswith(("Total", "合计")))
    ]


def test_last_weeks_workbook_shows_the_case_as_it_stood_and_credits_a(world, week_after):
    with translation.override("en"):
        _name, _type, data = WeeklyReport(
            offices=Office.objects.filter(pk=world.office.pk), week_of=MON, name="east"
        ).render()
    wb = load_workbook(io.BytesIO(data))
    cases = {r["Unit"]: r for r in _sheet(wb, "Cases", "Office")}
    row = cases["R1-101"]
    # As at Monday 00:00 after the week: B's (moved Wednesday), nobody responsible (the
    # move cleared collector_a), partly paid ¥500 of ¥1,700; not A's and cleared as today.
    assert row["Team"] == "B"
    assert row["Responsible"] in ("", None)
    assert row["Status"] != "cleared"
    assert (row["Owed"], row["Paid"], row["Balance"]) == (1700, 500, 1200)
    assert row["Unpaid months"] == "2014-06 — 2015-05 (12 months)"
    assert row["Last contact"] == at(THU, 10).replace(tzinfo=None)
    assert "R2-101" not in cases
    summary = {r["Office"]: r for r in _sheet(wb, "Summary", "Office")}[world.office.name]
    assert summary["Cases"] == len(cases)
    assert summary["Open cases not yet classified"] == sum(
        1 for r in cases.values() if r["Category"].startswith("not yet classified")
    )
    payments = _sheet(wb, "Payments this week", "Paid at")
    assert [(p["Unit"], p["Team"]) for p in payments] == [("R1-101", "A")]
    breaches = _sheet(wb, "Breaches this week", "When")
    assert [(b["Unit"], b["Made by"], b["Team"]) for b in breaches] == [("R1-101", "李收费", "A")]
    issues = _sheet(wb, "Open difficult issues", "Office")
    assert [(i["Unit"], i["Team"]) for i in issues if i["Unit"] == "R1-101"] == [("R1-101", "A")]


def test_this_weeks_workbook_shows_the_case_as_it_is_now(world, week_after):
    with translation.override("en"):
        _name, _type, data = WeeklyReport(
            offices=Office.objects.filter(pk=world.office.pk), week_of=NEXT_MON, name="east"
        ).render()
    cases = {r["Unit"]: r for r in _sheet(load_workbook(io.BytesIO(data)), "Cases", "Office")}
    row = cases["R1-101"]
    assert (row["Team"], row["Responsible"], row["Paid"], row["Balance"]) == (
        "A",
        "李收费",
        1700,
        0,
    )
    assert "R2-101" in cases


def test_the_command_run_on_thursday_for_tuesday_stores_the_work_under_team_a(world, resplit):
    """The management command that re-produces a past day (as an administrator would)."""
    call_command(
        "daily_summary", date=TUE.isoformat(), region=world.region.code, stdout=io.StringIO()
    )
    stored = {
        s.team_id: s.data["figures"]
        for s in Summary.objects.filter(kind=Summary.Kind.DAILY_TEAM, for_date=TUE)
    }
    assert (stored[world.team_a.pk]["attempts"], stored[world.team_a.pk]["breaches"]) == (3, 1)
    assert (stored[world.team_b.pk]["attempts"], stored[world.team_b.pk]["breaches"]) == (0, 0)


def test_the_office_report_page_names_the_team_beside_its_breach_and_issue(world, resplit, client):
    call_command(
        "daily_summary", date=TUE.isoformat(), region=world.region.code, stdout=io.StringIO()
    )
    office = Summary.objects.get(kind=Summary.Kind.DAILY_OFFICE, for_date=TUE)
    client.force_login(world.manager)
    for language, team_a in (("zh-hans", "A组"), ("en", "Team A")):
        client.cookies["django_language"] = language
        page = client.get(reverse("summary-detail", args=[office.pk])).content.decode()
        breaches = page[page.index("R1-101", page.index("⚠") - 400) :]
        assert f"({team_a})" in breaches.split("⚠")[0], language
        assert f", {team_a})" in page, language  # the new issue: (raised by, team)
