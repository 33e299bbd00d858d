"""Telling people a summary is ready: the in-app inbox, e-mail (text and HTML) and, when
configured, a group-chat webhook (WeCom / DingTalk style). Once per summary: `notified_at`
is set in the same transaction as the inbox entries, so a rerun or a redelivered task never
tells anyone twice. E-mail and webhook go out after the commit; if the process dies in
between, the inbox still has it (at most once, never twice)."""

import datetime
import json
import logging
import urllib.request
from collections import defaultdict
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from arrears import scoping
from arrears.messages import Message
from arrears.models import Notification, Office, Role, Summary
from arrears.notifications import notification
from arrears.stored_text import TEAM, team_code
from reports.weekly import WeeklyReport
from summaries.windows import window_label
from teams.models import TeamMember

log = logging.getLogger(__name__)


def recipients(summary: Summary):
    User = get_user_model()
    return User.objects.filter(pk__in=[u.pk for u in recipients_of([summary])[summary.pk]])


def recipients_of(summaries) -> dict[int, list]:
    """Summary id → the active users it is for: its team's leaders (a team report), the
    office managers of its office (an office summary, an office's copy of the pack), its
    recipient (an operations manager's report or copy of the pack), else the region's
    directors. One query per kind of reader, whatever the number of summaries."""
    User = get_user_model()
    active = (
        User.objects.filter(is_active=True)
        .select_related("staff_profile")
        .prefetch_related("groups")
        .order_by("pk")
    )
    Kind = Summary.Kind
    for_team, for_office, for_user, for_ops, for_region = [], [], [], [], []
    for s in summaries:
        if s.kind == Kind.DAILY_TEAM:
            for_team.append(s)
        elif s.kind == Kind.DAILY_OFFICE:
            for_office.append(s)
        elif s.kind == Kind.DAILY_OPERATIONS:
            for_user.append(s)
        # The Monday pack: each reader is sent their own copy (issue 12), never the region's.
        elif s.kind == Kind.WEEKLY_PACK and s.recipient_id:
            for_ops.append(s)
        elif s.kind == Kind.WEEKLY_PACK and s.office_id:
            for_office.append(s)
        else:
            for_region.append(s)
    found: dict[int, list] = {s.pk: [] for s in summaries}
    if for_team:
        leaders = defaultdict(list)
        for user in active.filter(
            team_memberships__team_id__in={s.team_id for s in for_team},
            team_memberships__role=TeamMember.Role.LEADER,
        ).annotate(of_team=F("team_memberships__team_id")):
            leaders[user.of_team].append(user)
        for s in for_team:
            found[s.pk] = leaders[s.team_id]
    if for_office:
        managers = defaultdict(list)
        for user in active.filter(
            groups__name=Role.OFFICE_MANAGER,
            staff_profile__office_id__in={s.office_id for s in for_office},
        ):
            managers[user.staff_profile.office_id].append(user)
        for s in for_office:
            found[s.pk] = managers[s.office_id]
    if for_user or for_ops:
        users = active.in_bulk({s.recipient_id for s in for_user})
        overseers = active.filter(groups__name=Role.OPERATIONS_MANAGER).in_bulk(
            {s.recipient_id for s in for_ops}
        )
        for s in for_user:
            found[s.pk] = [users[s.recipient_id]] if s.recipient_id in users else []
        for s in for_ops:
            found[s.pk] = [overseers[s.recipient_id]] if s.recipient_id in overseers else []
    if for_region:
        directors = defaultdict(list)
        for user in active.filter(
            groups__name=Role.REGIONAL_DIRECTOR,
            staff_profile__region_id__in={s.region_id for s in for_region},
        ).distinct():
            directors[user.staff_profile.region_id].append(user)
        for s in for_region:
            found[s.pk] = directors[s.region_id]
    return found


def readers(summary: Summary) -> list:
    """The recipients who may open the summary: through the scoping module, like its page."""
    return readers_of([summary])[summary.pk]


# SQLite compounds at most 500 SELECTs in one statement.
UNION_SIZE = 400


