"""Telling people a summary is ready: the in-app inbox, e-mail (text and HTML) and, when
configured, a group-chat webhook (WeCom / DingTalk style). Once per summary: `notified_at`
is set in the same transaction as the inbox entries, so a rerun or a redelivered task never
tells anyone twice. E-mail and webhook go out after the commit; if the process dies in
between, the inbox still has it (at most once, never twice)."""

import datetime
import json
import logging
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from teams.models import TeamMember

from .models import Notification, Role, Summary
from .summaries import window_label

log = logging.getLogger(__name__)


def recipients(summary: Summary):
    User = get_user_model()
    active = User.objects.filter(is_active=True)
    kind = summary.kind
    if kind == Summary.Kind.DAILY_TEAM:
        return active.filter(
            team_memberships__team=summary.team, team_memberships__role=TeamMember.Role.LEADER
        )
    if kind == Summary.Kind.DAILY_OFFICE:
        return active.filter(groups__name=Role.OFFICE_MANAGER, staff_profile__office=summary.office)
    if kind == Summary.Kind.DAILY_OPERATIONS:
        return active.filter(pk=summary.recipient_id)
    directors = Q(groups__name=Role.REGIONAL_DIRECTOR, staff_profile__region=summary.region)
    if kind == Summary.Kind.MORNING_BRIEF:
        return active.filter(directors).distinct()
    # The Monday pack: the director and everyone who sits at the meeting for an office.
    managers = Q(groups__name=Role.OFFICE_MANAGER, staff_profile__office__region=summary.region)
    overseers = Q(
        groups__name=Role.OPERATIONS_MANAGER, staff_profile__offices__region=summary.region
    )
    return active.filter(directors | managers | overseers).distinct()


def title_of(summary: Summary) -> str:
    where = (
        summary.data.get("team") or summary.data.get("office") or summary.data.get("region") or ""
    )
    return f"{summary.get_kind_display()} · {where} · {summary.for_date:%Y-%m-%d}".replace(
        " ·  ·", " ·"
    )


def deliver(summary: Summary) -> int:
    """Call inside the transaction that stored the summary."""
    summary = Summary.objects.select_for_update().get(pk=summary.pk)
    if summary.notified_at is not None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        people = list(recipients(summary))
        title = title_of(summary)
        url = reverse("summary-detail", args=[summary.pk])
        Notification.objects.bulk_create(
            Notification(recipient=u, kind=Notification.Kind.SUMMARY, title=title, url=url)
            for u in people
        )
        summary.notified_at = timezone.now()
        summary.save(update_fields=["notified_at"])
        emails = [u.email for u in people if u.email]
        context = {
            "summary": summary,
            "title": title,
            "url": settings.SITE_URL + url,  # a mail client needs the whole address
            "figures": summary.data.get("totals") or summary.data.get("figures") or {},
            "window": window_label(summary.data.get("window")),
        }
        text = render_to_string("emails/summary.txt", context)
        html = render_to_string("emails/summary.html", context)
        attachments = _attachments(summary) if emails else []
    transaction.on_commit(lambda: _send(title, text, html, emails, attachments))
    transaction.on_commit(lambda: _webhook(title, text))
    return len(people)


def _attachments(summary: Summary) -> list[tuple[str, bytes, str]]:
    """The Monday pack carries the weekly Excel report of the week it looks back on."""
    if summary.kind != Summary.Kind.WEEKLY_PACK:
        return []
    from .models import Office
    from .weekly_report import WeeklyReport

    report = WeeklyReport(
        offices=Office.objects.filter(region=summary.region),
        week_of=summary.for_date - datetime.timedelta(days=7),
        name=summary.region.code,
    )
    filename, mimetype, data = report.render()
    return [(filename, data, mimetype)]


def _send(subject, text, html, emails, attachments=()):
    if not emails:
        return
    message = EmailMultiAlternatives(
        f"[清欠台] {subject}", text, settings.DEFAULT_FROM_EMAIL, bcc=emails
    )
    message.attach_alternative(html, "text/html")
    for filename, data, mimetype in attachments:
        message.attach(filename, data, mimetype)
    try:
        message.send()
    except OSError:  # a mail server down must not undo the summary: the inbox has it
        log.exception("summary e-mail not sent: %s", subject)


def _webhook(title, text):
    url = getattr(settings, "SUMMARY_WEBHOOK_URL", "")
    if not url.startswith(("https://", "http://")):
        return
    body = json.dumps(
        {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - only http(s), checked above
        url, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - an operator-set https URL
            pass
    except OSError:
        log.exception("summary webhook failed: %s", title)
