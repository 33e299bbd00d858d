"""Benchmark: importing an office's arrears ledger of N rows, then the same file again.

    .venv/bin/python bench/import_ledger.py [--rows N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/arrears_bench .venv/bin/python bench/import_ledger.py

Generates (or reuses) a realistic ledger .xlsx of N rows under var/bench/ (units like 3-2-502,
owners' names and phones, areas, first and last months 1–60 months apart, reasons, the five
categories, teams A–D, responsible people, planned dates; the monthly amount given on two rows
in three, area × the office's rate on the third), then measures, each in a fresh process on a
fresh office and campaign of the configured database:

  openpyxl    reading the file with openpyxl alone, read-only (the floor)
  preview     parse_workbook + ledger_import(dry_run=True): what the preview page runs
  import      parse_workbook + ledger_import(): the first import, everything new
  reimport    the same file again: must write nothing (history rows counted before and after)

See bench/README.md for how to read the output. Issue 14 item 9's target: 50,000 rows in
under 60 s on the 2-core machine.
"""

import argparse
import datetime
import json
import random
import sys
import time
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

STEPS = ["openpyxl", "preview", "import", "reimport"]
TARGET_SECONDS = 60  # for 50,000 rows
TARGET_ROWS = 50_000
HEADERS = [
    "房号", "业主", "业主电话", "房屋动态", "建筑面积", "起始月份", "截止月份", "月数",
    "每月金额", "欠费原因", "欠费类型", "小组", "责任人", "计划收取时间",
]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红娥建国志文海燕鹏飞春梅晓东"
REASONS = [
    "对物业服务不满意", "家中被盗", "房屋漏水未修", "长期在外地", "经济困难", "认为收费标准过高",
    "车位纠纷", "开发商遗留问题", "", "", "", "",
]  # fmt: skip
CATEGORIES = ["空关", "无法联系", "异地出差", "特殊拒交", "恶意拒交", "空关类", "特殊拒交类"]
OCCUPANCY = ["入住", "入住", "入住", "空关", "未入住", "装修中", "已装修未入住", "未入住（样板房）"]
TEAMS = {
    "A": [("bench_a1", "赵阳"), ("bench_a2", "钱雪")],
    "B": [("bench_b1", "孙磊"), ("bench_b2", "李娜")],
    "C": [("bench_c1", "周杰"), ("bench_c2", "吴敏")],
    "D": [("bench_d1", "郑涛"), ("bench_d2", "王芳")],
}
RATE = "1.80"
LAST_MONTH = datetime.date(2026, 10, 1)


def file_path(rows: int) -> Path:
    return BENCH_DIR / f"ledger-{rows}.xlsx"


def month_back(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - n
    return datetime.date(index // 12, index % 12 + 1, 1)


def units(n: int):
    """Distinct unit codes building-entrance-room, like 3-2-502."""
    made = 0
    for building in range(1, 1000):
        for entrance in range(1, 5):
            for floor in range(1, 34):
                for room in range(1, 5):
                    yield f"{building}-{entrance}-{floor}{room:02d}"
                    made += 1
                    if made == n:
                        return


def make_file(rows: int) -> dict:
    from openpyxl import Workbook

    path = file_path(rows)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return {"file": str(path), "bytes": path.stat().st_size, "reused": True}
    rnd = random.Random(14)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("欠费台账")
    sheet.append(HEADERS)
    months = 0
    for unit in units(rows):
        span = rnd.randint(1, 60)
        last = month_back(LAST_MONTH, rnd.randint(0, 120))
        first = month_back(last, span - 1)
        months += span
        area = round(rnd.uniform(45, 220), 2)
        team = rnd.choice("ABCD")
        planned = (
            datetime.datetime(2026, rnd.randint(1, 12), rnd.randint(1, 28))
            if rnd.random() < 0.5
            else rnd.choice(["已打报告", "待联系", None])
        )
        sheet.append(
            [
                unit,
                rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.randint(1, 2))),
                f"1{rnd.choice('3456789')}{rnd.randint(0, 999_999_999):09d}",
                rnd.choice(OCCUPANCY),
                area,
                f"{first:%Y-%m}" if rnd.random() < 0.5 else f"{first.year}年{first.month}月",
                f"{last:%Y-%m}",
                span if rnd.random() < 0.7 else None,
                round(area * 1.8, 2) if rnd.random() < 0.67 else None,
                rnd.choice(REASONS) or None,
                rnd.choice(CATEGORIES),
                team,
                rnd.choice(TEAMS[team])[0] if rnd.random() < 0.6 else None,
                planned,
            ]
        )
    book.save(path)
    return {"file": str(path), "bytes": path.stat().st_size, "months": months, "reused": False}


# --- children ---------------------------------------------------------------------------------


