import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
# The benchmark scripts import each other as siblings, as they do when run as scripts.
sys.path.insert(0, str(BENCH))

FAST_HASH_SETTINGS = "tests.bench.fast_hash_settings"


@pytest.fixture
def bench_dir():
    return BENCH
