"""Server time of every main page, for each role, in this process (issue 15, item 2).

Each page is requested through Django's test Client (`force_login`, one database connection
kept open for the whole run) `--repeat` times: median and p95 wall time, median CPU time of
this process (the database server's own CPU is not in it), the queries of one request, the
response's bytes, and the median as a ratio to the Django admin's changelist of cases on the
same data, measured in the same run. Nothing is written to the database.

    .venv/bin/python bench/pages.py --database-url postgres://postgres@127.0.0.1:5432/arrears_load
    .venv/bin/python bench/pages.py --repeat 11 --json var/bench/pages.json

`--http` measures the same pages over HTTP: it counts each page's queries with one in-process
request, starts gunicorn (`config.wsgi`, 2 sync workers, `config.settings` with DEBUG off) on
a free loopback port, signs each user in through the login page, and requests every page
`--repeat` times, one at a time: the client's wall time, gunicorn's own time for the request
(its access log's %(D)s) and the workers' CPU time. gunicorn is stopped on the way out,
also on an error, Ctrl-C or SIGTERM. It writes sessions (the sign-ins) and nothing else.

    .venv/bin/python bench/pages.py --http --repeat 11 --database-url postgres://...

`--smoke` (what `make bench-smoke` runs) builds two throw-away regions, 2 offices × 500 and
2 offices × 5,000 households, runs every page once on each and fails only if a page errors
or its query count differs between the two; it never fails on time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (  # noqa: E402
    BASE_DIR,
    BENCH_DIR,
    Gunicorn,
    ensure_database,
    http_get,
    load_average,
    login,
    percentile,
    require_loopback,
    setup_django,
    statistics_note,
)

BASELINE = "admin changelist"


@dataclass
class Page:
    label: str
    user: str
    url: str
    times: list = field(default_factory=list)
    cpu: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    # --http: each request's own time in gunicorn's access log (%(D)s), in seconds
    server: list = field(default_factory=list)
    bytes: int = 0
    status: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)

    def as_dict(self, base: float) -> dict:
        out = asdict(self)
        out.update(median=self.median, p95=self.p95, ratio=self.median / base)
        out["cpu_median"] = statistics.median(self.cpu)
        if self.server:
            out.update(server_median=statistics.median(self.server))
            out.update(server_p95=percentile(self.server, 95))
        return out


def pages(region_code: str) -> list[tuple[str, str, str]]:
    """(label, username, url) of every page measured, the baseline first."""
    import datetime

    from django.db.models import Count, Exists, OuterRef
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.http import urlencode

    from arrears.models import Campaign, Case, DebtorCategory, DifficultIssue, Summary
    from escalation.models import Letter, PaymentPlan
    from households.models import ContactAttempt, Outcome

    office = f"{region_code}-01"
    director, ops, manager = f"{region_code}-director", f"{region_code}-ops", f"{office}-manager"
    leader, collector = f"{office}-a-leader", f"{office}-a-collector"
    campaign = Campaign.objects.get(office__code=office, status=Campaign.Status.RUNNING)
    # The busiest case of the office among those the case page checks furthest for: whether a
    # case is disputed stops at the first of grievance category, open issue, disputed attempt
    # (escalation.proceedings._disputed), so the two smoke regions show the same kind of page.
    of_case = {"case": OuterRef("pk")}
    signed = {"status": Letter.Status.DELIVERED, "proof": Letter.Proof.SIGNATURE}
    case = (
        Case.objects.filter(campaign__office__code=office)
        .exclude(category=DebtorCategory.GRIEVANCE)
        .annotate(
            attempts=Count("contact_attempts"),
            raised=Exists(DifficultIssue.objects.filter(**of_case, status="open")),
            disputed=Exists(ContactAttempt.objects.filter(**of_case, outcome=Outcome.DISPUTED)),
            signed=Exists(Letter.objects.filter(**of_case, **signed)),
            planned=Exists(PaymentPlan.objects.filter(**of_case)),
        )
        .order_by("raised", "-planned", "-disputed", "-signed", "-attempts", "pk")
        .select_related("household", "campaign__office")
        .first()
    )
    case_manager = f"{case.campaign.office.code}-manager"
    summaries = Summary.objects.filter(region__code=region_code)
    daily_office = (
        summaries.filter(kind=Summary.Kind.DAILY_OFFICE, office__code=office)
        .order_by("-for_date")
        .first()
    )
    # The region's own copy of the pack, the director's (issue 12: one copy per scope).
    pack = (
        summaries.filter(kind=Summary.Kind.WEEKLY_PACK, office=None, recipient=None)
        .order_by("-for_date")
        .first()
    )
    today = timezone.localdate()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)

    def url(name, *args, **query):
        return reverse(name, args=args) + (f"?{urlencode(query)}" if query else "")

    cases = url("case-list")
    listed = [
        ("unfiltered", {}),
        ("category", {"category": DebtorCategory.REFUSAL}),
        ("status", {"status": Case.Status.OPEN}),
        ("by balance", {"sort": "-balance"}),
        ("search unit", {"q": case.household.unit_code}),
        ("page 5", {"page": 5}),
    ]
    out = [(BASELINE, "admin", url("admin:arrears_case_changelist"))]
    for role, user in [
        ("collector", collector),
        ("leader", leader),
        ("manager", manager),
        ("ops", ops),
        ("director", director),
    ]:
        out.append((f"desk {role}", user, url("desk")))
    out.append(("cases collector", collector, cases))
    out.append(("cases leader", leader, cases))
    for role, user in [("manager", manager), ("director", director)]:
        for variant, query in listed:
            out.append((f"cases {role} {variant}", user, url("case-list", **query)))
    out.append(("case page (most attempts)", case_manager, url("case-detail", case.pk)))
    out.append(("leaderboard manager", manager, url("leaderboard", campaign.pk)))
    out.append(("leaderboard collector", collector, url("leaderboard", campaign.pk)))
    out.append(("assessment manager", manager, url("assessment", campaign.pk)))
    for role, user in [("manager", manager), ("director", director)]:
        out.append((f"payments {role}", user, url("payment-list")))
        out.append((f"attempts {role}", user, url("attempt-list")))
        out.append((f"breaches {role}", user, url("breach-list")))
        out.append((f"issues {role}", user, url("issue-list")))
        out.append((f"summaries {role}", user, url("summary-list")))
    if daily_office:
        out.append(("summary daily office", manager, url("summary-detail", daily_office.pk)))
    out.append(("letters manager", manager, url("letter-list")))
    if pack:
        out.append(("Monday pack director", director, url("summary-detail", pack.pk)))
    else:
        print(f"(no Monday pack in region {region_code}: manage.py weekly_summary makes one)")
    out.append(("weekly page director", director, url("weekly-report")))
    out.append(("weekly workbook director", director, url("weekly-report", week_of=last_monday)))
    return out


def enough(page: Page, spent: float, page_budget: float | None) -> bool:
    """Stop a page's requests at an error, or past its time budget once it has 3."""
    if page.status != 200:
        return True
    return bool(page_budget and spent > page_budget and len(page.times) >= 3)


