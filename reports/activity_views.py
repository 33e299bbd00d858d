"""The payments and contact-attempts lists: scoped, filtered, sorted, paginated, and the
same rows as an xlsx download; and the breaches page a manager reviews."""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import LazyPaginator, RequestConfig

from arrears import access, scoping
from arrears.downloads import attachment
from households import scoping as household_scoping
from households.models import IS_BREACH, ExemptionReview
from reports.activity_filters import AttemptFilter, PaymentFilter
from reports.activity_tables import AttemptTable, PaymentTable
from reports.exporters import AttemptListExport, PaymentListExport
from reports.flagged_texts import flagged_texts

PER_PAGE = 50
# The breaches page shows this many breaches and flagged notes at a time, newest first:
# a region's week held 270, its 30 days 1,100, each a few model rows to build and render.
BREACHES_PER_PAGE = 50


class _Pages(LazyPaginator):
    """Pages that are not counted (django-tables2's LazyPaginator: a page reads one row more
    than it shows, to know whether another follows), up to a page number the database can
    skip to: page 99999999999999999999 is out of range, as a counted paginator would say,
    rather than an offset beyond 64 bits. Out of range shows the first page."""

    MAX_PAGE = 1_000_000

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > self.MAX_PAGE:
            raise EmptyPage(number)
        return number


def _xlsx(exporter, stem):
    filename, mimetype, data = exporter.render()
    return attachment(
        data, filename=f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", content_type=mimetype
    )


def _list(request, *, qs, filter_class, table_class, exporter_class, title, stem):
    params = request.GET.copy()
    export = params.pop("export", None)
    list_filter = filter_class(params or None, queryset=qs)
    filtered = list_filter.qs
    if export == ["xlsx"]:
        ordering = table_class._meta.order_by
        return _xlsx(exporter_class(filtered.order_by(*ordering), title=title), stem)
    table = table_class(filtered)
    # No count of every row in scope: it joined a region's 44,000 attempts to their
    # households on every page (issue 15: 40–100 ms, more as the months go by), and the
    # pager never showed it.
    paginate = {"per_page": PER_PAGE, "paginator_class": _Pages}
    RequestConfig(request, paginate=paginate).configure(table)
    return render(
        request,
        "reports/activity_list.html",
        {"title": title, "filter": list_filter, "table": table},
    )


@permission_required("arrears.view_payment", raise_exception=True)
def payment_list(request):
    qs = scoping.payments(request.user).select_related(
        "household", "team", "recorded_by__staff_profile"
    )
    return _list(
        request,
        qs=qs,
        filter_class=PaymentFilter,
        table_class=PaymentTable,
        exporter_class=PaymentListExport,
        title=_("Payments"),
        stem="payments",
    )


@permission_required("households.view_contactattempt", raise_exception=True)
def attempt_list(request):
    qs = household_scoping.contact_attempts(request.user).select_related(
        "household", "made_by__staff_profile", "exemption_review"
    )
    return _list(
        request,
        qs=qs,
        filter_class=AttemptFilter,
        table_class=AttemptTable,
        exporter_class=AttemptListExport,
        title=_("Contact attempts"),
        stem="contact-attempts",
    )


def breach_list(request):
    """Breaches, exemptions to review and flagged texts of the last 7 or 30 days."""
    if not access.may_see_breaches(request.user):
        raise PermissionDenied
    days = 30 if request.GET.get("days") == "30" else 7
    since = timezone.now() - timezone.timedelta(days=days)
    scope = household_scoping.contact_attempts(request.user).select_related(
        "household",
        "made_by__staff_profile",
        "case",
        "exemption_review__reviewed_by__staff_profile",
    )
    attempts = _Pages(
        scope.filter(occurred_at__gte=since)
        .filter(IS_BREACH | ~Q(flagged_terms=[]))
        .order_by("-occurred_at", "-pk"),
        BREACHES_PER_PAGE,
    ).get_page(request.GET.get("page"))
    # Every exemption not yet reviewed, however old; those reviewed within the window.
    to_review = scope.exemptions_to_review().order_by("occurred_at", "pk")
    reviewed = (
        scope.exempted()
        .filter(exemption_review__isnull=False, occurred_at__gte=since)
        .order_by("-occurred_at")
    )
    return render(
        request,
        "reports/breach_list.html",
        {
            "attempts": attempts.object_list,
            "attempts_page": attempts,
            "to_review": to_review,
            "reviewed": reviewed,
            "days": days,
            "can_review": request.user.has_perm("households.add_exemptionreview"),
            "decisions": ExemptionReview.Decision,
            "texts": flagged_texts(request.user, since=since),
        },
    )
