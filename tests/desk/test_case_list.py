import datetime
import re
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext

from arrears.models import Case, DebtorCategory
from desk.case_queries import BROKEN_PROMISE, PLAN_REACHED, cases_to_work
from desk.filters import ageing_q
from households.contact import attempt_log
from households.contact_policy import make_breach
from households.models import ContactPolicy
from tests.conftest import add_cases, make_promise, record_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI)  # a Wednesday


def units(response):
    return [row.record.household.unit_code for row in response.context["table"].page.object_list]


def answers_in(html):
    """The contact-now badges per row: unit → [(channel, state), ...]."""
    rows = re.findall(r'<tr[^>]*data-unit="([^"]+)"[^>]*>(.*?)</tr>', html, re.S)
    return {unit: re.findall(r'data-answer="(\w+)" data-state="(\w+)"', row) for unit, row in rows}


def get(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("case-list"), params)
    assert response.status_code == 200
    return response


def test_a_broken_promise_goes_to_the_top_then_plans_reached(client, world):
    today = timezone.localdate()
    world.case_b.planned_date = today - datetime.timedelta(days=1)
    world.case_b.save()
    make_promise(
        case=world.case_a,
        amount=D("100"),
        due_date=today - datetime.timedelta(days=2),
        recorded_by=world.collector_a,
        recorded_at=timezone.now() - datetime.timedelta(days=3),
    )
    rows = list(cases_to_work(world.manager))
    assert [(r.household.unit_code, r.priority) for r in rows] == [
        ("C6-101", BROKEN_PROMISE),
        ("C13-103", PLAN_REACHED),
    ]
    assert units(get(client, world.manager)) == ["C6-101", "C13-103"]


# At noon: at night the call and the visit would answer "later" for every household.
@time_machine.travel(NOON, tick=False)
def test_a_household_that_may_not_be_contacted_now_comes_after_one_that_may(client, world):
    world.house_a.written_contact_only = True
    world.house_a.written_only_since = timezone.localdate()
    world.house_a.save()
    response = get(client, world.manager)
    assert units(response) == ["C13-103", "C6-101"]
    html = response.content.decode()
    assert "仅限书面" in html or "written only" in html
    # One badge says it for the call, the message and the visit.
    assert answers_in(html)["C6-101"] == [("all", "written_only")]
    badge = re.search(r'<span [^>]*data-answer="all"[^>]*>', html).group(0)
    assert escape(make_breach("written_only").message) in badge
    assert answers_in(html)["C13-103"] == [
        ("call", "allowed"),
        ("message", "allowed"),
        ("visit", "allowed"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "c6"}, ["C6-101"]),
        ({"q": "高萌"}, ["C13-103"]),
        ({"category": DebtorCategory.UNREACHABLE}, ["C13-103"]),
        ({"status": "open"}, ["C13-103", "C6-101"]),
        ({"building": "c13"}, ["C13-103"]),
        ({"balance_min": "1000", "balance_max": "1700"}, ["C13-103", "C6-101"]),
        ({"balance_max": "999"}, []),
        ({"ageing": "3-"}, ["C13-103", "C6-101"]),  # 2014-01 is more than 3 years ago
        ({"ageing": "0-1"}, []),
        ({"overdue": "on"}, []),
    ],
)
def test_filters(client, world, params, expected):
    assert sorted(units(get(client, world.manager, **params))) == sorted(expected)


def test_team_and_responsible_filters_offer_only_what_the_user_may_see(client, world):
    response = get(client, world.manager, team=world.team_a.pk)
    assert units(response) == ["C6-101"]
    teams = response.context["filter"].form.fields["team"].queryset
    assert set(teams) == {world.team_a, world.team_b}
    response = get(client, world.manager, responsible=world.collector_b.pk)
    assert units(response) == ["C13-103"]
    # another office's team is not a valid choice: the filter says so instead of leaking
    response = get(client, world.manager, team=world.other_team.pk)
    assert response.context["filter"].errors


def test_ageing_buckets_split_at_whole_years():
    today = datetime.date(2026, 11, 27)
    assert set(ageing_q("1-2", today).children) == {
        ("oldest_unpaid__isnull", False),
        ("oldest_unpaid__lte", datetime.date(2025, 11, 1)),
        ("oldest_unpaid__gt", datetime.date(2024, 11, 1)),
    }
    assert set(ageing_q("3-", today).children) == {
        ("oldest_unpaid__isnull", False),
        ("oldest_unpaid__lte", datetime.date(2023, 11, 1)),
    }


def test_totals_row_sums_the_filtered_cases(client, world):
    record_payment(world.house_a, "300.00", world.collector_a)
    response = get(client, world.manager)
    assert response.context["table"].totals == {
        "owed": D("3400.00"),
        "paid": D("300.00"),
        "balance": D("3100.00"),
    }
    assert "¥3,100.00" in response.content.decode()


def test_collectors_see_only_their_teams_cases(client, world):
    assert units(get(client, world.collector_b)) == ["C13-103"]


def test_sorting_by_balance(client, world):
    record_payment(world.house_a, "300.00", world.collector_a)
    assert units(get(client, world.manager, sort="balance")) == ["C6-101", "C13-103"]
    assert units(get(client, world.manager, sort="-balance")) == ["C13-103", "C6-101"]


def log(case, by, at, channel, **kw):
    kw.setdefault("outcome", "sent" if channel in ("sms", "wechat") else "no_answer")
    return attempt_log(
        case=case,
        by=by,
        occurred_at=at,
        channel=channel,
        person_contacted="owner",
        staff_count=2 if channel == "home_visit" else None,
        message_has_opt_out=True,
        **kw,
    )


