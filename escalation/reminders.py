"""The morning's reminders on the lawful road, into people's inboxes:

- to the office managers, on the first day the legal stage may open for a case (a delivered
  demand's deadline passed yesterday) — the decision is theirs;
- to whoever issued a letter and the case's responsible person, when it was sent
  CHASE_AFTER_DAYS ago and neither its delivery nor its return is recorded;
- to the case's responsible person (or, without one, the team leader), on the day an
  instalment of a payment plan falls due.

Each reminder concerns one day, so running it twice that day (a retry, a restarted beat)
tells nobody twice.
"""

import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from arrears.messages import Message
from arrears.models import Notification
from arrears.notifications import case_recipients, notify, office_managers
from escalation.letter_records import effective_deadline
from escalation.models import Instalment, Letter
from escalation.proceedings import OPEN_STAGES
from escalation.watch import CHASE_AFTER_DAYS


def _reminders(day: datetime.date):
    """(recipients, title, url) for `day`."""
    candidates = (
        Letter.objects.filter(
            kind=Letter.Kind.DEMAND,
            status=Letter.Status.DELIVERED,
            delivered_on__gte=day - datetime.timedelta(days=120),
        )
        .exclude(case__legal_actions__stage__in=OPEN_STAGES)
        .select_related("case__household", "case__campaign__office")
    )
    for letter in candidates:
        if effective_deadline(letter) == day - datetime.timedelta(days=1):
            yield (
                office_managers(letter.case.campaign.office),
                Message(
                    gettext_noop(
                        "%(unit)s: the deadline of demand %(ref)s has passed; the legal stage "
                        "may open"
                    ),
                    unit=letter.case.household.unit_code,
                    ref=letter.reference,
                ),
                reverse("case-detail", args=[letter.case_id]) + "#legal",
            )
    for letter in Letter.objects.filter(
        status=Letter.Status.SENT, sent_on=day - datetime.timedelta(days=CHASE_AFTER_DAYS)
    ).select_related("case__household", "issued_by", "case__responsible"):
        yield (
            case_recipients(letter.case, [letter.issued_by, letter.case.responsible]),
            Message(
                gettext_noop(
                    "%(unit)s: letter %(ref)s was sent %(days)d days ago; record its delivery or "
                    "return"
                ),
                unit=letter.case.household.unit_code,
                ref=letter.reference,
                days=CHASE_AFTER_DAYS,
            ),
            reverse("letter-detail", args=[letter.pk]),
        )
    for instalment in Instalment.objects.filter(due_date=day).select_related(
        "plan__case__household", "plan__case__responsible"
    ):
        case = instalment.plan.case
        yield (
            case_recipients(case, [case.responsible]),
            Message(
                gettext_noop("%(unit)s: an instalment of ¥%(amount)s is due today"),
                unit=case.household.unit_code,
                amount=instalment.amount,
            ),
            reverse("case-detail", args=[case.pk]) + "#plans",
        )


def send_reminders(day: datetime.date | None = None) -> int:
    """Tell people what falls due on `day` (default today); returns how many entries."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for recipients, title, url in _reminders(day):
            told = set(
                Notification.objects.filter(
                    kind=Notification.Kind.REMINDER,
                    url=url,
                    title=str(title)[:200],  # the default language's words
                    created_at__gte=start,
                ).values_list("recipient_id", flat=True)
            )
            sent += notify(
                recipients=[u for u in recipients if u is not None and u.pk not in told],
                kind=Notification.Kind.REMINDER,
                title=title,
                url=url,
            )
    return sent
