"""The gunicorn that pages.py --http and load.py start: it answers on the loopback with 2
workers, signs a user in through the login page, logs each request's own time, and is gone
after the `with` block, also when the block fails."""

import os
import signal
import socket
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from harness import Gunicorn, http_get, login

from arrears.models import Role
from tests.bench.conftest import FAST_HASH_SETTINGS
from tests.conftest import make_user
from tests.processes import database_url_of_test_db


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A child of ours that exited but was not reaped yet is a zombie: gone as well.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:  # reaped in between
        return True


def _port_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_it_serves_the_app_with_2_workers_and_stops_with_them(transactional_db, tmp_path):
    make_user("bench-director", Role.REGIONAL_DIRECTOR)
    server = Gunicorn(
        database_url_of_test_db(), log_dir=tmp_path, settings_module=FAST_HASH_SETTINGS
    )
    with server:
        workers = server.worker_pids()
        master, port = server.popen.pid, server.port
        assert len(workers) == 2
        cookies = login(server.url, "bench-director", "pw-bench-director")
        assert server.time_of("/login/") is not None  # the sign-in's own lines
        status, body = http_get(f"{server.url}/", cookies)
        assert status == 200 and b"bench-director" in body
        assert 0 < server.time_of("/") < 60
        assert server.cpu_seconds() > 0
    assert server.popen is None
    assert all(_gone(pid) for pid in [master, *workers])
    assert _port_closed(port)


def test_a_failing_run_still_stops_it_and_a_wrong_password_is_tried_once(
    transactional_db, tmp_path
):
    make_user("bench-collector", Role.COLLECTOR)
    server = Gunicorn(
        database_url_of_test_db(), log_dir=tmp_path, settings_module=FAST_HASH_SETTINGS
    )
    with pytest.raises(SystemExit, match="DEMO_PASSWORD"), server:
        master, port = server.popen.pid, server.port
        login(server.url, "bench-collector", "not-the-password")
    assert _gone(master) and _port_closed(port)
    # One failure for django-axes, far from its lock (5 for the user, 30 for the address).
    assert [a.failures_since_start for a in AccessAttempt.objects.all()] == [1]


def test_it_refuses_to_listen_beyond_the_loopback(tmp_path):
    with pytest.raises(SystemExit, match="loopback only"):
        Gunicorn("sqlite:///unused", host="0.0.0.0", log_dir=tmp_path)  # noqa: S104


@pytest.mark.parametrize(
    ("sent", "exits"),
    [(signal.SIGTERM, {128 + signal.SIGTERM}), (signal.SIGINT, {-signal.SIGINT, 130})],
)
def test_a_benchmark_stopped_by_a_signal_takes_its_gunicorn_with_it(
    transactional_db, bench_dir, sent, exits
):
    # What `kill`, Ctrl-C or a closed terminal does to pages.py --http or load.py mid-run.
    script = (
        "import sys, time; sys.path.insert(0, 'bench'); from harness import Gunicorn\n"
        f"with Gunicorn({database_url_of_test_db()!r}, settings_module={FAST_HASH_SETTINGS!r})"
        " as g:\n"
        "    print(g.popen.pid, *g.worker_pids(), g.port, flush=True)\n"
        "    time.sleep(120)\n"
    )
    bench = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=bench_dir.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        *pids, port = map(int, bench.stdout.readline().split())
        assert len(pids) == 3 and not any(_gone(pid) for pid in pids)
        bench.send_signal(sent)
        assert bench.wait(30) in exits
    finally:
        bench.kill()
        bench.wait()
    assert all(_gone(pid) for pid in pids) and _port_closed(int(port))
