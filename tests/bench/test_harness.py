"""The pieces of the HTTP benchmarks that need no server: the loopback check, percentiles,
the bounds of a load run."""

import argparse
import subprocess
import sys

import pytest
from harness import percentile, require_loopback
from load import seconds_per_step, user_steps

LOOPBACK = [
    "127.0.0.1",
    "127.9.9.9",
    "localhost",
    "::1",
    "http://127.0.0.1:8000",
    "http://127.0.0.1:8000/cases/?page=2",
    "http://localhost:1234",
    "http://[::1]:8000",
]
ELSEWHERE = [
    "10.0.0.1",
    "http://192.168.1.10:8000",
    "http://172.16.0.1",
    "8.8.8.8",
    "http://example.com",
    "localhost.example.com",
    "http://127.0.0.1.nip.io:8000",
    "0.0.0.0",  # noqa: S104 - every interface: refused
    "http://[::]:8000",
    "",
]


@pytest.mark.parametrize("target", LOOPBACK)
def test_the_loopback_is_accepted(target):
    assert require_loopback(target) in {"127.0.0.1", "127.9.9.9", "localhost", "::1"}


@pytest.mark.parametrize("target", ELSEWHERE)
def test_any_other_host_is_refused(target):
    with pytest.raises(SystemExit, match="loopback only"):
        require_loopback(target)


@pytest.mark.parametrize(
    "argv",
    [
        ["bench/load.py", "--bind", "192.168.1.1", "--database-url", "sqlite:///nowhere"],
        ["bench/pages.py", "--http", "--bind", "10.1.2.3", "--database-url", "sqlite:///x"],
    ],
)
def test_the_scripts_refuse_another_host_before_doing_anything(argv, bench_dir):
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=bench_dir.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "loopback only" in done.stderr
    assert "gunicorn" not in done.stdout


def test_percentiles_are_nearest_rank_values_that_were_measured():
    hundred = list(range(100, 0, -1))  # any order
    assert percentile(hundred, 50) == 50
    assert percentile(hundred, 95) == 95
    assert percentile(hundred, 99) == 99
    assert percentile(hundred, 100) == 100
    seven = [30, 10, 70, 20, 60, 40, 50]
    assert percentile(seven, 50) == 40
    assert percentile(seven, 95) == 70  # of 7 requests, the slowest
    assert percentile([0.2], 99) == 0.2
    assert percentile([1.5, 2.5], 50) == 1.5  # never an interpolated 2.0


@pytest.mark.parametrize("q", [0, -5, 100.1])
def test_a_percentile_outside_0_to_100_is_refused(q):
    with pytest.raises(ValueError):
        percentile([1, 2, 3], q)


def test_no_values_have_no_percentile():
    with pytest.raises(ValueError):
        percentile([], 50)


def test_a_load_run_is_bounded_in_users_and_time():
    assert user_steps("1,10,20,50") == [1, 10, 20, 50]
    for bad in ("0", "1,201", "", "5,-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            user_steps(bad)
    assert seconds_per_step("30") == 30
    for bad in ("0", "0.5", "901"):
        with pytest.raises(argparse.ArgumentTypeError):
            seconds_per_step(bad)
