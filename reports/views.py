import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from arrears import access, scoping
from arrears.downloads import attachment
from arrears.inputs import parse_day
from reports.week_figures import totals, week_figures
from reports.weekly import WeeklyReport
from reports.weeks import week_label


def _week(monday: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    return start, start + datetime.timedelta(days=7)


def weekly_report(request):
    """The director's (or an operations manager's) weekly workbook, for their offices only.

    The page shows the week's key numbers per office (last week's at first; `?week_of=DAY&
    show=1` another week's); `?week_of=DAY` alone downloads that week's workbook."""
    if not access.may_read_weekly_report(request.user):
        raise PermissionDenied
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    value = request.GET.get("week_of")
    week_of, status, bad_date = last_week, 200, None
    if value is not None:
        try:
            week_of = parse_day(value)
        except ValueError as error:
            week_of, status, bad_date = last_week, 400, error
    offices = scoping.offices(request.user)
    if value is None or "show" in request.GET or bad_date:
        monday = week_of - datetime.timedelta(days=week_of.weekday())
        start, end = _week(monday)
        rows = week_figures(offices, start=start, end=end)
        context = {
            "week_of": week_of,
            "monday": monday,
            "week": week_label(monday),
            "rows": rows,
            "totals": totals(rows),
            "bad_date": bad_date,
        }
        return render(request, "reports/weekly.html", context, status=status)
    filename, mimetype, data = WeeklyReport(
        offices=offices, week_of=week_of, name=request.user.get_username()
    ).render()
    return attachment(data, filename=filename, content_type=mimetype)
