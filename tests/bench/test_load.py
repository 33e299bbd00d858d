"""bench/load.py end to end, small: 2 locust users for 5 s against its own gunicorn on a
tiny generated region, signed in through the login page; 0 errors, 0 breaches."""

import json
import subprocess
import sys

from desk.load import generate_load
from tests.bench.conftest import FAST_HASH_SETTINGS
from tests.processes import database_url_of_test_db

COLLECTOR_PAGES = {
    "case list",
    "case page",
    "attempt form",
    "log contact (call)",
    "log contact (letter)",
    "case page after saving",
}


def test_two_users_for_5_seconds_without_an_error(transactional_db, tmp_path, bench_dir):
    generate_load(offices=1, households_per_office=60, seed=9, region_code="lq", summary_days=0)
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            str(bench_dir / "load.py"),
            *("--database-url", database_url_of_test_db(), "--region", "lq"),
            *("--users", "2", "--seconds", "5", "--json", str(out)),
            *("--settings", FAST_HASH_SETTINGS),
        ],
        cwd=bench_dir.parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    (step,) = json.loads(out.read_text())["steps"]
    assert step["users"] == 2 and step["user_classes"] == {"Collector": 2, "Manager": 0}
    assert step["errors"] == 0 and step["breaches"] == 0
    assert step["requests"] >= 3 and step["rps"] > 0
    # Where each user's round stood when the 5 s window opened varies: any of its pages.
    assert step["pages"] and set(step["pages"]) <= COLLECTOR_PAGES
    assert step["p50"] <= step["p95"] <= step["p99"]
    assert "users  requests   req/s" in done.stdout
