"""Benchmark: reading an uploaded ledger through imports.files against openpyxl alone.

    .venv/bin/python bench/read_files.py [--rows N] [--repeat R]

Writes a ledger-shaped workbook of N rows (default 50,000; 8 columns: unit code, owner, phone,
first and last month as dates, monthly amount, a total, a note) to var/bench/, and the same rows
as CSV in UTF-8 and GB18030, then reads each in a fresh process:

  openpyxl        load_workbook(read_only=True, data_only=True) + iter_rows(values_only=True):
                  the floor, with no checks at all
  open_table      imports.files.open_table (zip sizes, <dimension>, the streaming pre-scan of
                  the shared strings and the sheet, loading) + every row of Table.rows()
  open_only       open_table alone: what the checks cost before the first row
  csv_utf8        open_table + rows() of the UTF-8 CSV
  csv_gb18030     open_table + rows() of the GB18030 CSV

Prints seconds (best of R), rows/s, the ratio to openpyxl, and each process's peak memory
(ru_maxrss) and its increase over the baseline taken after the imports.
"""

import argparse
import datetime
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
CONTENDERS = ["openpyxl", "open_table", "open_only", "csv_utf8", "csv_gb18030"]


def build(rows: int) -> dict[str, Path]:
    from openpyxl import Workbook

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    paths = {
        "xlsx": BENCH_DIR / f"read-files-{rows}.xlsx",
        "utf8": BENCH_DIR / f"read-files-{rows}-utf8.csv",
        "gb18030": BENCH_DIR / f"read-files-{rows}-gb18030.csv",
    }
    if all(path.exists() for path in paths.values()):
        return paths
    header = ["房号", "业主", "电话", "起始月份", "截止月份", "每月金额", "合计", "备注"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(header)
    lines = [",".join(header)]
    for n in range(rows):
        first = datetime.datetime(2013 + n % 8, 1 + n % 12, 1)
        last = datetime.datetime(2021, 1 + n % 12, 1)
        row = [
            f"{n // 400 + 1}栋{n % 4 + 1}单元{n % 400 + 101}室",
            f"业主{n}",
            f"1{n:010d}",
            first,
            last,
            120.5 + n % 7,
            (120.5 + n % 7) * 25,
            "多次催缴未果" if n % 5 == 0 else None,
        ]
        sheet.append(row)
        lines.append(
            ",".join(
                ""
                if v is None
                else v.strftime("%Y-%m")
                if isinstance(v, datetime.datetime)
                else str(v)
                for v in row
            )
        )
    book.save(paths["xlsx"])
    text = "\r\n".join(lines) + "\r\n"
    paths["utf8"].write_bytes(text.encode("utf-8"))
    paths["gb18030"].write_bytes(text.encode("gb18030"))
    return paths


CHILD = """
import json, resource, sys, time
import django
django.setup()
from openpyxl import load_workbook
from imports.files import open_table
kind, path = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
count = 0
if kind == "openpyxl":
    book = load_workbook(path, read_only=True, data_only=True)
    for _row in book.worksheets[0].iter_rows(values_only=True):
        count += 1
    book.close()
else:
    with open(path, "rb") as upload:
        table = open_table(upload)
    if kind != "open_only":
        for _number, _values in table.rows():
            count += 1
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "rows": count, "peak_mb": peak / 1024,
                  "incr_mb": (peak - before) / 1024}))
"""


def run(kind: str, path: Path) -> dict:
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, kind, str(path)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    paths = build(args.rows)
    files = {
        "openpyxl": paths["xlsx"],
        "open_table": paths["xlsx"],
        "open_only": paths["xlsx"],
        "csv_utf8": paths["utf8"],
        "csv_gb18030": paths["gb18030"],
    }
    print(
        f"{args.rows} data rows; xlsx {paths['xlsx'].stat().st_size / 1e6:.1f} MB, "
        f"csv {paths['utf8'].stat().st_size / 1e6:.1f} MB; best of {args.repeat}"
    )
    results = {}
    for kind in CONTENDERS:
        runs = [run(kind, files[kind]) for _ in range(args.repeat)]
        results[kind] = min(runs, key=lambda r: r["seconds"])
    floor = results["openpyxl"]["seconds"]
    print(
        f"{'contender':<12} {'seconds':>8} {'rows/s':>9} {'× openpyxl':>10} {'peak MB':>8} {'incr MB':>8}"
    )
    for kind, r in results.items():
        rate = f"{r['rows'] / r['seconds']:,.0f}" if r["rows"] else "-"
        print(
            f"{kind:<12} {r['seconds']:>8.2f} {rate:>9} {r['seconds'] / floor:>10.2f} "
            f"{r['peak_mb']:>8.0f} {r['incr_mb']:>8.0f}"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process: {own:.0f} MB; {time.strftime('%Y-%m-%d %H:%M')})")


if __name__ == "__main__":
    main()
