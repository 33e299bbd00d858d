"""What the import benchmarks share: a child process per measured step, its peak memory and
CPU time, the queries it ran, and a database to run them on.

The parent process never loads Django or the data: Linux carries a process's ru_maxrss over
fork and exec, so a big parent would hide its children's peaks. Each step runs in a fresh
child (`python bench/<script>.py --run STEP ...`) that prints one JSON line.
"""

import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

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
