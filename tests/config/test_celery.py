"""Celery for real: worker and beat processes consuming from the configured broker (the
embedded filesystem broker on a developer's machine, Redis in CI), and a private Redis server
that tests stop and start to see what a broker outage does."""

import datetime
import re
import uuid
from pathlib import Path

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from arrears.models import Notification, Region, Summary, WorkerHeartbeat
from arrears.tasks import record_heartbeat
from config.celery import app
from households.contact import attempt_log
from households.models import ContactAttempt
from summaries.tasks import daily_summaries
from summaries.windows import report_day
from tests.conftest import record_payment
from tests.processes import celery_env, redis_server, start_beat, start_worker, wait_until

DAY = timezone.localdate()
# The 18:00 report whose window holds this moment (after the cut-off, tomorrow's): what a
# payment recorded now is counted in.
REPORT_DAY = report_day(timezone.now(), Region(daily_summary_at=None))


@pytest.fixture
def queue():
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def processes():
    started = []
    yield started
    for process in started:
        process.stop()
        print(process.output())


@pytest.mark.worker
def test_a_real_worker_runs_the_heartbeat_task(transactional_db, tmp_path, queue, processes):
    processes.append(start_worker(tmp_path, celery_env(settings.CELERY_BROKER_URL), queue))
    record_heartbeat.apply_async(queue=queue)
    assert wait_until(WorkerHeartbeat.objects.exists, timeout=60)
    assert WorkerHeartbeat.objects.get(name="worker").hostname


@pytest.mark.worker
def test_a_real_worker_produces_the_18_00_summaries(
    world, transactional_db, tmp_path, queue, processes
):
    record_payment(world.house_a, "300.00", world.collector_a, case=world.case_a)
    processes.append(start_worker(tmp_path, celery_env(settings.CELERY_BROKER_URL), queue))
    daily_summaries.apply_async(args=[REPORT_DAY.isoformat()], queue=queue)
    office = Summary.objects.filter(
        kind=Summary.Kind.DAILY_OFFICE, office=world.office, for_date=REPORT_DAY
    )
    assert wait_until(office.exists, timeout=60), processes[0].output()
    assert office.get().data["totals"]["collected"] == "300.00"
    assert (
        Notification.objects.filter(recipient=world.manager, kind=Notification.Kind.SUMMARY).count()
        == 1
    )


def test_the_beat_schedule_follows_the_plans_rhythm_in_shanghai_time():
    schedule = app.conf.beat_schedule
    assert app.conf.timezone == "Asia/Shanghai" and app.conf.enable_utc is False
    assert schedule["daily-summaries"]["task"] == "arrears.tasks.daily_summaries"
    assert schedule["daily-summaries"]["schedule"] == crontab(hour=18, minute=0)
    assert schedule["morning-brief"]["schedule"] == crontab(hour=8, minute=30)
    assert schedule["weekly-pack"]["schedule"] == crontab(hour=16, minute=0, day_of_week="mon")
    assert schedule["catch-up-summaries"]["schedule"] == 15 * 60
    assert schedule["worker-heartbeat"]["schedule"] == 60.0


def test_the_times_are_settings(monkeypatch):
    import importlib

    import config.settings as project_settings

    monkeypatch.setenv("SUMMARY_DAILY_AT", "17:30")
    monkeypatch.setenv("SUMMARY_WEEKLY_AT", "15:00")
    try:
        reloaded = importlib.reload(project_settings)
        assert reloaded.CELERY_BEAT_SCHEDULE["daily-summaries"]["schedule"] == crontab(
            hour=17, minute=30
        )
        assert reloaded.CELERY_BEAT_SCHEDULE["weekly-pack"]["schedule"] == crontab(
            hour=15, minute=0, day_of_week="mon"
        )
    finally:
        monkeypatch.undo()
        importlib.reload(project_settings)


def test_tasks_acknowledge_late_and_retry_on_database_errors():
    assert daily_summaries.acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    from django.db import OperationalError

    assert OperationalError in daily_summaries.autoretry_for


def test_a_task_run_twice_leaves_one_summary_and_tells_people_once(world):
    daily_summaries(REPORT_DAY.isoformat())
    daily_summaries(REPORT_DAY.isoformat())
    assert Summary.objects.filter(kind=Summary.Kind.DAILY_OFFICE, office=world.office).count() == 1
    assert Summary.objects.filter(kind=Summary.Kind.DAILY_TEAM, team=world.team_a).count() == 1
    assert (
        Notification.objects.filter(recipient=world.manager, kind=Notification.Kind.SUMMARY).count()
        == 1
    )


