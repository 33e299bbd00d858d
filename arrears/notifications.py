"""The in-app inbox: who hears about what."""

from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from arrears import scoping
from arrears.models import Case, Notification, Office, Role


def office_managers(office: Office) -> QuerySet:
    return get_user_model().objects.filter(
        is_active=True, groups__name=Role.OFFICE_MANAGER, staff_profile__office=office
    )


def team_leaders(team_id) -> list:
    """The leaders of a team (teams sit above the core: the model is named by string)."""
    team_member = apps.get_model("teams", "TeamMember")
    leaders = team_member.objects.filter(team_id=team_id, role=team_member.Role.LEADER)
    return [m.user for m in leaders.select_related("user")]


def case_recipients(case: Case, people) -> list:
    """Of `people` (a case's responsible person, whoever issued its letter…), those who
    may see the case now; if none may, the case team's leader. A person removed from the
    team hears nothing more of its cases."""
    seen, keep = set(), []
    for person in people:
        if person is None or person.pk in seen:
            continue
        seen.add(person.pk)
        if scoping.cases(person).filter(pk=case.pk).exists():
            keep.append(person)
    return keep or (team_leaders(case.team_id) if case.team_id else [])


def notify(*, recipients: Iterable, kind: str, title: str, body: str = "", url: str = "") -> int:
    """Put one entry in each recipient's inbox (each person once)."""
    seen, rows = set(), []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, title=title[:200], body=body, url=url))
    Notification.objects.bulk_create(rows)
    return len(rows)


def inbox_mark_read(*, by, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
