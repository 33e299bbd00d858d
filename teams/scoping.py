"""What each user may see of teams (see arrears.scoping)."""

from django.db.models import QuerySet

from arrears.scoping import in_offices, scope_of
from teams.models import Team


def teams(user) -> QuerySet[Team]:
    """Everyone in an office sees its teams (the ranking is public inside the office)."""
    scope = scope_of(user)
    if not scope.sees_cases:
        return Team.objects.none()
    return in_offices(Team.objects.select_related("campaign"), scope, "campaign__office")