def test_the_commands_give_the_same_results_as_the_tasks(world):
    record_payment(world.house_a, "300.00", world.collector_a, case=world.case_a)
    daily_summaries(REPORT_DAY.isoformat())
    by_task = {s.scope: s.data for s in Summary.objects.filter(for_date=REPORT_DAY)}
    call_command("daily_summary", "--date", REPORT_DAY.isoformat())
    by_command = {s.scope: s.data for s in Summary.objects.filter(for_date=REPORT_DAY)}
    assert by_command == by_task
    assert set(Summary.objects.values_list("generated_by", flat=True)) == {"command"}
    call_command("morning_brief", "--date", REPORT_DAY.isoformat())
    call_command("weekly_summary", "--week-of", REPORT_DAY.isoformat())
    monday = REPORT_DAY - datetime.timedelta(days=REPORT_DAY.weekday())
    packs = Summary.objects.filter(
        kind=Summary.Kind.WEEKLY_PACK, for_date=monday, scope__startswith="region:"
    )  # the regions' copies (each office and operations manager has its own, issue 12)
    assert sorted(packs.values_list("region__code", flat=True)) == ["east", "west"]
    briefs = Summary.objects.filter(kind=Summary.Kind.MORNING_BRIEF, for_date=REPORT_DAY)
    assert briefs.filter(region=world.region).count() == 1


@pytest.mark.redis
@pytest.mark.worker
def test_a_worker_killed_mid_task_loses_nothing_and_duplicates_nothing(
    world, transactional_db, tmp_path, queue, processes
):
    """The worker dies (SIGKILL) after the first of four reports; the message was not
    acknowledged, so Redis hands it to the next worker once the visibility timeout passes."""
    with redis_server(tmp_path) as redis:
        env = celery_env(
            redis.url,
            SUMMARY_SCOPE_PAUSE_SECONDS=1.5,
            CELERY_VISIBILITY_TIMEOUT=3,
            CELERY_UNACKED_RESTORE_INTERVAL=1,
            CELERY_UNACKED_RESTORE_THROTTLE=1,
        )
        first = start_worker(tmp_path, env, queue, name="first", pool="prefork")
        processes.append(first)
        # Addressed explicitly: this process's own broker may be another Redis (CI's).
        with app.connection_for_write(redis.url) as conn:
            daily_summaries.apply_async(args=[DAY.isoformat()], queue=queue, connection=conn)
        stored = Summary.objects.filter(for_date=DAY)
        assert wait_until(stored.exists, timeout=60), first.output()
        first.kill()
        expected = 6  # teams A, B and the other office's, two offices, one operations manager
        assert stored.count() < expected, "the task finished before the worker could be killed"
        processes.append(start_worker(tmp_path, env, queue, name="second", pool="prefork"))
        assert wait_until(lambda: stored.count() == expected, timeout=90), processes[-1].output()
        assert (
            Summary.objects.filter(kind=Summary.Kind.DAILY_OFFICE, office=world.office).count() == 1
        )
        for user in (world.manager, world.leader_a, world.ops):
            assert (
                Notification.objects.filter(recipient=user, kind=Notification.Kind.SUMMARY).count()
                == 1
            )


