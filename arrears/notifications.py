"""The in-app inbox: who hears about what."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from arrears.models import Notification, Office, Role


def office_managers(office: Office) -> QuerySet:
    return get_user_model().objects.filter(
        is_active=True, groups__name=Role.OFFICE_MANAGER, staff_profile__office=office
    )


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


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox_mark_read(*, by, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
