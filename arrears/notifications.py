"""The in-app inbox: who hears about what, in the reader's language.

A notice is stored as its message id and parameters (arrears.messages.Message), not as text:
it is put in the language of whoever reads it, when it is read (issue 16.8). Its text in the
default language is kept beside them, as the fallback of rows written before."""

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone, translation

from arrears import scoping
from arrears.messages import Flags, Lines, Message, render
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


def _stored(words) -> tuple[str, str, dict]:
    """(text in the default language, msgid, parameters) of a title or a body: a Message
    (Flags or Lines are given as a Message's parameters), or a person's own words."""
    if isinstance(words, Flags | Lines):
        words = Message("%(text)s", text=words)
    if isinstance(words, Message):
        data = words.as_data()
        if "plural" in data:
            raise ValueError("a notice's title or text is not a plural: give it as a parameter")
        with translation.override(settings.LANGUAGE_CODE):
            text = render(data)
        return text, data["msgid"], data["params"]
    return str(words or ""), "", {}


def notification(*, recipient, kind: str, title, body="", url: str = "") -> Notification:
    """One inbox entry (unsaved): `title` and `body` are Messages (or a person's own words)."""
    title_text, message, params = _stored(title)
    body_text, body_message, body_params = _stored(body)
    return Notification(
        recipient=recipient,
        kind=kind,
        title=title_text[:200],
        body=body_text,
        url=url,
        message=message,
        params=params,
        body_message=body_message,
        body_params=body_params,
    )


def notify(*, recipients: Iterable, kind: str, title, body="", url: str = "") -> int:
    """Put one entry in each recipient's inbox (each person once)."""
    seen, rows = set(), []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(notification(recipient=user, kind=kind, title=title, body=body, url=url))
    Notification.objects.bulk_create(rows)
    return len(rows)


def inbox_mark_read(*, by, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
