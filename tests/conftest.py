"""Shared fixtures: two offices in two regions, and a named user for every role.

`world` is what most tests start from; each test gets it fresh inside its transaction.
It is built once and shared by the tests that only start from it (tests/shared_world.py):
each test still gets its own instances, dated by its own clock, and its changes are rolled
back as before.
"""

import datetime
import os
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone, translation
from pytest_django.fixtures import validate_django_db
from simple_history.utils import bulk_create_with_history

from arrears import case_figures
from arrears.ledger import months_between
from arrears.models import (
    Campaign,
    Case,
    DebtorCategory,
    DebtPeriod,
    Office,
    PromiseToPay,
    Region,
    Role,
    StaffProfile,
)
from arrears.roles import user_set_role
from households.models import Household, Owner
from teams.models import Team, TeamMember
from tests.shared_world import SharedWorld, check_against_fresh

# In CI (.ci/run sets this) a skipped test is a failure: every layer must really run there.
REQUIRE_ALL = os.environ.get("ARREARS_REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    from django.conf import settings

    # Hashing a dozen passwords per test with PBKDF2 costs seconds; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Under pytest-xdist each worker has its own test database, so the same primary keys:
    # keep the cache (an import's progress, by job id) apart as well.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    cache = settings.CACHES["default"]
    if worker and cache["BACKEND"].endswith("FileBasedCache"):
        cache["LOCATION"] = f"{cache['LOCATION'].rstrip('/')}-{worker}"


# The tests that take seconds each (a browser, a real worker or server, LibreOffice, a
# subprocess, a whole crawl): run first, so that the workers finish together instead of one
# running the last slow test while the other waits (xdist hands tests out in this order).
SLOW_MARKERS = ("browser", "worker", "libreoffice", "postgres", "redis")
SLOW_FILES = (
    "tests/bench/",
    "tests/config/test_celery.py",
    "tests/config/test_migrations.py",
    "tests/config/test_settings.py",
    "tests/imports/test_files.py",
    "tests/test_english_pages.py",
    "tests/test_fuzz_inputs.py",
)


def pytest_collection_modifyitems(config, items):
    def slow(item) -> bool:
        return item.nodeid.startswith(SLOW_FILES) or any(
            item.get_closest_marker(m) for m in SLOW_MARKERS
        )

    items.sort(key=lambda item: not slow(item))  # stable: the order within each part stays


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"


@pytest.fixture(autouse=True)
def _an_empty_cache():
    """Every test starts with an empty cache: what one test kept (a leaderboard, filed under
    primary keys the next test's rows may reuse) must not be what the next one reads."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _language_as_in_a_fresh_process():
    """Every test starts in the default language (Chinese), as if run alone: a request made
    through the test client leaves its language active in the thread, so without this a test
    would see the language of whichever test ran before it on the same worker."""
    translation.deactivate()
    yield
    translation.deactivate()


def make_user(username, role, *, office=None, region=None, offices=(), name=""):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    user_set_role(user=user, role=role)
    profile = StaffProfile.objects.create(
        user=user, display_name=name or username, office=office, region=region
    )
    if offices:
        profile.offices.set(offices)
    return user


def make_household(office, unit, *, first, last, fee="100.00", owner="业主", phone="13800000000"):
    household = Household.objects.create(office=office, unit_code=unit, area_m2=Decimal("100"))
    Owner.objects.create(household=household, name=owner, phone=phone)
    bulk_create_with_history(
        [
            DebtPeriod(household=household, month=m, amount_due=Decimal(fee))
            for m in months_between(first, last)
        ],
        DebtPeriod,
    )
    return household


def record_payment(household, amount, by, **kw):
    """A cash payment an hour ago, but today, through the real service (allocation, case
    status): a payment at 23:30 yesterday, made just after midnight on the 1st, would fall in
    last month and off this month's board."""
    from arrears.payments import payment_record

    now = timezone.now()
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(now), datetime.time())
    )
    kw.setdefault("paid_at", max(now - datetime.timedelta(hours=1), midnight))
    kw.setdefault("method", "cash")
    return payment_record(household=household, amount=Decimal(amount), by=by, **kw)


def add_cases(world, n, prefix):
    """n more cases in world's campaign (team A), five months of arrears each."""
    for i in range(n):
        house = make_household(
            world.office,
            f"{prefix}{i}-101",
            first=datetime.date(2015, 1, 1),
            last=datetime.date(2015, 5, 1),
        )
        make_case(
            campaign=world.campaign,
            household=house,
            team=world.team_a,
            category=DebtorCategory.VACANT,
        )


def make_office_with_campaign(region, code, name):
    office = Office.objects.create(region=region, code=code, name=name)
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        office=office,
        name=f"{name} 清收",
        start_date=today - datetime.timedelta(days=20),
        target_date=today + datetime.timedelta(days=70),
        arrears_through=datetime.date(2015, 5, 1),
    )
    return office, campaign