@pytest.mark.redis
@pytest.mark.worker
def test_with_redis_stopped_the_app_works_and_the_missed_summary_follows(
    world, transactional_db, client, tmp_path, processes
):
    # The cut-off is 00:00 below: DAY's report covers what was recorded yesterday, so an
    # attempt is typed in yesterday; today's, posted below, goes into tomorrow's report.
    yesterday = timezone.localtime() - datetime.timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        attempt_log(
            case=world.case_a,
            by=world.collector_a,
            occurred_at=yesterday,
            channel="payment_notice",
            person_contacted="owner",
            outcome="delivered",
        )
    with redis_server(tmp_path) as redis:
        redis.stop()
        # Worker and beat start while the broker is down; the daily time has passed.
        env = celery_env(redis.url, SUMMARY_DAILY_AT="00:00", SUMMARY_CATCH_UP_SECONDS=2)
        processes.append(start_worker(tmp_path, env, "celery"))
        processes.append(start_beat(tmp_path, env))
        app.conf.broker_url = redis.url
        try:
            client.force_login(world.collector_a)
            for url in (
                reverse("desk"),
                reverse("case-list"),
                reverse("case-detail", args=[world.case_a.pk]),
            ):
                assert client.get(url).status_code == 200
            when = (timezone.localtime() - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
            response = client.post(
                reverse("attempt-new", args=[world.case_a.pk]),
                {
                    "channel": "payment_notice",
                    "person_contacted": "owner",
                    "outcome": "delivered",
                    "occurred_at": when,
                },
            )
            assert response.status_code == 302
            assert ContactAttempt.objects.filter(case=world.case_a).count() == 2
        finally:
            app.conf.broker_url = settings.CELERY_BROKER_URL
        office = Summary.objects.filter(
            kind=Summary.Kind.DAILY_OFFICE, office=world.office, for_date=DAY
        )
        assert not wait_until(office.exists, timeout=5)  # nothing can be produced without a broker
        redis.start()
        assert wait_until(office.exists, timeout=90), "\n".join(p.output() for p in processes)
        assert office.get().generated_by == "catch-up"
        assert office.get().data["totals"]["attempts"] == 1  # yesterday's, not today's


@pytest.mark.postgres
@pytest.mark.redis
def test_ci_runs_against_real_postgresql_and_redis(db):
    """Skipped on a developer's machine; in CI a skip is a failure, so this proves the
    suite really ran on PostgreSQL with a Redis broker."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("runs on SQLite/filesystem broker here; .ci/run uses PostgreSQL and Redis")
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()


# The names queued messages and beat entries carry: what Celery generated from the modules'
# paths before issue 13. They must not change when a module moves.
TASK_NAMES = {
    "arrears.tasks.record_heartbeat",
    "arrears.tasks.daily_summaries",
    "arrears.tasks.morning_brief",
    "arrears.tasks.weekly_pack",
    "arrears.tasks.catch_up_summaries",
    "arrears.tasks.run_import_job",
    "escalation.tasks.daily_reminders",
    "escalation.tasks.catch_up_reminders",
    "escalation.tasks.erase_expired_contact_data",
}


def test_the_registered_tasks_keep_their_names_and_the_beat_uses_them():
    app.loader.import_default_modules()
    assert {name for name in app.tasks if not name.startswith("celery.")} == TASK_NAMES
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= TASK_NAMES


def test_every_task_states_its_name_so_moving_its_module_keeps_it():
    """Without name= Celery derives the name from the module's path."""
    import ast
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    unnamed = []
    for path in root.glob("*/**/*.py"):
        if path.relative_to(root).parts[0] in (".venv", "tests", "bench"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                if ast.unparse(target).split(".")[-1] not in ("shared_task", "task"):
                    continue
                if not call or not any(k.arg == "name" for k in call.keywords):
                    unnamed.append(f"{path.relative_to(root)}:{node.name}")
    assert not unnamed


@pytest.mark.redis
@pytest.mark.worker
def test_a_real_worker_catches_up_only_the_last_missed_day_and_nothing_before_the_install(
    world, transactional_db, tmp_path, queue, processes
):
    """Issue 16: on a fresh install the catch-up, consumed from Redis by a real worker,
    records the first start and produces nothing for the days before it; after an outage
    of several days it produces only the last missed summary of each kind, once."""
    from arrears.models import SchedulerStart
    from summaries.tasks import catch_up_summaries
    from summaries.windows import scheduled_times

    with redis_server(tmp_path) as redis:
        worker = start_worker(tmp_path, celery_env(redis.url), queue)
        processes.append(worker)

        def run_once(nth):
            with app.connection_for_write(redis.url) as conn:
                catch_up_summaries.apply_async(queue=queue, connection=conn)

            def done():  # the worker's whole log: output() is only its end
                log = Path(worker.log_path).read_text(errors="replace")
                return len(re.findall(r"catch_up_summaries\[[^]]+\] succeeded", log)) >= nth

            assert wait_until(done, timeout=120), worker.output()

        run_once(1)
        started = SchedulerStart.objects.get().started_at
        assert abs((timezone.now() - started).total_seconds()) < 120
        assert not Summary.objects.filter(for_date__lt=timezone.localdate(started)).exists()

        # Installed ten days ago, and down for the last three: only the last of each kind.
        SchedulerStart.objects.update(started_at=timezone.now() - datetime.timedelta(days=10))
        Summary.objects.all().delete()
        run_once(2)
        now = timezone.localtime()
        times = scheduled_times(world.region)

        def last_due(at):
            due = timezone.make_aware(datetime.datetime.combine(now.date(), at))
            return now.date() if due <= now else now.date() - datetime.timedelta(days=1)

        monday = now.date() - datetime.timedelta(days=now.weekday())
        if now < timezone.make_aware(
            datetime.datetime.combine(monday, times[Summary.Kind.WEEKLY_PACK])
        ):
            monday -= datetime.timedelta(days=7)
        expected = {
            Summary.Kind.DAILY_OFFICE: {last_due(times[Summary.Kind.DAILY_OFFICE])},
            Summary.Kind.MORNING_BRIEF: {
                last_due(times[Summary.Kind.MORNING_BRIEF]) - datetime.timedelta(days=1)
            },
            Summary.Kind.WEEKLY_PACK: {monday},
        }
        for kind, days in expected.items():
            stored = Summary.objects.filter(kind=kind, region=world.region)
            assert set(stored.values_list("for_date", flat=True)) == days, (
                kind,
                list(Summary.objects.values_list("kind", "for_date", "region__code")),
                worker.output(),
            )
        office_reports = Summary.objects.filter(kind=Summary.Kind.DAILY_OFFICE, office=world.office)
        assert office_reports.count() == 1
        count = Summary.objects.count()
        run_once(3)  # a second run duplicates nothing
        assert Summary.objects.count() == count