def progress(page: Page) -> None:
    print(
        f"  {page.label:<32} {page.status} {page.median * 1000:9.0f} ms  n={len(page.times)}",
        file=sys.stderr,
        flush=True,
    )


def measure(region_code: str, repeat: int, page_budget: float | None) -> list[Page]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    clients: dict[str, Client] = {}
    results = []
    for label, username, url in pages(region_code):
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(users.get(username=username))
        client = clients[username]
        page = Page(label, username, url)
        spent = 0.0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                seconds = time.perf_counter() - started
                page.cpu.append(time.process_time() - cpu_started)
            page.times.append(seconds)
            page.queries.append(len(captured.captured_queries))
            page.status, page.bytes = response.status_code, len(body)
            spent += seconds
            if enough(page, spent, page_budget):
                break
        results.append(page)
        progress(page)
    return results


def measure_http(
    server: Gunicorn, listed: list[tuple[str, str, str]], repeat: int, page_budget, password
) -> list[Page]:
    """Every page over HTTP from gunicorn, one request at a time: the client's wall time on
    the loopback, gunicorn's own time for the request and the workers' CPU time."""
    cookies: dict[str, dict] = {}
    # Each worker's first requests load the URLconf, templates and catalogues: not a page's.
    for _ in range(4):
        http_get(f"{server.url}/login/")
    server.server_times()
    results = []
    for label, username, url in listed:
        if username not in cookies:
            cookies[username] = login(server.url, username, password)
        page = Page(label, username, url)
        spent = 0.0
        for _ in range(repeat):
            cpu_started = server.cpu_seconds()
            started = time.perf_counter()
            status, body = http_get(server.url + url, cookies[username])
            seconds = time.perf_counter() - started
            page.times.append(seconds)
            logged = server.time_of(urlsplit(url).path)
            page.cpu.append(server.cpu_seconds() - cpu_started)
            page.server += [logged] if logged is not None else []
            page.status, page.bytes = status, len(body)
            spent += seconds
            if enough(page, spent, page_budget):
                break
        results.append(page)
        progress(page)
    return results


