"""Benchmark: the weekly Excel report for N households against three other ways to write it.

    .venv/bin/python bench/weekly_report.py [--households N] [--repeat R]

Builds (or reuses) a throw-away SQLite database under var/bench/ with one office, one running
campaign, 4 teams and N households (one owner, 6 debt periods and one case each, plus a few
thousand payments in the report's week), then measures four contenders, each in a fresh
subprocess so that its peak memory is its own:

  weekly_report   WeeklyReport(...).render(): the whole workbook, all six sheets (the one
                  that matters)
  openpyxl        a bare openpyxl write-only loop over the case sheet's rows (our floor)
  django_tables2  the case sheet's rows through django_tables2.export.TableExport("xlsx")
                  (tablib, openpyxl in normal mode): what a user would reach for instead
  xlsxwriter      the case sheet's rows through xlsxwriter in constant-memory mode (reference)

The last three take their rows from WeeklyReport(...).case_sheet().rows, so the query and row
building cost is the same in all four. See bench/README.md for how to read the output.
"""

import argparse
import datetime
import io
import json
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
CONTENDERS = ["weekly_report", "openpyxl", "django_tables2", "xlsxwriter"]
FLOOR, USER_CHOICE = "openpyxl", "django_tables2"
DESCRIPTIONS = {
    "weekly_report": "WeeklyReport.render(), whole workbook (6 sheets)",
    "openpyxl": "bare openpyxl write-only loop, case rows (floor)",
    "django_tables2": "django-tables2 TableExport xlsx (tablib), case rows",
    "xlsxwriter": "xlsxwriter constant_memory, case rows (reference)",
}
# Targets for the weekly report (issue 6, item 9).
MAX_TIME_VS_FLOOR = 1.2
MIN_SPEEDUP_VS_USER_CHOICE = 2.0
MAX_MEMORY_VS_USER_CHOICE = 0.25
MAX_PEAK_MB = 200

WEEK_OF = datetime.date(2026, 11, 16)  # a Monday
MONTHS = [datetime.date(2014, 12, 1)] + [datetime.date(2015, m, 1) for m in range(1, 6)]
BATCH = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def db_path(households: int) -> Path:
    return BENCH_DIR / f"weekly-report-{households}.sqlite3"


