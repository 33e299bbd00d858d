"""The shared `world` (tests/shared_world.py) is the world a test would have built itself.

Each check builds the world the shared way (on a stopped clock at one moment, then dated to
the test's clock) and the old way (on the test's clock), and compares every row, field and
attached related object. ARREARS_CHECK_SHARED_WORLD=1 does the same for every test there is.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from arrears.models import Campaign, Case, Region
from tests.conftest import build_world
from tests.shared_world import SharedWorld, check_against_fresh, real_now

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def test_on_the_real_clock():
    check_against_fresh(build_world)


@pytest.mark.parametrize(
    ("now", "tick"),
    [
        (datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI), False),  # tests/escalation
        # Early morning in Shanghai is the day before in UTC; a leap day before it.
        (datetime.datetime(2016, 3, 1, 7, 0, tzinfo=SHANGHAI), False),
        (datetime.datetime(2027, 1, 1, 0, 0, 30, tzinfo=SHANGHAI), True),
    ],
    ids=["frozen", "frozen-utc-day-before", "ticking"],
)
def test_on_a_clock_moved_by_the_test(now, tick):
    with time_machine.travel(now, tick=tick):
        check_against_fresh(build_world)


def test_built_late_at_night_and_used_the_next_morning():
    built = datetime.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI), tick=False):
        world = check_against_fresh(build_world, at=built)
    assert world.campaign.start_date == datetime.date(2026, 11, 11)


def test_a_world_built_now_is_dated_by_the_test_clock(world):
    today = timezone.localdate()
    assert world.campaign.start_date == today - datetime.timedelta(days=20)
    assert Campaign.objects.get(pk=world.campaign.pk).target_date == world.campaign.target_date
    assert world.case_a.created_at <= datetime.datetime.now(datetime.UTC)
    assert real_now() - world.case_a.created_at < datetime.timedelta(minutes=1)


@pytest.mark.parametrize("run", [1, 2, 3])
def test_each_test_gets_the_world_as_built_whatever_the_last_one_did(world, run):
    case = world.case_a
    assert case.household is world.house_a and case.responsible is world.collector_a
    assert case.campaign is world.campaign and world.roles["manager"] is world.manager
    assert case.status == Case.Status.OPEN and case.responsible_id == world.collector_a.pk
    assert Case.objects.get(pk=case.pk).team == world.team_a
    assert world.house_a.unit_code == "C6-101" and world.campaign.name == "北苑服务处 清收"

    # What a test may do to it: none of it reaches the next test.
    case.responsible = None
    case.team = world.team_b
    case.save()
    world.house_a.unit_code = f"X{run}-101"
    world.house_a.save()
    world.campaign.name = "changed"
    world.campaign.save()
    world.manager.delete()


@pytest.mark.parametrize("run", [1, 2])
def test_a_test_without_the_world_sees_an_empty_database(run):
    assert not Case.objects.exists() and not Campaign.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_opened_again_under_the_world_does_not_leave_its_rows_locked():
    # A test that makes Django connect again while the world is open used to leave the
    # world's transaction alive on the old connection: close() raised "The rollback flag
    # doesn't work outside of an 'atomic' block", and the next test to create the world's
    # region waited on its lock until CI was stopped.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://… (.ci/run does)")
    shared = SharedWorld(build_world)
    shared.open()
    old = connection.connection
    connection.connect()  # what a reconnect inside a test does: the old state is forgotten
    assert not connection.in_atomic_block
    shared.close()
    assert old.closed and not shared.is_open
    with time_machine.travel(real_now(), tick=False):
        build_world()  # the same unique rows again: would wait on the old transaction's locks
    # The old world rolled back with its connection: one of each region, not two.
    assert sorted(Region.objects.values_list("code", flat=True)) == ["east", "west"]
