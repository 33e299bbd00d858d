"""Every report counts as collected only what went to debt periods, never the excess.

The case from the issue: ¥9,999,999,999.99 paid (confirmed) on a household owing
¥1,079.50 counts ¥1,079.50 collected; the rest is the household's credit.
"""

import datetime
import io
import zoneinfo
from decimal import Decimal as D

import pytest
import time_machine
from django.utils import translation
from openpyxl import load_workbook

from arrears.models import Office, PaymentAllocation
from arrears.payments import payment_reverse
from arrears.selectors import office_figures
from reports.weekly import WeeklyReport
from summaries.producing import day_figures
from summaries.windows import local_day
from teams.standings import MONTH, leaderboard, load_facts
from tests.conftest import record_payment
from tests.reports.test_weekly import rows

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 25)
HUGE = "9999999999.99"


def at(hour):
    return datetime.datetime.combine(DAY, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def huge(world):
    """House A owes ¥1,700.00; ¥620.50 leaves ¥1,079.50, then the huge payment arrives."""
    with time_machine.travel(at(12), tick=False):
        record_payment(world.house_a, "620.50", world.collector_a, paid_at=at(9))
        world.huge = record_payment(
            world.house_a, HUGE, world.collector_a, paid_at=at(10), confirm_excess=True
        )
    return world


def test_the_huge_payment_pays_only_what_was_owed(huge):
    assert huge.huge.allocated == D("1079.50")
    assert sum(
        PaymentAllocation.objects.filter(payment=huge.huge).values_list("amount", flat=True)
    ) == D("1079.50")


def test_the_days_figures_count_what_went_to_periods(huge):
    figures = day_figures(*local_day(DAY), [huge.office.pk])
    team_a = figures[(huge.office.pk, huge.team_a.pk)]
    assert team_a.payments == 2
    assert team_a.collected == D("1700.00")


def test_a_reversal_takes_back_only_what_was_counted(huge):
    with time_machine.travel(at(13), tick=False):
        payment_reverse(payment=huge.huge, by=huge.manager, reason="录错金额")
    figures = day_figures(*local_day(DAY), [huge.office.pk])
    assert figures[(huge.office.pk, huge.team_a.pk)].collected == D("620.50")


def test_the_weekly_workbook_has_a_sane_collection_rate(huge):
    with translation.override("zh-hans"), time_machine.travel(at(18), tick=False):
        _, _, data = WeeklyReport(
            offices=Office.objects.filter(pk=huge.office.pk),
            week_of=datetime.date(2026, 11, 23),
            name="east",
        ).render()
    header, row = rows(load_workbook(io.BytesIO(data))["概览"])[:2]
    owed, this_week, _change, so_far = row[2:6]
    assert (owed, this_week, so_far) == (3400, 1700, 1700)
    assert row[8] == pytest.approx(0.5)  # 1,700 of 3,400: not 294,117,647%


def test_the_leaderboard_counts_what_went_to_periods(huge):
    with time_machine.travel(at(18), tick=False):
        rows = {
            r.team.code: r.standing.collected for r in leaderboard(load_facts(huge.campaign), MONTH)
        }
    assert rows["A"] == D("1700.00")


def test_the_office_figures_count_what_went_to_periods(huge):
    (office,) = office_figures(Office.objects.filter(pk=huge.office.pk), since=at(0))
    assert office.collected == D("1700.00")
    assert office.balance == D("1700.00")  # house B's months; house A is paid up


def test_the_weekly_payments_sheet_splits_arrears_from_credit(huge):
    with translation.override("en"), time_machine.travel(at(18), tick=False):
        _, _, data = WeeklyReport(
            offices=Office.objects.filter(pk=huge.office.pk),
            week_of=datetime.date(2026, 11, 23),
            name="east",
        ).render()
    sheet = load_workbook(io.BytesIO(data)).worksheets[3]
    header, *payments = rows(sheet)
    assert header[-2:] == ["Paid to arrears", "Kept as credit"]
    amount = header.index("Amount")
    by_amount = {r[amount]: tuple(r[-2:]) for r in payments}
    assert by_amount[9999999999.99] == (1079.5, 9999998920.49)
    assert by_amount[620.5] == (620.5, 0)