def add_offices(world, n, *, planned=None):
    """n more running offices in world.region, each with two teams (a leader and a collector
    each), a case per team with arrears, a payment, an open issue and a planned date (by
    default three days ago), and an office manager: for tests that a cost does not grow
    with the number of offices."""
    from arrears.issues import issue_raise

    planned = planned or timezone.localdate() - datetime.timedelta(days=3)
    offices, first = [], Office.objects.count()
    for i in range(first, first + n):
        office, campaign = make_office_with_campaign(world.region, f"x{i}", f"第{i}服务处")
        make_user(f"x{i}-manager", Role.OFFICE_MANAGER, office=office, name=f"经理{i}")
        for code in "AB":
            team = Team.objects.create(campaign=campaign, code=code)
            leader = make_user(f"x{i}{code}-leader", Role.TEAM_LEADER, office=office)
            collector = make_user(f"x{i}{code}-collector", Role.COLLECTOR, office=office)
            TeamMember.objects.create(team=team, user=leader, role=TeamMember.Role.LEADER)
            TeamMember.objects.create(team=team, user=collector)
            house = make_household(
                office,
                f"X{i}{code}-101",
                first=datetime.date(2014, 1, 1),
                last=datetime.date(2015, 5, 1),
            )
            case = Case.objects.create(
                campaign=campaign,
                household=house,
                team=team,
                responsible=collector,
                category=DebtorCategory.REFUSAL,
                planned_date=planned,
            )
            record_payment(house, "100.00", collector, case=case)
            issue_raise(case=case, by=collector, title="漏水未修", description="详见记录")
        offices.append(office)
    return offices


def build_world():
    w = SimpleNamespace()
    w.region = Region.objects.create(name="东区", code="east")
    w.other_region = Region.objects.create(name="西区", code="west")
    w.office, w.campaign = make_office_with_campaign(w.region, "north", "北苑服务处")
    w.other_office, w.other_campaign = make_office_with_campaign(
        w.other_region, "south", "南苑服务处"
    )

    w.team_a = Team.objects.create(campaign=w.campaign, code="A")
    w.team_b = Team.objects.create(campaign=w.campaign, code="B")
    w.other_team = Team.objects.create(campaign=w.other_campaign, code="A")

    w.leader_a = make_user("leader_a", Role.TEAM_LEADER, office=w.office, name="赵组长")
    w.collector_a = make_user("collector_a", Role.COLLECTOR, office=w.office, name="李收费")
    w.collector_b = make_user("collector_b", Role.COLLECTOR, office=w.office, name="王收费")
    w.manager = make_user("manager", Role.OFFICE_MANAGER, office=w.office, name="北苑经理")
    w.ops = make_user("ops", Role.OPERATIONS_MANAGER, offices=[w.office], name="运营")
    w.director = make_user("director", Role.REGIONAL_DIRECTOR, region=w.region, name="总监")
    w.site = make_user("site", Role.SITE_STAFF, office=w.office, name="门岗")
    w.admin = make_user("admin", Role.ADMINISTRATOR, name="管理员")
    w.other_manager = make_user("other_manager", Role.OFFICE_MANAGER, office=w.other_office)
    w.other_collector = make_user("other_collector", Role.COLLECTOR, office=w.other_office)
    w.nobody = get_user_model().objects.create_user(username="nobody", password="pw-nobody")

    TeamMember.objects.create(team=w.team_a, user=w.leader_a, role=TeamMember.Role.LEADER)
    TeamMember.objects.create(team=w.team_a, user=w.collector_a)
    TeamMember.objects.create(team=w.team_b, user=w.collector_b)
    TeamMember.objects.create(team=w.other_team, user=w.other_collector)

    first, last = datetime.date(2014, 1, 1), datetime.date(2015, 5, 1)  # 17 months
    w.house_a = make_household(
        w.office, "C6-101", first=first, last=last, owner="张静", phone="13912345678"
    )
    w.house_b = make_household(w.office, "C13-103", first=first, last=last, owner="高萌")
    w.other_house = make_household(
        w.other_office, "C6-101", first=first, last=last, owner="外处业主"
    )
    w.case_a = make_case(
        campaign=w.campaign,
        household=w.house_a,
        team=w.team_a,
        responsible=w.collector_a,
        category=DebtorCategory.GRIEVANCE,
    )
    w.case_b = make_case(
        campaign=w.campaign,
        household=w.house_b,
        team=w.team_b,
        responsible=w.collector_b,
        category=DebtorCategory.UNREACHABLE,
    )
    w.other_case = make_case(
        campaign=w.other_campaign,
        household=w.other_house,
        team=w.other_team,
        category=DebtorCategory.REFUSAL,
    )
    w.roles = {
        "collector_a": w.collector_a,
        "leader_a": w.leader_a,
        "collector_b": w.collector_b,
        "manager": w.manager,
        "ops": w.ops,
        "director": w.director,
        "site": w.site,
        "admin": w.admin,
        "other_manager": w.other_manager,
        "other_collector": w.other_collector,
        "nobody": w.nobody,
    }
    return w


