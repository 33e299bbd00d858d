"""The realistic mix under load, over HTTP (issue 15, item 2): locust, headless, bounded.

80% collectors list their cases, open one, open the attempt form and log a lawful contact
(a call when the office's contact policy allows one now, else a written notice by post:
bench/mix.py), then see the case again; 20% office managers open their desk and their
leaderboard. Think time 0.5-1.5 s between pages. For each number of users in --users, a
fresh locust process (bench/locust_mix.py) runs them for --seconds against one gunicorn
with --workers sync workers that this script starts on a free loopback port and stops on
the way out (also on an error, Ctrl-C or SIGTERM). Requests go to the loopback only.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/arrears_load \
        --region load --users 1,10,20,50 --seconds 30 --json var/bench/load.json

Each step prints requests per second, the client's p50/p95/p99 (the time locust waited for
the whole response), gunicorn's own p50/p95 for the same window (its access log), errors
(HTTP errors and pages that are not what a user expects), the contacts logged (calls,
notices) and breaches (a contact saved but against the policy: must stay 0), and the
workers' CPU as a share of the 2 cores. Each user is signed in once, before the first step,
through the login page, with DEMO_PASSWORD. It writes what the users do: sessions, contact
attempts on the region's cases; run it on a load database (manage.py generate_load).
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    BASE_DIR,
    BENCH_DIR,
    Gunicorn,
    load_average,
    login,
    percentile,
    require_loopback,
    setup_django,
    statistics_note,
)

MAX_USERS = 200
MAX_SECONDS = 900
COLLECTOR_SHARE = 0.8


def user_steps(text: str) -> list[int]:
    """--users "1,10,20,50": each between 1 and MAX_USERS."""
    steps = [int(part) for part in text.split(",") if part.strip()]
    if not steps or any(not 1 <= n <= MAX_USERS for n in steps):
        raise argparse.ArgumentTypeError(f"1 to {MAX_USERS} users a step, e.g. 1,10,20,50")
    return steps


def seconds_per_step(text: str) -> float:
    value = float(text)
    if not 1 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"1 to {MAX_SECONDS} seconds a step")
    return value


def people(region: str, users: int) -> tuple[list[str], list[str], str]:
    """Enough collectors and managers of the region for `users` locust users, spread over
    the offices, and the password to sign them in with."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    names = get_user_model().objects.filter(is_active=True).values_list("username", flat=True)
    code = re.escape(region)
    collectors = sorted(names.filter(username__regex=rf"^{code}-\d+-[a-z0-9]+-collector$"))
    managers = sorted(names.filter(username__regex=rf"^{code}-\d+-manager$"))
    if not collectors or not managers:
        raise SystemExit(f"no collectors or managers of region {region}: run generate_load")

    def spread(found, n):
        # Round-robin over the offices (usernames sort by office), so 10 users are not all
        # from office 01.
        by_office: dict[str, list[str]] = {}
        for name in found:
            by_office.setdefault(name.split("-")[1], []).append(name)
        order = [n for group in zip(*by_office.values(), strict=False) for n in group]
        order += [n for n in found if n not in order]
        return order[: max(1, n)]

    wanted_collectors = math.ceil(users * COLLECTOR_SHARE) + 1
    wanted_managers = math.ceil(users * (1 - COLLECTOR_SHARE)) + 1
    return (
        spread(collectors, wanted_collectors),
        spread(managers, wanted_managers),
        settings.DEMO_PASSWORD,
    )


def step_stats(result: dict, server_times: list, cpu_seconds: float, wall: float) -> dict:
    """The step's figures. The workers' CPU share is over the whole step (`wall`: start-up
    and stop included), of all the machine's cores."""
    samples = result["samples"]
    times = [ms for _name, ms, _ok in samples]
    errors = sum(1 for _name, _ms, ok in samples if not ok)
    seconds = result["seconds"]
    server = [t * 1000 for _m, _p, _s, t in server_times]
    contacts = result["contacts"]
    by_name: dict[str, list[float]] = {}
    for name, ms, _ok in samples:
        by_name.setdefault(name, []).append(ms)
    return {
        "users": result["users"],
        "user_classes": result["user_classes"],
        "seconds": seconds,
        "requests": len(samples),
        "rps": len(samples) / seconds,
        "p50": percentile(times, 50) if times else None,
        "p95": percentile(times, 95) if times else None,
        "p99": percentile(times, 99) if times else None,
        "server_p50": percentile(server, 50) if server else None,
        "server_p95": percentile(server, 95) if server else None,
        "errors": errors,
        "failures": result["failures"],
        "calls": sum(n for k, n in contacts.items() if k.startswith("call")),
        "letters": sum(n for k, n in contacts.items() if k.startswith("letter")),
        "breaches": sum(n for k, n in contacts.items() if not k.endswith(" logged")),
        "contacts": contacts,
        "worker_cpu_share": cpu_seconds / wall / (os.cpu_count() or 1),
        "pages": {
            name: {
                "n": len(ms),
                "p50": percentile(ms, 50),
                "p95": percentile(ms, 95),
                "mean": statistics.fmean(ms),
            }
            for name, ms in sorted(by_name.items())
        },
    }


