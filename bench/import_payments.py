"""Benchmark: importing N payments from the billing system's export, then the same file again.

    .venv/bin/python bench/import_payments.py [--payments N] [--households H]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench .venv/bin/python bench/import_payments.py

Builds a fresh office and running campaign on the configured database with H households (one
owner, 1–60 unpaid months, a case in one of four teams with a responsible member), and a
payments .xlsx of N rows over them (receipt, unit, amount, date, method, owner, note): two in
three pay part of what is owed, one in four pays the rest (the case is cleared), a few pay
more than owed (kept as credit), so allocation, clearances and credit all run. Then measures,
each in a fresh process:

  openpyxl    reading the file with openpyxl alone, read-only (the floor)
  preview     parse_workbook + payment_import(dry_run=True)
  import      parse_workbook + payment_import(): every row new
  reimport    the same file again: every receipt already imported, nothing written

Issue 14 item 9's target: 10,000 payments in under 20 s on the 2-core machine.
"""

import argparse
import datetime
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402 - the harness sits beside this script
    BENCH_DIR,
    child,
    database_url,
    ensure_database,
    mb,
    measured,
    setup_django,
    table,
)

TARGET_SECONDS = 20  # for 10,000 payments
TARGET_ROWS = 10_000
HEADERS = ["收据号", "房号", "缴费金额", "缴费日期", "缴费方式", "业主", "备注"]
METHODS = ["现金", "微信", "支付宝", "银行转账", "微信", "现金"]
NOTES = ["", "", "", "补缴物业费", "前台收取", "业主委托家属缴纳"]
LAST_MONTH = datetime.date(2026, 10, 1)


def file_path(payments: int) -> Path:
    return BENCH_DIR / f"payments-{payments}.xlsx"