@time_machine.travel(NOON, tick=False)
def test_the_contact_column_answers_call_message_and_visit_each_on_its_own(client, world):
    log(world.case_a, world.collector_a, NOON.replace(hour=10), "home_visit")
    log(world.case_b, world.collector_b, NOON.replace(hour=9), "wechat")
    html = get(client, world.manager).content.decode()
    answers = answers_in(html)
    assert answers["C6-101"] == [("call", "allowed"), ("message", "allowed"), ("visit", "later")]
    assert answers["C13-103"] == [("call", "allowed"), ("message", "later"), ("visit", "allowed")]
    # Short on the phone (a date and time), the whole answer in the title.
    visit = re.search(
        r'<span class="badge[^"]*" data-answer="visit" data-state="later"[^>]*>', html
    )
    assert "2026-12-02 10:00" in visit.group(0)
    assert escape(make_breach("visits_per_7_days").message) in visit.group(0)
    assert gettext("from %(when)s") % {"when": "12-02 10:00"} in html
    assert gettext("from %(when)s") % {"when": "11-26 08:00"} in html  # the next message


@time_machine.travel(NOON, tick=False)
def test_the_contact_column_costs_the_same_queries_for_3_and_10_cases(client, world):
    """Each household's history in one query and the policies in one, whatever the rows."""
    from arrears.models import Case

    ContactPolicy.objects.create(office=world.office, calls_per_day=1)
    client.force_login(world.manager)

    def count():
        for case in Case.objects.filter(campaign=world.campaign).select_related("household"):
            if not case.household.contact_attempts.exists():
                log(case, world.collector_a, NOON.replace(hour=9), "home_visit")
                log(case, world.collector_a, NOON.replace(hour=10), "sms")
                log(case, world.collector_a, NOON.replace(hour=11), "phone_call")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("case-list"))
        rows = answers_in(response.content.decode())
        assert all(states == BLOCKED_ALL for states in rows.values()), rows
        return len(queries), len(rows)

    BLOCKED_ALL = [("call", "later"), ("message", "later"), ("visit", "later")]
    add_cases(world, 1, "S")  # with C6-101 and C13-103: 3 cases
    few, shown_few = count()
    add_cases(world, 7, "L")
    many, shown_many = count()
    assert (shown_few, shown_many) == (3, 10)
    assert many == few


@pytest.mark.parametrize("who", ["manager", "collector_a"])
def test_the_list_makes_the_same_queries_for_10_and_200_cases(client, world, who):
    user = world.roles[who]
    client.force_login(user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("case-list"), {"per_page": 200})
            assert response.status_code == 200
        return len(queries), len(response.context["table"].page.object_list)

    add_cases(world, 8, "S")
    few, shown_few = count()
    add_cases(world, 190, "L")
    many, shown_many = count()
    assert shown_few >= 8 and shown_many >= 198
    assert many == few


def test_the_totals_row_hides_the_same_columns_as_the_header_on_a_phone(client, world):
    html = get(client, world.manager).content.decode()
    head = html[html.index("<thead") : html.index("</thead>")]
    foot = html[html.index("<tfoot") : html.index("</tfoot>")]
    hidden = re.compile(r"<t[hd][^>]*class=\"[^\"]*\bd-none\b")
    assert len(hidden.findall(head)) == len(hidden.findall(foot)) > 0


def test_pages_of_25(client, world):
    add_cases(world, 30, "P")
    response = get(client, world.manager)
    assert len(response.context["table"].page.object_list) == 25
    assert len(units(get(client, world.manager, page=2))) == 7


@time_machine.travel(datetime.datetime(2026, 11, 25, 22, 30, tzinfo=datetime.UTC), tick=False)
def test_the_contact_column_says_from_when_at_night(client, world):
    # 22:30 UTC is 06:30 in Shanghai: contact allowed from 08:00
    html = get(client, world.manager).content.decode()
    assert "11-26 08:00" in html


def test_the_filtered_list_downloads_as_xlsx_with_the_same_rows(client, world):
    import io

    from openpyxl import load_workbook

    record_payment(world.house_a, "300.00", world.collector_a)
    client.force_login(world.manager)
    response = client.get(
        reverse("case-list"), {"category": DebtorCategory.GRIEVANCE, "export": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    data = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[5], r[6]) for r in data] == [("C6-101", 1700, 300, 1400)]
    assert ws["E2"].number_format.startswith('"¥"')
    assert ws.freeze_panes == "A2"


def test_a_collector_downloads_only_their_teams_cases(client, world):
    import io

    from openpyxl import load_workbook

    client.force_login(world.collector_b)
    response = client.get(reverse("case-list"), {"export": "xlsx"})
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == ["C13-103"]


# --- not yet classified (issue 14.3) ----------------------------------------------------------


def _unclassify(case):
    Case.objects.filter(pk=case.pk).update(category=DebtorCategory.UNCLASSIFIED)


def test_a_case_not_yet_classified_shows_a_badge(client, world):
    _unclassify(world.case_b)
    html = get(client, world.manager).content.decode()
    rows = dict(re.findall(r'<tr[^>]*data-unit="([^"]+)"[^>]*>(.*?)</tr>', html, re.S))
    assert 'data-testid="unclassified"' in rows["C13-103"]
    assert "待分类" in rows["C13-103"]
    assert 'data-testid="unclassified"' not in rows["C6-101"]


def test_the_list_filters_the_cases_not_yet_classified(client, world):
    _unclassify(world.case_b)
    response = get(client, world.manager, category=DebtorCategory.UNCLASSIFIED)
    assert units(response) == ["C13-103"]
    choices = dict(response.context["filter"].form.fields["category"].choices)
    assert DebtorCategory.UNCLASSIFIED in choices
