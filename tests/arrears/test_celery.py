"""A real Celery worker process consuming from the configured broker: the embedded
filesystem broker on a developer's machine, Redis in CI (.ci/run sets CELERY_BROKER_URL)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from arrears.celery import app
from arrears.models import WorkerHeartbeat
from arrears.tasks import record_heartbeat

ROOT = Path(__file__).resolve().parents[2]


def database_url_of_test_db() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def worker(transactional_db, tmp_path):
    """Start `celery worker` on a queue of its own, pointed at the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_test_db(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "arrears.settings",
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "arrears",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        output = log.read()
        log.close()
        print(output[-3000:])


@pytest.mark.worker
def test_a_real_worker_runs_the_heartbeat_task(worker):
    assert not WorkerHeartbeat.objects.exists()
    record_heartbeat.apply_async(queue=worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
        time.sleep(0.25)
    beat = WorkerHeartbeat.objects.get(name="worker")
    assert beat.hostname


def test_the_beat_schedule_sends_the_heartbeat_every_minute():
    entry = app.conf.beat_schedule["worker-heartbeat"]
    assert entry["task"] == "arrears.tasks.record_heartbeat"
    assert entry["schedule"] == 60.0
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True


@pytest.mark.postgres
@pytest.mark.redis
def test_ci_runs_against_real_postgresql_and_redis(db):
    """Skipped on a developer's machine; in CI a skip is a failure, so this proves the
    suite really ran on PostgreSQL with a Redis broker."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("runs on SQLite/filesystem broker here; .ci/run uses PostgreSQL and Redis")
    assert connection.vendor == "postgresql"
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()