def print_table(results: list[Page]) -> None:
    """In-process: wall and CPU time of this process. --http: the client's wall time, the
    workers' CPU per request (mean: /proc counts in 10 ms ticks) and gunicorn's own time."""
    base = results[0].median
    http = any(p.server for p in results)
    server = f"{'server ms':>11}{'srv p95':>9}" if http else ""
    header = (
        f"{'page':<32}{'user':<22}{'n':>4}{'median ms':>11}{'p95 ms':>9}{server}{'cpu ms':>8}"
        f"{'queries':>9}{'KB':>8}{'t/admin':>9}  status"
    )
    print(header)
    print("-" * len(header))
    for p in results:
        queries = (
            str(p.queries[0]) if len(set(p.queries)) == 1 else f"{min(p.queries, default='?')}-"
        )
        cpu = statistics.fmean(p.cpu) if http else statistics.median(p.cpu)
        if http:
            server = (
                f"{statistics.median(p.server) * 1000:>11.0f}{percentile(p.server, 95) * 1000:>9.0f}"
                if p.server
                else f"{'-':>11}{'-':>9}"
            )
        print(
            f"{p.label:<32}{p.user:<22}{len(p.times):>4}{p.median * 1000:>11.0f}"
            f"{p.p95 * 1000:>9.0f}{server}{cpu * 1000:>8.0f}{queries:>9}"
            f"{p.bytes / 1024:>8.0f}{p.median / base:>8.2f}x  {p.status}"
        )


def run(args) -> int:
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("--database-url or DATABASE_URL is needed (the region's database)")
    if args.http:
        require_loopback(args.bind)
    setup_django(url)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    load = load_average()
    print(
        f"region {args.region}, {args.repeat} requests per page, "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"{f'HTTP, gunicorn with {args.workers} workers' if args.http else 'in-process'}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        flush=True,
    )
    print(statistics_note(args.vacuum_analyze), flush=True)
    if args.http:
        results = run_http(args, url)
    else:
        results = measure(args.region, args.repeat, args.page_budget)
    print_table(results)
    if args.json:
        base = results[0].median
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "region": args.region,
                    "mode": f"http, {args.workers} gunicorn workers" if args.http else "in-process",
                    "repeat": args.repeat,
                    "load_average": load,
                    "pages": [p.as_dict(base) for p in results],
                },
                indent=1,
            )
        )
    return 0 if all(p.status == 200 for p in results) else 1


def run_http(args, url: str) -> list[Page]:
    """--http: the query counts from one in-process request per page, then every page over
    HTTP from a gunicorn started here (stopped on the way out, whatever happens)."""
    from django.conf import settings
    from django.db import connections

    print("query counts: one request per page in this process", file=sys.stderr, flush=True)
    counted = {p.label: p.queries for p in measure(args.region, 1, None)}
    listed = pages(args.region)
    connections.close_all()
    with Gunicorn(url, workers=args.workers, host=args.bind) as server:
        print(f"gunicorn on {server.url}, pids {server.worker_pids()}", file=sys.stderr)
        results = measure_http(
            server, listed, args.repeat, args.page_budget, settings.DEMO_PASSWORD
        )
    for page in results:
        page.queries = counted.get(page.label) or ["?"]
    return results