def setup(url: str) -> dict:
    """A fresh office, running campaign, fee rate, teams A–D with members and a manager."""
    from django.core.management import call_command

    from arrears.models import Campaign, FeeRate, Office, Region, Role, StaffProfile
    from arrears.roles import user_set_role
    from teams.models import Team, TeamMember

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    stamp = f"{time.time_ns() % 10**10}"
    region, _ = Region.objects.get_or_create(code="bench", defaults={"name": "基准"})
    office = Office.objects.create(region=region, code=f"b{stamp}", name=f"基准服务处 {stamp}")
    today = datetime.date(2026, 11, 1)
    campaign = Campaign.objects.create(
        office=office,
        name="基准清收",
        start_date=today,
        target_date=today + datetime.timedelta(days=90),
        arrears_through=LAST_MONTH,
    )
    FeeRate.objects.create(
        office=office, rate_per_m2=RATE, effective_from=datetime.date(2000, 1, 1)
    )
    manager = users.create_user(f"bm{stamp}", password="x")  # noqa: S106 - a throw-away user
    user_set_role(user=manager, role=Role.OFFICE_MANAGER)
    StaffProfile.objects.create(user=manager, office=office, display_name="基准经理")
    for code, members in TEAMS.items():
        team = Team.objects.create(campaign=campaign, code=code)
        for username, name in members:
            user, new = users.get_or_create(username=username)
            if new:
                user_set_role(user=user, role=Role.COLLECTOR)
                StaffProfile.objects.create(user=user, office=office, display_name=name)
            TeamMember.objects.create(team=team, user=user)
    return {"office": office.pk, "campaign": campaign.pk, "user": manager.pk}


def history_rows() -> int:
    from arrears.models import Case, DebtPeriod
    from households.models import Household, Owner

    return sum(m.history.model.objects.count() for m in (Household, Owner, DebtPeriod, Case))


def run(step: str, rows: int, ids: dict) -> dict:
    path = file_path(rows)
    if step == "openpyxl":
        import openpyxl

        out: dict = {}
        with measured(out), path.open("rb") as fh:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            out["rows"] = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
            book.close()
        return out

    from django.contrib.auth import get_user_model

    from arrears.models import Campaign, Office
    from imports import ledger_import as li

    office = Office.objects.get(pk=ids["office"])
    campaign = Campaign.objects.get(pk=ids["campaign"])
    by = get_user_model().objects.get(pk=ids["user"])
    before = history_rows()
    out = {}
    with measured(out):
        with path.open("rb") as fh:
            parsed = li.parse_workbook(fh)
        report = li.ledger_import(
            parsed=parsed,
            office=office,
            campaign=campaign,
            by=by,
            dry_run=step == "preview",
            today=datetime.date(2026, 11, 30),
        )
    if not report.ok:
        raise SystemExit("\n".join(report.problems[:20]))
    out["rows"] = len(report.rows)
    out["summary"] = report.summary_lines()
    out["history_written"] = history_rows() - before
    out["written"] = report.written
    out["counts"] = [
        report.households_created,
        report.households_updated,
        report.periods_created,
        report.periods_updated,
        report.cases_created,
        report.cases_updated,
    ]
    return out


def parse_only(rows: int) -> dict:
    """Child: the shared reader alone (imports.sheet), for the split of the preview's time."""
    from imports import ledger_import as li

    out: dict = {}
    with measured(out), file_path(rows).open("rb") as fh:
        out["rows"] = len(li.parse_workbook(fh).rows)
    return out


def child_main(args) -> None:
    url = database_url(f"import-ledger-{args.rows}")
    if args.make:
        print(json.dumps(make_file(args.rows)))
        return
    if args.setup:
        if url.startswith("sqlite:///"):  # a fresh file each run
            for suffix in ("", "-wal", "-shm"):
                Path(f"{url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
        ensure_database(url)
        setup_django(url)
        print(json.dumps(setup(url)))
        return
    setup_django(url)
    if args.run == "parse":
        print(json.dumps(parse_only(args.rows)))
        return
    print(json.dumps(run(args.run, args.rows, json.loads(args.ids))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=[*STEPS, "parse"], help=argparse.SUPPRESS)
    parser.add_argument("--ids", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make or args.setup or args.run:
        child_main(args)
        return

    n = args.rows
    made = child(__file__, "--make", "--rows", str(n))
    print(
        f"File: {made['file']} ({made['bytes'] / 1e6:.1f} MB, {n:,} rows"
        + (f", {made['months']:,} months" if "months" in made else ", reused")
        + ")"
    )
    url = database_url(f"import-ledger-{n}")
    print(f"Database: {url.split('@')[-1]}")
    ids = child(__file__, "--setup", "--rows", str(n))
    ids_arg = json.dumps(ids)
    results = {}
    for step in ["openpyxl", "parse", "preview", "import", "reimport"]:
        results[step] = child(__file__, "--run", step, "--rows", str(n), "--ids", ids_arg)
    print()
    table(results, {}, "openpyxl")
    print(
        f"\nBaseline (Django loaded, before the step): {mb(results['import']['baseline_kib']):.1f}"
        " MB. peak = ru_maxrss of the step's process; incr = peak - baseline; cpu s = process "
        "CPU time (steadier than wall time on a busy machine); q/row = SQL statements per row."
    )
    for step in ("preview", "import", "reimport"):
        r = results[step]
        print(f"{step:>9}: {' · '.join(r['summary'][:3])}; history rows written: "
              f"{r['history_written']:,}")  # fmt: skip
    imp, again = results["import"], results["reimport"]
    checks = [
        (
            imp["seconds"] * TARGET_ROWS / n < TARGET_SECONDS,
            f"first import at {n:,} rows: {imp['seconds']:.1f} s "
            f"(target {TARGET_SECONDS} s for {TARGET_ROWS:,})",
        ),
        (
            again["history_written"] == 0 and not any(again["counts"]),
            f"re-import writes nothing: {again['history_written']} history rows, "
            f"counts {again['counts']}",
        ),
        (
            again["seconds"] < imp["seconds"] / 2,
            f"re-import takes a fraction of the first: "
            f"{again['seconds'] / imp['seconds']:.2f} of it",
        ),
    ]
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
