"""Shared pieces for the escalation tests: a frozen clock, a case with recent arrears, scans.

Tests that depend on dates use `frozen` (10:00 in Shanghai on TODAY, the clock standing
still); list it before `world` (or use `pytestmark = pytest.mark.usefixtures("frozen")`) so
the world is built on that day too.
"""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from arrears.models import DebtorCategory
from tests.conftest import PNG, make_case, make_household, set_campaign_months

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.date(2026, 3, 16)  # a Monday


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def scan(name: str = "receipt.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def frozen():
    with time_machine.travel(at(TODAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def fresh_case(world):
    """R2-301 owes 2024-01 … 2024-12 at 100.00 a month (1,200.00), none of it time-barred;
    it refuses without a reason, so nothing makes it disputed or unserviceable."""
    house = make_household(
        world.office, "R2-301", first=datetime.date(2024, 1, 1), last=datetime.date(2024, 12, 1)
    )
    set_campaign_months(world.campaign, arrears_through=datetime.date(2026, 10, 1))
    return make_case(
        campaign=world.campaign,
        household=house,
        team=world.team_a,
        responsible=world.collector_a,
        category=DebtorCategory.REFUSAL,
    )