# ARREARS_CHECK_SHARED_WORLD=1: every test builds its own world and proves the shared one
# equal to it (tests/shared_world.py). Slow; for when build_world or the models change.
CHECK_SHARED_WORLD = os.environ.get("ARREARS_CHECK_SHARED_WORLD") == "1"
SHARED_WORLD = SharedWorld(build_world)
TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _uses_shared_world(request) -> bool:
    """A non-transactional test that asks for `world`: as a fixture, or (when it asks at run
    time, with request.getfixturevalue) through the `world` marker."""
    if CHECK_SHARED_WORLD:
        return False
    node = request.node
    if "world" not in request.fixturenames and node.get_closest_marker("world") is None:
        return False
    marker = node.get_closest_marker("django_db")
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return False
    return not TRANSACTIONAL_FIXTURES & set(request.fixturenames)


@pytest.fixture(scope="session")
def _shared_world_session(django_db_setup, django_db_blocker):
    yield SHARED_WORLD
    with django_db_blocker.unblock():
        SHARED_WORLD.close()


@pytest.fixture
def _shared_world_below(request, _shared_world_session, django_db_blocker):
    """Before a test's own transaction begins: the shared world's transaction is open below
    it if the test uses the world, and rolled back (the database as the test expects it,
    without the world) if not."""
    with django_db_blocker.unblock():
        if _uses_shared_world(request):
            SHARED_WORLD.open()
        else:
            SHARED_WORLD.close()


@pytest.fixture
def _django_db_helper(_shared_world_below, _django_db_helper):
    """pytest-django's per-test database fixture, after _shared_world_below."""
    return _django_db_helper


class _Writes:
    """Counts the statements that write, run on this thread's connection (an execute
    wrapper): a test that wrote nothing cannot have left a case's figures behind."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    # While the shared world is re-dated for the test (tests/shared_world.py, rebase): its
    # UPDATEs move every date of the world together and are not the test's writes.
    paused = False

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if not _Writes.paused and sql.lstrip()[:7].upper().startswith(self.WRITES):
            self.count += 1
        return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def _case_figures_kept(request):
    """After every test that used the database, each case's kept figures equal what the
    ledger and the attempts make them (arrears.case_figures): a service that changes them
    without refreshing fails the test that uses it. A test that breaks them on purpose
    carries the `figures_may_drift` marker.

    A test in a transaction of its own that wrote nothing on its connection is not checked
    (the check costs ~9 ms, and most tests only read); one whose writes may come from another
    thread or process (transactional, a live server) always is."""
    node = request.node
    uses_db = "_django_db_helper" in request.fixturenames or node.get_closest_marker("django_db")
    if not uses_db or node.get_closest_marker("figures_may_drift"):
        yield
        return
    # Set up before this fixture's own teardown runs, so the check sees the test's rows.
    request.getfixturevalue("_django_db_helper")
    marker = node.get_closest_marker("django_db")
    in_own_transaction = not (
        TRANSACTIONAL_FIXTURES & set(request.fixturenames)
        or (marker is not None and any(validate_django_db(marker)[:2]))
    )
    writes = _Writes()
    if in_own_transaction:
        with connection.execute_wrapper(writes):
            yield
        if writes.count == 0:
            return
    else:
        yield
    if connection.connection is None or connection.needs_rollback:
        # A streamed file's end (request_finished after the test client reconnected
        # close_old_connections) closed the connection inside the test's transaction: its
        # rows are gone, nothing is left to compare.
        return
    found = case_figures.drift()
    assert not found, f"case figures not kept up to date: {found[:5]}"


def make_case(**fields):
    """A case created as the ledger import and the admin do it: with its figures."""
    case = Case.objects.create(**fields)
    case_figures.refresh_cases(Case.objects.filter(pk=case.pk))
    # Only the figures: refresh_from_db() would leave attributes a loaded case has not.
    for name, value in Case.objects.filter(pk=case.pk).values(*case_figures.FIELDS)[0].items():
        setattr(case, name, value)
    return case


def set_campaign_months(campaign, **months):
    """Change a campaign's months (arrears_from, arrears_through), as the admin does: its
    cases' figures follow."""
    for name, value in months.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=list(months))
    case_figures.refresh_cases(Case.objects.filter(campaign=campaign))


def add_months(household, months, due="100.00"):
    """More months owed by a household that may already have a case, as an import adds them."""
    periods = [
        DebtPeriod.objects.create(household=household, month=m, amount_due=Decimal(due))
        for m in months
    ]
    case_figures.refresh([household.pk])
    return periods


def make_promise(**fields):
    """A promise as the attempt form records it: the case's order follows it."""
    promise = PromiseToPay.objects.create(**fields)
    case_figures.refresh_cases(Case.objects.filter(pk=promise.case_id))
    return promise


@pytest.fixture
def world(db):
    if CHECK_SHARED_WORLD and connection.in_atomic_block:
        return check_against_fresh(build_world)
    if SHARED_WORLD.is_open:
        _Writes.paused = True
        try:
            return SHARED_WORLD.get()
        finally:
            _Writes.paused = False
    return build_world()


# A real one-pixel PNG: evidence is decoded and written again, so it must be a picture.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\r\xefF\xb8\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