def setup_django(households: int) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path(households)}"
    os.environ.setdefault("DEBUG", "False")  # as in production: no query log kept in memory
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def vmhwm_kib() -> int:
    """This address space's own high-water mark (a cross-check of ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the data ---------------------------------------------------------------------------------


def ensure_data(households: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from households.models import Household

    call_command("migrate", verbosity=0)
    have = Household.objects.count()
    if have == households:
        print(f"Reused {db_path(households)} ({have:,} households).")
        return
    if have:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path(households)}{suffix}").unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build(households)
    print(
        f"Built {db_path(households)} with {households:,} households "
        f"in {time.perf_counter() - started:.1f} s."
    )


def build_data(households: int) -> None:
    """Child process: build or reuse the database, say what it holds."""
    setup_django(households)
    ensure_data(households)
    from arrears.models import DebtPeriod, Payment

    print(
        f"Data: {households:,} households and cases, {DebtPeriod.objects.count():,} debt "
        f"periods, {Payment.objects.count():,} payments in the week of {WEEK_OF}."
    )


def build(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from arrears.models import (
        Campaign,
        Case,
        Clearance,
        DebtorCategory,
        DebtPeriod,
        DifficultIssue,
        Office,
        Payment,
        PaymentMethod,
        Region,
        StaffProfile,
    )
    from households.models import Channel, ContactAttempt, Household, Outcome, Owner
    from teams.models import Team, TeamMember

    tz = timezone.get_current_timezone()

    def at(day: datetime.date, minute: int) -> datetime.datetime:
        moment = datetime.datetime.combine(day, datetime.time(9, 0)) + datetime.timedelta(
            minutes=minute % 660
        )
        return timezone.make_aware(moment, tz)

    monday = WEEK_OF
    with transaction.atomic():
        region = Region.objects.create(name="基准片区", code="bench")
        office = Office.objects.create(region=region, name="基准服务处", code="bench-office")
        User = get_user_model()
        users = User.objects.bulk_create(
            User(username=f"bench{i}", password="!", is_active=True) for i in range(8)
        )
        StaffProfile.objects.bulk_create(
            StaffProfile(user=u, display_name=f"收费员{i + 1}", office=office)
            for i, u in enumerate(users)
        )
        campaign = Campaign.objects.create(
            office=office,
            name="2026 年秋季清欠行动",
            start_date=datetime.date(2026, 9, 1),
            target_date=datetime.date(2026, 12, 31),
            arrears_through=MONTHS[-1],
            status=Campaign.Status.RUNNING,
        )
        teams = Team.objects.bulk_create(Team(campaign=campaign, code=c) for c in "ABCD")
        TeamMember.objects.bulk_create(
            TeamMember(
                team=teams[i // 2],
                user=u,
                role=TeamMember.Role.LEADER if i % 2 == 0 else TeamMember.Role.MEMBER,
            )
            for i, u in enumerate(users)
        )

    categories = list(DebtorCategory.values)
    statuses = [
        Case.Status.OPEN,
        Case.Status.OPEN,
        Case.Status.PROMISED,
        Case.Status.PARTLY_PAID,
        Case.Status.LEGAL,
    ]
    cases: list[tuple[int, int, int]] = []  # (case id, household id, team index)
    for first in range(0, n, BATCH):
        numbers = range(first, min(first + BATCH, n))
        with transaction.atomic():
            households = Household.objects.bulk_create(
                Household(
                    office=office,
                    unit_code=f"C{i // 400 + 1}-{(i % 400) // 4 + 1}{i % 4 + 1:02d}",
                    building=f"C{i // 400 + 1}",
                    area_m2=Decimal(60 + i % 90),
                )
                for i in numbers
            )
            Owner.objects.bulk_create(
                Owner(
                    household=h,
                    name=(
                        f"={SURNAMES[i % 20]}{GIVEN[i % 19]}"  # formula-like: stays text
                        if i % 997 == 0
                        else f"{SURNAMES[i % 20]}{GIVEN[i % 19]}{GIVEN[i % 17]}"
                    ),
                    phone=f"139{i:08d}",
                )
                for i, h in zip(numbers, households, strict=True)
            )
            periods = []
            for i, h in zip(numbers, households, strict=True):
                due = (h.area_m2 * Decimal("1.85")).quantize(Decimal("0.01"))
                for m, month in enumerate(MONTHS):
                    paid = due if (i % 5 == 0 and m == 3) or (i % 7 == 0 and m < 2) else 0
                    if i % 11 == 0 and m == 5:
                        paid = (due / 2).quantize(Decimal("0.01"))
                    periods.append(
                        DebtPeriod(household=h, month=month, amount_due=due, amount_paid=paid)
                    )
            DebtPeriod.objects.bulk_create(periods, batch_size=BATCH)
            made = Case.objects.bulk_create(
                Case(
                    campaign=campaign,
                    household=h,
                    team=teams[i % 4],
                    responsible=users[(i % 4) * 2 + (i // 4) % 2],
                    category=categories[i % len(categories)],
                    status=statuses[i % len(statuses)],
                    planned_date=(
                        datetime.date(2026, 12, 1) + datetime.timedelta(days=i % 30)
                        if i % 3 == 0
                        else None
                    ),
                    plan_note="已提交报告" if i % 13 == 0 else "",
                    created_at=at(datetime.date(2026, 9, 1), i),
                )
                for i, h in zip(numbers, households, strict=True)
            )
            cases.extend((c.pk, c.household_id, i % 4) for i, c in zip(numbers, made, strict=True))
            # Earlier contact with every tenth household: a last contact and a next step.
            ContactAttempt.objects.bulk_create(
                ContactAttempt(
                    household=h,
                    case_id=made[k].pk,
                    made_by=users[i % 8],
                    occurred_at=at(datetime.date(2026, 10, 1 + i % 28), i),
                    recorded_at=at(datetime.date(2026, 10, 1 + i % 28), i)
                    + datetime.timedelta(hours=1),
                    channel=Channel.PHONE_CALL,
                    person_contacted="owner",
                    outcome=Outcome.TALKED,
                    next_step="再次电话",
                    next_step_date=datetime.date(2026, 11, 20 + i % 10),
                )
                for k, (i, h) in enumerate(zip(numbers, households, strict=True))
                if i % 10 == 0
            )

    # The report's week: payments, clearances, issues and breaches.
    payment_count = max(100, n // 30)
    step = max(1, n // payment_count)
    picked = cases[::step][:payment_count]
    with transaction.atomic():
        payments = Payment.objects.bulk_create(
            (
                Payment(
                    office=office,
                    household_id=household_id,
                    case_id=case_id,
                    amount=Decimal(200 + j % 800),
                    allocated=Decimal(200 + j % 800),
                    paid_at=at(monday + datetime.timedelta(days=j % 7), j * 7),
                    recorded_at=at(monday + datetime.timedelta(days=j % 7), j * 7),
                    method=list(PaymentMethod.values)[j % len(PaymentMethod.values)],
                    receipt_no=f"SJ{j:08d}",
                    team=teams[team],
                    credited_to=users[team * 2],
                    recorded_by=users[team * 2],
                    note="现场缴费" if j % 9 == 0 else "",
                )
                for j, (case_id, household_id, team) in enumerate(picked)
            ),
            batch_size=BATCH,
        )
        Clearance.objects.bulk_create(
            Clearance(
                case_id=p.case_id,
                team=p.team,
                responsible=p.credited_to,
                cleared_at=p.paid_at,
                payment=p,
            )
            for p in payments[::10]
        )
        DifficultIssue.objects.bulk_create(
            DifficultIssue(
                case_id=case_id,
                title="业主对维修有异议",
                description="业主称楼道漏水未修复，拒绝缴费，需物业工程部出具说明。",
                raised_by=users[team * 2],
                raised_at=at(datetime.date(2026, 10, 1 + j % 28), j),
            )
            for j, (case_id, _h, team) in enumerate(cases[3::200])
        )
        ContactAttempt.objects.bulk_create(
            ContactAttempt(
                household_id=household_id,
                case_id=case_id,
                made_by=users[team * 2 + 1],
                occurred_at=at(monday + datetime.timedelta(days=j % 7), j * 13),
                recorded_at=at(monday + datetime.timedelta(days=j % 7), j * 13)
                + datetime.timedelta(hours=1),
                channel=Channel.PHONE_CALL,
                person_contacted="owner",
                outcome=Outcome.NO_ANSWER,
                breaches=["hours"] if j % 2 else ["calls_per_day", "hours"],
            )
            for j, (case_id, household_id, team) in enumerate(cases[5 :: max(1, n // 300)])
        )


# --- the contenders (each runs in its own process) ----------------------------------------------


def _report():
    from arrears.models import Office
    from reports.weekly import WeeklyReport

    return WeeklyReport(offices=Office.objects.filter(code="bench-office"), week_of=WEEK_OF)


def _naive(rows):
    """The case rows with aware datetimes made local and naive (Excel has no time zones), as
    reports.exporters.cell_for does; openpyxl, tablib and xlsxwriter all refuse aware ones."""
    for row in rows:
        yield [
            v.replace(tzinfo=None)
            if isinstance(v, datetime.datetime) and v.tzinfo is not None
            else v
            for v in row
        ]


def run_weekly_report() -> tuple[bytes, int]:
    _name, _mimetype, content = _report().render()
    return content, -1


def run_openpyxl() -> tuple[bytes, int]:
    from openpyxl import Workbook

    sheet = _report().case_sheet()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet.title)
    ws.append([c.header for c in sheet.columns])
    count = 0
    for row in _naive(sheet.rows):
        ws.append(row)
        count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), count


def run_django_tables2() -> tuple[bytes, int]:
    import django_tables2 as tables
    from django_tables2.export import TableExport

    sheet = _report().case_sheet()
    names = [f"c{i}" for i in range(len(sheet.columns))]
    table_class = type(
        "CaseTable",
        (tables.Table,),
        {
            name: tables.Column(verbose_name=c.header)
            for name, c in zip(names, sheet.columns, strict=True)
        },
    )
    data = [dict(zip(names, row, strict=True)) for row in _naive(sheet.rows)]
    exporter = TableExport(
        TableExport.XLSX, table_class(data), dataset_kwargs={"title": sheet.title}
    )
    return exporter.export(), len(data)


def run_xlsxwriter() -> tuple[bytes, int]:
    import xlsxwriter

    sheet = _report().case_sheet()
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "default_date_format": "yyyy-mm-dd",
            "strings_to_formulas": False,  # an owner's name must never run as a formula
            "strings_to_urls": False,
        },
    )
    ws = wb.add_worksheet(sheet.title)
    ws.write_row(0, 0, [c.header for c in sheet.columns])
    count = 0
    for count, row in enumerate(_naive(sheet.rows), start=1):
        ws.write_row(count, 0, row)
    wb.close()
    return buffer.getvalue(), count


RUNNERS = {
    "weekly_report": run_weekly_report,
    "openpyxl": run_openpyxl,
    "django_tables2": run_django_tables2,
    "xlsxwriter": run_xlsxwriter,
}


def run_one(name: str, households: int) -> None:
    """Child process: measure one contender, print one JSON line."""
    setup_django(households)
    # Import every library up front so the baseline is the same for all contenders.
    import django_tables2.export  # noqa: F401
    import openpyxl  # noqa: F401
    import tablib.formats._xlsx  # noqa: F401
    import xlsxwriter  # noqa: F401

    import reports.weekly  # noqa: F401

    baseline = maxrss_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    content, rows = RUNNERS[name]()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak, hwm = maxrss_kib(), vmhwm_kib()
    out = BENCH_DIR / f"{name}-{households}.xlsx"
    out.write_bytes(content)
    print(
        json.dumps(
            {
                "name": name,
                "seconds": seconds,
                "cpu": cpu,
                "peak_kib": peak,
                "baseline_kib": baseline,
                "vmhwm_kib": hwm,
                "bytes": len(content),
                "rows": rows,
                "file": str(out.relative_to(BASE_DIR)),
            }
        )
    )


# --- the parent: build, run, compare ------------------------------------------------------------


def measure(name: str, households: int) -> dict:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--run", name, "--households", str(households)],
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
        check=False,
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{name} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mb(kib: float) -> float:
    return kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per contender; the fastest run is kept"
    )
    parser.add_argument("--run", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.households)
        return
    if args.build:
        build_data(args.households)
        return
    missing = [m for m in ("tablib", "openpyxl", "xlsxwriter") if not find_spec(m)]
    if missing:
        raise SystemExit(
            f"Missing {', '.join(missing)}: install the benchmark's extras first: "
            ".venv/bin/pip install 'tablib[xlsx]==3.10.0' 'xlsxwriter==3.3.1'"
        )

    n = args.households
    # The data is built in a child process too: this parent stays small, because Linux carries
    # a process's ru_maxrss over fork and exec, and a big parent would mask the children's peaks.
    built = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--build", "--households", str(n)], cwd=BASE_DIR, check=False
    )
    if built.returncode:
        raise SystemExit(f"building the data failed (exit {built.returncode})")
    print(
        "Rows: every contender exports the same case rows: weekly_report through its own case "
        "sheet, the others from WeeklyReport(...).case_sheet().rows (same queries, same row "
        "building, aware datetimes made naive). Time covers the queries, row building, "
        "writing and saving to bytes. weekly_report renders the whole workbook: all six "
        "sheets (summary, leaderboard, cases, payments, issues, breaches) with styles."
    )
    print(f"Each contender runs in a fresh process ({args.repeat} run(s), fastest kept).\n")

    results = {}
    for _ in range(args.repeat):
        for name in CONTENDERS:
            r = measure(name, n)
            best = results.get(name)
            if best is None or r["seconds"] < best["seconds"]:
                results[name] = r

    floor, user = results[FLOOR], results[USER_CHOICE]
    header = (
        f"{'contender':<16}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}{'incr MB':>9}"
        f"{'t/openpyxl':>12}{'peak/dt2':>10}{'incr/dt2':>10}{'VmHWM MB':>10}{'file MB':>9}  what"
    )
    print(header)
    print("-" * len(header))
    for name in CONTENDERS:
        r = results[name]
        increase = r["peak_kib"] - r["baseline_kib"]
        print(
            f"{name:<16}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{mb(r['peak_kib']):>9.1f}{mb(increase):>9.1f}"
            f"{r['seconds'] / floor['seconds']:>11.2f}x"
            f"{r['peak_kib'] / user['peak_kib']:>9.2f}x"
            f"{increase / max(1, user['peak_kib'] - user['baseline_kib']):>9.2f}x"
            f"{mb(r['vmhwm_kib']):>10.1f}{r['bytes'] / 1e6:>9.1f}  {DESCRIPTIONS[name]}"
        )
    print(
        f"\nBaseline (after django.setup() and imports): {mb(floor['baseline_kib']):.1f} MB. "
        "peak = ru_maxrss of the contender's process; incr = peak - baseline; "
        "VmHWM = /proc/self/status high-water mark (cross-check); file = workbook size; "
        "cpu s = process CPU time (steadier than wall time on a busy machine)."
    )
    cpu_ratio = results["weekly_report"]["cpu"] / floor["cpu"]
    print(
        f"CPU-time ratios (information): weekly_report / openpyxl {cpu_ratio:.2f}x, "
        f"django_tables2 / weekly_report {user['cpu'] / results['weekly_report']['cpu']:.2f}x."
    )

    report = results["weekly_report"]
    time_ratio = report["seconds"] / floor["seconds"]
    speedup = user["seconds"] / report["seconds"]
    memory_ratio = report["peak_kib"] / user["peak_kib"]
    checks = [
        (
            time_ratio <= MAX_TIME_VS_FLOOR,
            f"within {MAX_TIME_VS_FLOOR}x of the bare openpyxl loop: {time_ratio:.2f}x",
        ),
        (
            speedup >= MIN_SPEEDUP_VS_USER_CHOICE,
            f"at least {MIN_SPEEDUP_VS_USER_CHOICE:g}x faster than django-tables2: {speedup:.2f}x",
        ),
        (
            memory_ratio <= MAX_MEMORY_VS_USER_CHOICE,
            f"at most {MAX_MEMORY_VS_USER_CHOICE:g} of django-tables2's peak memory: "
            f"{memory_ratio:.2f} ({mb(report['peak_kib']):.0f} / {mb(user['peak_kib']):.0f} MB)",
        ),
        (
            mb(report["peak_kib"]) < MAX_PEAK_MB,
            f"under {MAX_PEAK_MB} MB peak: {mb(report['peak_kib']):.0f} MB",
        ),
    ]
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  weekly_report {text}")


if __name__ == "__main__":
    main()
