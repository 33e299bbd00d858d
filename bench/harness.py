"""What the benchmarks share: a child process per measured step, its peak memory and CPU
time, the queries it ran, and a database to run them on; for the HTTP ones (pages.py --http,
load.py) the loopback check, percentiles, signing in and a gunicorn of their own.

The parent process never loads Django or the data: Linux carries a process's ru_maxrss over
fork and exec, so a big parent would hide its children's peaks. Each step runs in a fresh
child (`python bench/<script>.py --run STEP ...`) that prints one JSON line.
"""

import http.client
import http.cookiejar
import ipaddress
import json
import math
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"


def database_url(name: str) -> str:
    """DATABASE_URL from the environment (PostgreSQL), else a throw-away SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{BENCH_DIR / f'{name}.sqlite3'}"


def setup_django(url: str) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "False"  # as in production: no query log kept in memory
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database named in the URL if it does not exist yet."""
    if not url.startswith("postgres"):
        return
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


class QueryCounter:
    """Counts the statements Django sends (an executemany counts once), keeping none."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def measured(out: dict):
    """Wall and CPU seconds, peak memory and queries of the block, into `out`."""
    from django.db import connection

    counter = QueryCounter()
    out["baseline_kib"] = maxrss_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        yield out
    out["seconds"] = time.perf_counter() - started
    out["cpu"] = time.process_time() - cpu_started
    out["peak_kib"] = maxrss_kib()
    out["queries"] = counter.count


def child(script: str, *args: str) -> dict:
    """Run one step of `script` in a fresh process; its last stdout line is its JSON."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
        check=False,
    )
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:])
        sys.stderr.write(done.stderr[-8000:])
        raise SystemExit(f"{' '.join(args)} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mb(kib: float) -> float:
    return kib / 1024


def table(results: dict, rows_of: dict, floor: str) -> None:
    """One line per step: rows/s, wall, CPU, peak and increase, queries per row, t/floor."""
    header = (
        f"{'step':<12}{'rows':>8}{'rows/s':>9}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}"
        f"{'incr MB':>9}{'queries':>9}{'q/row':>8}{'t/' + floor:>12}"
    )
    print(header)
    print("-" * len(header))
    base = results[floor]["seconds"]
    for name, r in results.items():
        rows = rows_of.get(name, r.get("rows", 0))
        print(
            f"{name:<12}{rows:>8}{rows / r['seconds']:>9.0f}{r['seconds']:>9.2f}{r['cpu']:>8.2f}"
            f"{mb(r['peak_kib']):>9.1f}{mb(r['peak_kib'] - r['baseline_kib']):>9.1f}"
            f"{r.get('queries', 0):>9}{r.get('queries', 0) / max(rows, 1):>8.3f}"
            f"{r['seconds'] / base:>11.2f}x"
        )


# --- Percentiles ----------------------------------------------------------------------------


def percentile(values, q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100): a value that was measured, never an
    interpolation, so p95 of 7 requests is the slowest of them."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is outside (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- Over HTTP: our own gunicorn on the loopback --------------------------------------------


def require_loopback(target: str) -> str:
    """The host of `target` (a URL or a bare host) if it is this machine's loopback, else exit.

    Load is only ever sent to this machine: 127.0.0.0/8, ::1 or the name localhost. Other
    names are refused without being looked up (a name can point anywhere), and so is 0.0.0.0,
    which would put the server on every interface.
    """
    text = target.strip()
    try:
        host = str(ipaddress.ip_address(text.strip("[]")))  # a bare address, "::1" too
    except ValueError:
        try:
            host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
        except ValueError:
            host = ""
    if host == "localhost":
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise SystemExit(
        f"refusing {target!r}: the benchmarks send requests to the loopback only "
        "(127.0.0.1, ::1 or localhost)"
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_get(url: str, cookies: dict | None = None, timeout: float = 300) -> tuple[int, bytes]:
    """GET without following redirects: (status, body). One connection per request, as the
    sync workers close it after each response anyway."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path or "/", headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def login(base_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in through the real login page, as a browser does; the cookies it sets.

    A refused login stops the benchmark at once: django-axes locks a username after 5
    failures from one address and the address after 30, and every user here comes from
    127.0.0.1, so retrying or going on to the next user could lock the whole machine out.
    """
    require_loopback(base_url)
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the 302 after a good login is the answer itself

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base_url}/login/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        raise SystemExit(f"no sign-in form at {base_url}/login/")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    try:
        opener.open(
            urllib.request.Request(  # noqa: S310 - require_loopback checked the URL
                f"{base_url}/login/", data=urllib.parse.urlencode(form).encode()
            ),
            timeout=60,
        )
    except urllib.error.HTTPError as redirect:
        if redirect.code == 302:
            cookies = {c.name: c.value for c in jar}
            if "sessionid" in cookies:
                return cookies
    raise SystemExit(
        f"signing in as {username} failed: is DEMO_PASSWORD the one generate_load used? "
        "Stopped before django-axes locks the account."
    )


class Gunicorn:
    """`gunicorn config.wsgi` with `workers` sync workers on a loopback port, as production
    serves the app (Procfile) but with `config.settings` and DEBUG off, the settings the
    in-process benchmark uses: production's settings also need collected static files, HTTPS
    (secure cookies) and a broker. Its access log records each request's own time (%(D)s,
    microseconds), which `server_times()` reads back. Stopped by `stop()`, on leaving the
    `with` block, on Ctrl-C and on SIGTERM: it runs in a session of its own, and the whole
    group is signalled.
    """

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 2,
        host: str = "127.0.0.1",
        port: int = 0,
        log_dir: Path = BENCH_DIR,
        settings_module: str = "config.settings",
        env: dict | None = None,
    ):
        self.host = require_loopback(host)
        self.settings_module = settings_module
        self.database_url, self.workers, self.port = database_url, workers, port
        self.log_dir, self.extra_env = Path(log_dir), env or {}
        self.popen: subprocess.Popen | None = None
        self._offset = 0
        self._previous_handlers = {}

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 60) -> "Gunicorn":
        self.port = self.port or free_port(self.host)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.access_log = self.log_dir / f"gunicorn-{self.port}-access.log"
        self.error_log = self.log_dir / f"gunicorn-{self.port}-error.log"
        for log in (self.access_log, self.error_log):
            log.write_text("")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DEBUG": "False",
            "DATABASE_URL": self.database_url,
            "ALLOWED_HOSTS": f"{self.host},127.0.0.1,localhost",
            **self.extra_env,
        }
        bind = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                bind,
                "--workers",
                str(self.workers),
                # The weekly workbook of a big region takes seconds: not gunicorn's 30 s kill.
                "--timeout",
                "300",
                "--graceful-timeout",
                "10",
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(B)s %(D)s",
                "--error-logfile",
                str(self.error_log),
            ],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                if http_get(f"{self.url}/healthz", timeout=5)[0] == 200:
                    self._offset = self.access_log.stat().st_size
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        log = self.error_log.read_text(errors="replace")[-4000:]
        self.stop()
        raise SystemExit(f"gunicorn did not answer on {self.url}/healthz:\n{log}")

    def stop(self) -> None:
        popen, self.popen = self.popen, None
        if popen is None or popen.poll() is not None:
            return
        try:
            os.killpg(popen.pid, signal.SIGTERM)  # the arbiter stops its workers gracefully
            popen.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(5)
        except ProcessLookupError:
            pass

    def worker_pids(self) -> list[int]:
        if self.popen is None:
            return []
        try:
            text = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the workers so far (Linux /proc; clock ticks)."""
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def server_times(self) -> list[tuple[str, str, int, float]]:
        """(method, path, status, seconds) of each request logged since the last call."""
        with self.access_log.open() as log:
            log.seek(self._offset)
            text = log.read()
        # Only whole lines: a line being written stays for the next call.
        complete = text[: text.rfind("\n") + 1]
        self._offset += len(complete.encode())
        out = []
        for line in complete.splitlines():
            method, path, status, _size, micros = line.split()
            out.append((method, path, int(status), int(micros) / 1e6))
        return out

    def time_of(self, path: str, timeout: float = 5) -> float | None:
        """gunicorn's own time (seconds) of the next logged request for `path` (no query
        string), skipping any other line: a worker writes its access line after sending
        the response, so the client may see the response first."""
        deadline = time.monotonic() + timeout
        while True:
            for _method, logged_path, _status, seconds in self.server_times():
                if logged_path == path:
                    return seconds
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)

    def _on_signal(self, signum, frame):
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    def __enter__(self) -> "Gunicorn":
        # SIGTERM and a closed terminal unwind through __exit__ as Ctrl-C does; SIGINT is
        # handled here too, for a run started in the background (where it starts ignored).
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            return self.start()
        except BaseException:
            self._restore()
            raise

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self._restore()

    def _restore(self) -> None:
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()


def never_vacuumed() -> list[str]:
    """The app's PostgreSQL tables with rows that were never vacuumed or never analyzed.

    Autovacuum does both on a server left as installed: statistics for the planner, and the
    visibility map, without which an index-only scan (debt_period_unpaid) reads every row's
    page. This machine's PostgreSQL has autovacuum off and a region made by generate_load is
    neither, so its pages can take several times what they would: the page benchmarks print
    these tables and `--vacuum-analyze` runs VACUUM (ANALYZE) first. Empty on SQLite.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0 AND ("
            " (last_analyze IS NULL AND last_autoanalyze IS NULL)"
            " OR (last_vacuum IS NULL AND last_autovacuum IS NULL)) ORDER BY relname"
        )
        return [name for (name,) in cursor.fetchall()]


def vacuum_analyze() -> float:
    """VACUUM (ANALYZE) the whole database, as autovacuum would have: seconds. Statistics and
    the visibility map change, never rows."""
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")  # autocommit: VACUUM runs outside a transaction
    return time.perf_counter() - started


def statistics_note(run_vacuum: bool) -> str:
    """One line for a benchmark's header: whether the database is as autovacuum leaves it."""
    if run_vacuum:
        return f"VACUUM (ANALYZE) took {vacuum_analyze():.1f} s"
    missing = never_vacuumed()
    if not missing:
        return "every table vacuumed and analyzed"
    return (
        f"WARNING: {len(missing)} tables never vacuumed or analyzed ({', '.join(missing[:3])}, "
        "…): run with --vacuum-analyze for figures as a server with autovacuum gives them"
    )


def load_average() -> tuple[float, float, float]:
    """The machine's load average over 1, 5 and 15 minutes (zeros where it is unknown)."""
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