def readers_of(summaries) -> dict[int, list]:
    """Summary id → its recipients who may open it, checked through scoping.summaries (the
    rule of the summary pages) for every recipient at once: one query per UNION_SIZE people."""
    wanted = recipients_of(summaries)
    people, ids_of = {}, defaultdict(set)
    for summary_id, users in wanted.items():
        for user in users:
            people.setdefault(user.pk, user)
            ids_of[user.pk].add(summary_id)
    checks = [
        scoping.summaries(people[pk])
        .filter(pk__in=ids)
        .order_by()
        .annotate(reader=Value(pk))
        .values_list("pk", "reader")
        for pk, ids in ids_of.items()
    ]
    allowed = set()
    for start in range(0, len(checks), UNION_SIZE):
        first, *rest = checks[start : start + UNION_SIZE]
        allowed |= set(first.union(*rest, all=True))
    return {
        summary_id: [u for u in users if (summary_id, u.pk) in allowed]
        for summary_id, users in wanted.items()
    }


def title_message(summary: Summary) -> Message:
    """The summary's name, put in each reader's language when read: its kind, where, day."""
    where = (
        summary.data.get("team") or summary.data.get("office") or summary.data.get("region") or ""
    )
    day = f"{summary.for_date:%Y-%m-%d}"
    code = team_code(where)
    if code is not None:  # a team without a name, stored as “A组”: “Team A” in English
        where = Message(TEAM, code=code)
    if not where:
        return Message("%(kind)s · %(day)s", kind=Summary.Kind(summary.kind).label, day=day)
    return Message(
        "%(kind)s · %(where)s · %(day)s",
        kind=Summary.Kind(summary.kind).label,
        where=where,
        day=day,
    )


def title_of(summary: Summary) -> str:
    return str(title_message(summary))


def deliver(summary: Summary) -> int:
    """Call inside the transaction that stored the summary."""
    return deliver_all([summary])


def deliver_all(summaries) -> int:
    """Tell the readers of each summary not told yet; returns how many were told. Call inside
    the transaction that stored them: `notified_at` is set with the inbox entries, so nobody
    is told twice. A fixed number of queries for any number of summaries; the Monday pack's
    workbooks are written after the commit, with the mails that carry them."""
    pending = list(
        Summary.objects.select_for_update()
        .filter(pk__in=[s.pk for s in summaries], notified_at__isnull=True)
        .order_by("pk")
    )
    if not pending:
        return 0
    now = timezone.now()
    told, notifications, after, written = 0, [], [], {}
    with translation.override(settings.LANGUAGE_CODE):
        people_of = readers_of(pending)
        for summary in pending:
            people = people_of[summary.pk]
            title = title_of(summary)
            url = reverse("summary-detail", args=[summary.pk])
            notifications += [
                notification(
                    recipient=u,
                    kind=Notification.Kind.SUMMARY,
                    title=title_message(summary),
                    url=url,
                )
                for u in people
            ]
            summary.notified_at = now
            context = {
                "summary": summary,
                "title": title,
                "url": settings.SITE_URL + url,  # a mail client needs the whole address
                "figures": summary.data.get("totals") or summary.data.get("figures") or {},
                "window": window_label(summary.data.get("window")),
            }
            text = render_to_string("emails/summary.txt", context)
            html = render_to_string("emails/summary.html", context)
            for offices, emails in _mail_groups(summary, people).items():
                # The Monday pack's workbook is written after the commit, when the mail goes:
                # the transaction that stores the pack and fills the inbox stays short.
                attachments = partial(_attachments, summary, offices, written)
                after.append(partial(_send, title, text, html, emails, attachments))
            notice = _webhook_notice(summary, title, url)
            after.append(partial(_webhook, notice))
            told += len(people)
    Notification.objects.bulk_create(notifications)
    Summary.objects.filter(pk__in=[s.pk for s in pending]).update(notified_at=now)
    for callback in after:
        transaction.on_commit(callback)
    return told


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


def _attachments(summary: Summary, office_ids, written: dict) -> list[tuple[str, bytes, str]]:
    """The Monday pack carries the weekly Excel report of the week it looks back on, for the
    offices of the reader's copy that are in the reader's scope, and no other office.
    `written` keeps the workbooks of one delivery by their offices: two copies of the same
    offices (the region's and an operations manager's of all of them) share one."""
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
    done = (frozenset(o.pk for o in offices), report.monday)
    if done not in written:
        written[done] = report.render()[1:]  # the name is the reader's; the content is not
    mimetype, data = written[done]
    return [(report.filename(), data, mimetype)]


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


def _send(subject, text, html, emails, attachments=list):
    if not emails:
        return
    with translation.override(settings.LANGUAGE_CODE):
        attachments = attachments()
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
