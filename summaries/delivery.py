"""Telling people a summary is ready: the in-app inbox, e-mail (text and HTML) and, when
configured, a group-chat webhook (WeCom / DingTalk style). Once per summary: `notified_at`
is set in the same transaction as the inbox entries, so a rerun or a redelivered task never
tells anyone twice. E-mail and webhook go out after the commit; if the process dies in
between, the inbox still has it (at most once, never twice)."""

import datetime
import json
import logging
import urllib.request
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from arrears import scoping
from arrears.models import Notification, Office, Role, Summary
from reports.weekly import WeeklyReport
from summaries.windows import window_label
from teams.models import TeamMember

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
    # The Monday pack: each reader is sent their own copy (issue 12), never the region's.
    if kind == Summary.Kind.WEEKLY_PACK and summary.recipient_id:
        return active.filter(pk=summary.recipient_id, groups__name=Role.OPERATIONS_MANAGER)
    if kind == Summary.Kind.WEEKLY_PACK and summary.office_id:
        return active.filter(groups__name=Role.OFFICE_MANAGER, staff_profile__office=summary.office)
    directors = Q(groups__name=Role.REGIONAL_DIRECTOR, staff_profile__region=summary.region)
    return active.filter(directors).distinct()


def readers(summary: Summary) -> list:
    """The recipients who may open the summary: through the scoping module, like its page."""
    return [u for u in recipients(summary) if scoping.summaries(u).filter(pk=summary.pk).exists()]


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
        people = readers(summary)
        title = title_of(summary)
        url = reverse("summary-detail", args=[summary.pk])
        Notification.objects.bulk_create(
            Notification(recipient=u, kind=Notification.Kind.SUMMARY, title=title, url=url)
            for u in people
        )
        summary.notified_at = timezone.now()
        summary.save(update_fields=["notified_at"])
        context = {
            "summary": summary,
            "title": title,
            "url": settings.SITE_URL + url,  # a mail client needs the whole address
            "figures": summary.data.get("totals") or summary.data.get("figures") or {},
            "window": window_label(summary.data.get("window")),
        }
        text = render_to_string("emails/summary.txt", context)
        html = render_to_string("emails/summary.html", context)
        mails = [
            (emails, _attachments(summary, offices))
            for offices, emails in _mail_groups(summary, people).items()
        ]
        notice = _webhook_notice(summary, title, url)
    for emails, attachments in mails:
        transaction.on_commit(partial(_send, title, text, html, emails, attachments))
    transaction.on_commit(lambda: _webhook(notice))
    return len(people)


def _mail_groups(summary: Summary, people) -> dict[frozenset, list[str]]:
    """E-mail addresses by the offices their attachment may hold: the summary's offices that
    are in the reader's scope (scoping.offices). One e-mail per group."""
    groups: dict[frozenset, list[str]] = {}
    covered = set(summary.data.get("office_ids") or [])
    for user in people:
        if not user.email:
            continue
        mine = frozenset(
            scoping.offices(user).filter(pk__in=covered).values_list("pk", flat=True)
            if summary.kind == Summary.Kind.WEEKLY_PACK
            else ()
        )
        groups.setdefault(mine, []).append(user.email)
    return groups


def _attachments(summary: Summary, office_ids) -> list[tuple[str, bytes, str]]:
    """The Monday pack carries the weekly Excel report of the week it looks back on, for the
    offices of the reader's copy that are in the reader's scope, and no other office."""
    if summary.kind != Summary.Kind.WEEKLY_PACK or not office_ids:
        return []
    offices = list(Office.objects.filter(pk__in=office_ids, region=summary.region).order_by("code"))
    whole_region = not (summary.office_id or summary.recipient_id)
    report = WeeklyReport(
        offices=offices,
        week_of=summary.for_date - datetime.timedelta(days=7),
        # the file names what it holds: the region, or the reader's offices
        name=summary.region.code if whole_region else "-".join(o.code for o in offices),
    )
    filename, mimetype, data = report.render()
    return [(filename, data, mimetype)]


def _webhook_notice(summary: Summary, title: str, url: str) -> str | None:
    """What the group chat is told: that a summary is ready and where, with no figures, no
    names and no unit codes (issue 12: a group chat may hold people of every office, and a
    region total less one office's figures is the other offices' figures). The Monday pack is
    announced once, by the region's copy, with a link to the list where each reader opens
    their own copy; the readers' copies are not posted."""
    if summary.kind == Summary.Kind.WEEKLY_PACK:
        if summary.office_id or summary.recipient_id:
            return None
        url = reverse("summary-list") + f"?kind={Summary.Kind.WEEKLY_PACK}"
    return f"**{title}**\n{_('Open it in Arrears Desk:')} {settings.SITE_URL}{url}"


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


def _webhook(notice: str | None):
    url = getattr(settings, "SUMMARY_WEBHOOK_URL", "")
    if notice is None or not url.startswith(("https://", "http://")):
        return
    body = json.dumps({"msgtype": "markdown", "markdown": {"content": notice}}).encode()
    request = urllib.request.Request(  # noqa: S310 - only http(s), checked above
        url, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - an operator-set https URL
            pass
    except OSError:
        log.exception("summary webhook failed: %s", notice.splitlines()[0])