def month_back(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - n
    return datetime.date(index // 12, index % 12 + 1, 1)


def setup(payments: int, households: int) -> dict:
    """The office, its households, months and cases (bulk, with history), and the file."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from openpyxl import Workbook
    from simple_history.utils import bulk_create_with_history

    from arrears.models import Campaign, Case, DebtPeriod, Office, Region, Role, StaffProfile
    from arrears.roles import user_set_role
    from households.models import Household, Owner
    from teams.models import Team, TeamMember

    call_command("migrate", verbosity=0)
    rnd = random.Random(14)
    users = get_user_model().objects
    stamp = f"{time.time_ns() % 10**10}"
    with transaction.atomic():
        region, _ = Region.objects.get_or_create(code="bench", defaults={"name": "基准"})
        office = Office.objects.create(region=region, code=f"p{stamp}", name=f"基准 {stamp}")
        today = datetime.date(2026, 11, 1)
        campaign = Campaign.objects.create(
            office=office,
            name="基准清收",
            start_date=today - datetime.timedelta(days=90),
            target_date=today + datetime.timedelta(days=90),
            arrears_through=LAST_MONTH,
        )
        manager = users.create_user(f"pm{stamp}", password="x")  # noqa: S106 - throw-away
        user_set_role(user=manager, role=Role.OFFICE_MANAGER)
        StaffProfile.objects.create(user=manager, office=office, display_name="基准经理")
        teams = []
        for code in "ABCD":
            team = Team.objects.create(campaign=campaign, code=code)
            members = []
            for i in (1, 2):
                user = users.create_user(f"p{stamp}{code}{i}", password="x")  # noqa: S106
                user_set_role(user=user, role=Role.COLLECTOR)
                StaffProfile.objects.create(user=user, office=office)
                TeamMember.objects.create(team=team, user=user)
                members.append(user)
            teams.append((team, members))
        held = bulk_create_with_history(
            [
                Household(
                    office=office,
                    unit_code=f"{n // 264 + 1}-{n // 66 % 4 + 1}-{n % 66 // 2 + 1}{n % 2 + 1:02d}",
                    building=f"{n // 264 + 1}",
                    area_m2=Decimal("90.00"),
                )
                for n in range(households)
            ],
            Household,
            batch_size=2000,
            default_user=manager,
        )
        owners, periods, cases, owed = [], [], [], {}
        for household in held:
            name = "王李张刘陈杨"[household.pk % 6] + "先生"
            owners.append(Owner(household=household, name=name, phone="13800000000"))
            span, fee = rnd.randint(1, 60), Decimal(rnd.randint(80, 400)) + Decimal("0.50")
            last = month_back(LAST_MONTH, rnd.randint(0, 24))
            for i in range(span):
                periods.append(
                    DebtPeriod(household=household, month=month_back(last, i), amount_due=fee)
                )
            owed[household.pk] = (household.unit_code, name, fee * span, fee)
            team, members = rnd.choice(teams)
            cases.append(
                Case(
                    campaign=campaign,
                    household=household,
                    category="refusal",
                    team=team,
                    responsible=rnd.choice(members),
                )
            )
        for objs, model in ((owners, Owner), (periods, DebtPeriod), (cases, Case)):
            bulk_create_with_history(objs, model, batch_size=2000, default_user=manager)

    book = Workbook(write_only=True)
    sheet = book.create_sheet("收款明细")
    sheet.append(HEADERS)
    keys = list(owed)
    start = datetime.datetime(2026, 9, 1, 8, 0)
    for n in range(payments):
        pk = rnd.choice(keys)
        unit, name, left, fee = owed[pk]
        roll = rnd.random()
        if left <= 0 or roll < 0.04:
            amount = fee * 2  # beyond what is owed: credit
        elif roll < 0.28:
            amount = left  # the rest: the case is cleared
        else:
            amount = min(left, fee * rnd.randint(1, 6))
        owed[pk] = (unit, name, left - amount, fee)
        paid = start + datetime.timedelta(minutes=7 * n)
        sheet.append(
            [
                f"SJ{stamp[-4:]}{n:07d}",
                unit,
                float(amount),
                paid if rnd.random() < 0.5 else f"{paid:%Y-%m-%d}",
                rnd.choice(METHODS),
                name,
                rnd.choice(NOTES) or None,
            ]
        )
    book.save(file_path(payments))
    return {
        "office": office.pk,
        "user": manager.pk,
        "months": len(periods),
        "bytes": file_path(payments).stat().st_size,
    }


def history_rows() -> int:
    from arrears.models import Case, DebtPeriod, Payment

    return sum(m.history.model.objects.count() for m in (Payment, DebtPeriod, Case))


def run(step: str, payments: int, ids: dict) -> dict:
    path = file_path(payments)
    if step == "openpyxl":
        import openpyxl

        out: dict = {}
        with measured(out), path.open("rb") as fh:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            out["rows"] = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
            book.close()
        return out

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from arrears.models import Clearance, Office, Payment
    from imports import payment_import as pi

    office = Office.objects.get(pk=ids["office"])
    by = get_user_model().objects.get(pk=ids["user"])
    before = history_rows()
    out = {}
    with measured(out):
        with path.open("rb") as fh:
            parsed = pi.parse_workbook(fh)
        report = pi.payment_import(
            parsed=parsed,
            office=office,
            by=by,
            dry_run=step == "preview",
            # The file pays more than owed on some rows: warned of, and accepted, as a user
            # ticks "I have read the warnings" (without it nothing is written).
            accept_warnings=True,
            now=timezone.make_aware(datetime.datetime(2026, 11, 30, 12)),
        )
    if not report.ok:
        raise SystemExit("\n".join(report.problems[:20]))
    out["rows"] = len(report.rows)
    out["written"] = report.written
    out["imported"] = report.imported
    out["summary"] = report.summary_lines()
    out["history_written"] = history_rows() - before
    out["payments"] = Payment.objects.filter(office=office).count()
    out["clearances"] = Clearance.objects.filter(case__campaign__office=office).count()
    return out


def child_main(args) -> None:
    url = database_url(f"import-payments-{args.payments}")
    if args.setup:
        if url.startswith("sqlite:///"):  # a fresh file each run
            for suffix in ("", "-wal", "-shm"):
                Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
        ensure_database(url)
        setup_django(url)
        print(json.dumps(setup(args.payments, args.households)))
        return
    setup_django(url)
    print(json.dumps(run(args.run, args.payments, json.loads(args.ids))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=TARGET_ROWS)
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=["openpyxl", "preview", "import", "reimport"])
    parser.add_argument("--ids", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup or args.run:
        child_main(args)
        return

    n = args.payments
    url = database_url(f"import-payments-{n}")
    print(f"Database: {url.split('@')[-1]}")
    started = time.perf_counter()
    ids = child(__file__, "--setup", "--payments", str(n), "--households", str(args.households))
    print(
        f"Built {args.households:,} households ({ids['months']:,} months, one case each) and "
        f"{file_path(n)} ({ids['bytes'] / 1e6:.1f} MB, {n:,} payments) in "
        f"{time.perf_counter() - started:.1f} s."
    )
    ids_arg = json.dumps(ids)
    results = {}
    for step in ["openpyxl", "preview", "import", "reimport"]:
        results[step] = child(__file__, "--run", step, "--payments", str(n), "--ids", ids_arg)
    print()
    table(results, {}, "openpyxl")
    print(
        f"\nBaseline (Django loaded, before the step): {mb(results['import']['baseline_kib']):.1f}"
        " MB. peak = ru_maxrss of the step's process; incr = peak - baseline; cpu s = process "
        "CPU time; q/row = SQL statements per row."
    )
    for step in ("preview", "import", "reimport"):
        r = results[step]
        print(f"{step:>9}: {' · '.join(r['summary'])}; history rows written: "
              f"{r['history_written']:,}; payments held {r['payments']:,}, "
              f"clearances {r['clearances']:,}")  # fmt: skip
    imp, again = results["import"], results["reimport"]
    checks = [
        (
            imp["seconds"] * TARGET_ROWS / n < TARGET_SECONDS,
            f"first import of {n:,} payments: {imp['seconds']:.1f} s "
            f"(target {TARGET_SECONDS} s for {TARGET_ROWS:,})",
        ),
        (
            imp["written"] and imp["payments"] == imp["imported"] == n,
            f"the first import wrote every payment: {imp['payments']:,} held",
        ),
        (
            again["history_written"] == 0 and again["payments"] == imp["payments"],
            f"re-import writes nothing: {again['history_written']} history rows",
        ),
    ]
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