def print_steps(steps: list[dict]) -> None:
    header = (
        f"{'users':>5}{'requests':>10}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'srv p50':>9}{'srv p95':>9}{'errors':>8}{'calls':>7}{'notices':>9}{'breaches':>10}"
        f"{'cpu':>6}"
    )
    print(header)
    print("-" * len(header))

    def ms(value):
        return f"{value:.0f}" if value is not None else "-"

    for s in steps:
        print(
            f"{s['users']:>5}{s['requests']:>10}{s['rps']:>8.1f}{ms(s['p50']):>8}"
            f"{ms(s['p95']):>8}{ms(s['p99']):>8}{ms(s['server_p50']):>9}{ms(s['server_p95']):>9}"
            f"{s['errors']:>8}{s['calls']:>7}{s['letters']:>9}{s['breaches']:>10}"
            f"{s['worker_cpu_share']:>6.0%}"
        )
    for s in steps:
        for failure, n in s["failures"].items():
            print(f"  {s['users']} users, {n}×  {failure}")


def run_step(base_url: str, sessions: Path, users: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile(dir=BENCH_DIR, suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [
                sys.executable,
                str(BASE_DIR / "bench" / "locust_mix.py"),
                *("--host", base_url, "--sessions", str(sessions)),
                *("--users", str(users), "--seconds", str(seconds), "--out", str(out_path)),
            ],
            cwd=BASE_DIR,
            check=True,
            timeout=seconds + 120,
        )
        return json.loads(out_path.read_text())
    finally:
        out_path.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--region", default="load", help="region code (default: load)")
    parser.add_argument(
        "--users", type=user_steps, default=[1, 10, 20, 50], help="default 1,10,20,50"
    )
    parser.add_argument(
        "--seconds", type=seconds_per_step, default=30, help="per step (default 30)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--bind", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument(
        "--vacuum-analyze",
        action="store_true",
        help="VACUUM (ANALYZE) the database first, as autovacuum would (PostgreSQL)",
    )
    parser.add_argument(
        "--settings",
        default="config.settings",
        help="gunicorn's DJANGO_SETTINGS_MODULE (default config.settings; the tests give one "
        "that checks their fast password hashes)",
    )
    args = parser.parse_args()
    require_loopback(args.bind)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("--database-url or DATABASE_URL is needed (the region's database)")
    setup_django(url)
    collectors, managers, password = people(args.region, max(args.users))
    note = statistics_note(args.vacuum_analyze)
    from django.db import connections

    connections.close_all()
    load = load_average()
    print(
        f"region {args.region}, gunicorn with {args.workers} workers, steps {args.users} users "
        f"× {args.seconds:.0f} s, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        flush=True,
    )
    print(note, flush=True)
    steps = []
    with Gunicorn(
        url, workers=args.workers, host=args.bind, settings_module=args.settings
    ) as server:
        started = time.perf_counter()
        sessions = {
            kind: [[name, login(server.url, name, password)] for name in names]
            for kind, names in (("collectors", collectors), ("managers", managers))
        }
        print(
            f"signed in {len(collectors)} collectors and {len(managers)} managers through the "
            f"login page in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with tempfile.NamedTemporaryFile(
            "w", dir=BENCH_DIR, prefix="load-sessions-", suffix=".json", delete=False
        ) as f:
            json.dump(sessions, f)
            sessions_path = Path(f.name)
        try:
            for users in args.users:
                server.server_times()
                cpu, wall = server.cpu_seconds(), time.perf_counter()
                result = run_step(server.url, sessions_path, users, args.seconds)
                # The access log of the step: from the first user's start to the last
                # response, a little wider than the measured window.
                step = step_stats(
                    result,
                    server.server_times(),
                    server.cpu_seconds() - cpu,
                    time.perf_counter() - wall,
                )
                steps.append(step)
                print(
                    f"  {users} users: {step['rps']:.1f} req/s, p95 {step['p95']:.0f} ms, "
                    f"{step['errors']} errors",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            sessions_path.unlink(missing_ok=True)
    print_steps(steps)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "region": args.region,
                    "workers": args.workers,
                    "load_average": load,
                    "steps": steps,
                },
                indent=1,
            )
        )
    return 0 if all(s["errors"] == 0 and s["breaches"] == 0 for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
