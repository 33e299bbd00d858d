import datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from arrears import access, scoping
from arrears.downloads import attachment
from arrears.inputs import parse_day
from reports.weekly import WeeklyReport


def weekly_report(request):
    """The director's (or an operations manager's) weekly workbook, for their offices only."""
    if not access.may_read_weekly_report(request.user):
        raise PermissionDenied
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    value = request.GET.get("week_of")
    if value is None:
        return render(request, "reports/weekly.html", {"week_of": last_week})
    try:
        week_of = parse_day(value)
    except ValueError as error:
        return render(
            request, "reports/weekly.html", {"week_of": last_week, "bad_date": error}, status=400
        )
    filename, mimetype, data = WeeklyReport(
        offices=scoping.offices(request.user), week_of=week_of, name=request.user.get_username()
    ).render()
    return attachment(data, filename=filename, content_type=mimetype)