# --- make bench-smoke -----------------------------------------------------------------------

SMOKE_SIZES = {"smoke500": 500, "smoke5000": 5000}


def smoke_database() -> str:
    """A fresh, empty database: `arrears_smoke` beside a PostgreSQL DATABASE_URL, else a
    SQLite file under var/bench."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base = url.rpartition("/")[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "arrears_smoke" WITH (FORCE)')
        url = f"{base}/arrears_smoke"
        ensure_database(url)
        return url
    path = BENCH_DIR / "smoke.sqlite3"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for leftover in BENCH_DIR.glob("smoke.sqlite3*"):
        leftover.unlink()
    return f"sqlite:///{path}"


def smoke() -> int:
    started = time.perf_counter()
    url = smoke_database()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "False"}
    python = sys.executable

    def call(*argv):
        t = time.perf_counter()
        subprocess.run([python, *argv], cwd=BASE_DIR, env=env, check=True)  # noqa: S603
        print(f"    {' '.join(argv[:2])} … {time.perf_counter() - t:.1f} s", flush=True)

    print(f"bench-smoke on {url.rpartition('@')[2]}", flush=True)
    call("manage.py", "migrate", "--noinput", "--verbosity", "0")
    results = {}
    for region, households in SMOKE_SIZES.items():
        call(
            *("manage.py", "generate_load", "--offices", "2", "--region", region),
            *(
                "--households-per-office",
                str(households),
                "--summary-days",
                "1",
                "--verbosity",
                "0",
            ),
        )
        call("manage.py", "weekly_summary", "--region", region, "--verbosity", "0")
        out = BENCH_DIR / f"{region}.json"
        done = subprocess.run(  # noqa: S603
            [python, "bench/pages.py", "--region", region, "--repeat", "1", "--json", str(out)],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if not out.exists():
            sys.stderr.write(done.stdout[-4000:] + done.stderr[-8000:])
            raise SystemExit(f"bench/pages.py failed on region {region}")
        results[region] = {p["label"]: p for p in json.loads(out.read_text())["pages"]}
    small, big = (results[r] for r in SMOKE_SIZES)
    failures = []
    print(f"\n{'page':<32}{'500':>7}{'5000':>7}  queries per request (2 offices)")
    for label in list(small) + [x for x in big if x not in small]:
        a, b = small.get(label), big.get(label)
        qa = a["queries"][0] if a else None
        qb = b["queries"][0] if b else None
        problems = []
        for size, p in (("500", a), ("5000", b)):
            if p is None:
                problems.append(f"missing at {size}")
            elif p["status"] != 200:
                problems.append(f"HTTP {p['status']} at {size}")
        if a and b and qa != qb:
            problems.append("query count grows with the households")
        print(f"{label:<32}{qa if a else '-':>7}{qb if b else '-':>7}  {'; '.join(problems)}")
        failures += [f"{label}: {p}" for p in problems]
    print(f"\nbench-smoke took {time.perf_counter() - started:.0f} s")
    if failures:
        print("FAIL\n  " + "\n  ".join(failures))
        return 1
    print(f"PASS  {len(small)} pages answer 200 with the same queries at 500 and 5,000")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--region", default="load", help="region code (default: load)")
    parser.add_argument("--repeat", type=int, default=21, help="requests per page (default 21)")
    parser.add_argument(
        "--page-budget",
        type=float,
        help="stop repeating a page after this many seconds (at least 3 requests)",
    )
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument(
        "--http",
        action="store_true",
        help="over HTTP from a gunicorn started on the loopback (query counts in-process)",
    )
    parser.add_argument("--workers", type=int, default=2, help="--http: gunicorn workers")
    parser.add_argument(
        "--vacuum-analyze",
        action="store_true",
        help="VACUUM (ANALYZE) the database first, as autovacuum would (PostgreSQL)",
    )
    parser.add_argument("--bind", default="127.0.0.1", help="--http: a loopback address")
    parser.add_argument("--smoke", action="store_true", help="what make bench-smoke runs")
    args = parser.parse_args()
    return smoke() if args.smoke else run(args)


if __name__ == "__main__":
    sys.exit(main())
