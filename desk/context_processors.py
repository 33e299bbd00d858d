from arrears import access, scoping
from arrears.models import Campaign, Notification, Role
from arrears.roles import role_of


def role(request):
    """The signed-in user's role label, their unread inbox count and what their menu shows
    (each entry asked of arrears.access, the rule book).

    Computed once per request: django-tables2 renders each table's template with the
    request, which runs every context processor again (two more queries a table)."""
    cached = getattr(request, "_desk_role_context", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    value = role_of(user) if user is not None else None
    signed_in = user is not None and user.is_authenticated
    unread, campaign_id = 0, None
    if signed_in:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        if access.may_see_campaigns(user):
            campaign_id = (
                scoping.campaigns(user)
                .filter(status=Campaign.Status.RUNNING)
                .order_by("-start_date")
                .values_list("pk", flat=True)
                .first()
            )
    request._desk_role_context = {
        "user_role_label": Role(value).label if value else "",
        "unread_count": unread,
        "nav_campaign_id": campaign_id,
        "may_work_cases": signed_in and access.may_work_cases(user),
        "may_see_breaches": signed_in and access.may_see_breaches(user),
        "may_use_office_tools": signed_in and access.may_use_office_tools(user),
        "may_handle_data_requests": signed_in and access.may_handle_data_requests(user),
        "may_import_ledger": signed_in and access.may_import_ledger(user),
        "may_import_payments": signed_in and access.may_import_payments(user),
        "may_read_summaries": signed_in and access.may_read_summaries(user),
        "may_read_weekly_report": signed_in and access.may_read_weekly_report(user),
    }
    return request._desk_role_context
