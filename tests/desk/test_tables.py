"""The case table's own columns (desk.tables)."""

import datetime
from zoneinfo import ZoneInfo

from desk.tables import DayColumn


def test_a_moment_is_shown_in_local_time_and_a_date_as_it_is():
    # 2026-11-30 17:30 UTC is 01:30 on December 1st in Shanghai: the day the office lived.
    moment = datetime.datetime(2026, 11, 30, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert DayColumn(format="m-d H:i").render(moment) == "12-01 01:30"
    assert DayColumn(format="Y-m").render(datetime.date(2014, 3, 1)) == "2014-03"
