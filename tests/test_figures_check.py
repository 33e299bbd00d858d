"""The conftest's figures check (`_case_figures_kept`) skips only tests that wrote nothing:
its write counter sees every statement that changes rows, and none that only reads."""

from django.db import connection
from django.db.models import F

from arrears import case_figures
from arrears.models import DebtPeriod
from tests.conftest import _Writes


def test_the_counter_sees_writes_and_ignores_reads(world):
    writes = _Writes()
    with connection.execute_wrapper(writes):
        list(DebtPeriod.objects.filter(household=world.house_a)[:1])
        assert writes.count == 0
        DebtPeriod.objects.filter(household=world.house_a).update(amount_due=F("amount_due") + 1)
        assert writes.count == 1
        with connection.cursor() as cursor:
            cursor.execute("  delete from arrears_summary")
        assert writes.count == 2
    # What the check would then have found:
    assert case_figures.drift()
    case_figures.refresh([world.house_a.pk])
    assert not case_figures.drift()


def test_re_dating_the_shared_world_is_not_counted_as_the_tests_writes(world):
    writes = _Writes()
    _Writes.paused = True
    try:
        with connection.execute_wrapper(writes):
            DebtPeriod.objects.filter(household=world.house_a).update(amount_due=F("amount_due"))
    finally:
        _Writes.paused = False
    assert writes.count == 0
