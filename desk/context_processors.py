from arrears import scoping
from arrears.models import Campaign, Notification, Role
from arrears.roles import role_of


def role(request):
    """The signed-in user's role, its label and their unread inbox count, for the nav bar."""
    user = getattr(request, "user", None)
    value = role_of(user) if user is not None else None
    unread, campaign_id = 0, None
    if user is not None and user.is_authenticated:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        if value not in (None, Role.SITE_STAFF):
            campaign_id = (
                scoping.campaigns(user)
                .filter(status=Campaign.Status.RUNNING)
                .order_by("-start_date")
                .values_list("pk", flat=True)
                .first()
            )
    return {
        "user_role": value,
        "user_role_label": Role(value).label if value else "",
        "unread_count": unread,
        "nav_campaign_id": campaign_id,
        "works_cases": value
        in {Role.COLLECTOR, Role.TEAM_LEADER, Role.OFFICE_MANAGER, Role.ADMINISTRATOR},
        "oversees": value
        in {
            Role.TEAM_LEADER,
            Role.OFFICE_MANAGER,
            Role.OPERATIONS_MANAGER,
            Role.REGIONAL_DIRECTOR,
            Role.ADMINISTRATOR,
        },
        "is_manager": value == Role.OFFICE_MANAGER,
    }
