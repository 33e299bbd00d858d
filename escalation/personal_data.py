"""The owner's personal data after collection (PIPL arts. 44–47): contact data kept only as
long as it is needed.

What is erased: each owner's name, phones and note, and the household's note, in the rows
and in their history rows (simple_history), so no earlier version keeps them. What is kept:
the unit code, the area, the ledger (months, amounts, payments), the contact attempts (the
record of how the office collected) and the letters: the ledger and the legal record.
When: a household whose months are all paid, whose every case's campaign has closed and
that has no legal action open, once the office's retention period (Office.retention_years,
default 3) has passed since the latest of: its last payment, its last contact attempt, its
campaign's close. Each erasure leaves an append-only PersonalDataErasure row.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from arrears.models import Campaign, Case, DebtPeriod, Office, Payment
from escalation.models import LegalAction
from households.models import ContactAttempt, Household, Owner, PersonalDataErasure

OWNER_FIELDS = ("name", "phone", "phone_alt", "note")
HOUSEHOLD_FIELDS = ("note",)
ERASED_FIELDS = [f"owner.{f}" for f in OWNER_FIELDS] + [f"household.{f}" for f in HOUSEHOLD_FIELDS]
# A legal action in these stages is over: nothing more is filed or enforced.
LEGAL_OVER = (LegalAction.Stage.PAID, LegalAction.Stage.CLOSED)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, month=3, day=1)


def campaign_closed_at(campaign_ids) -> dict[int, datetime.datetime]:
    """When each campaign last became closed (from its history)."""
    closed: dict[int, datetime.datetime] = {}
    rows = (
        Campaign.history.filter(id__in=list(campaign_ids))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "status", "history_date")
    )
    for campaign_id, status, when in rows:
        if status != Campaign.Status.CLOSED:
            closed.pop(campaign_id, None)
        else:
            closed.setdefault(campaign_id, when)
    return closed


def still_needed(household: Household) -> str:
    """Why this household's contact data is still needed, or "" when it is not."""
    from django.utils.translation import gettext as _

    if DebtPeriod.objects.filter(household=household, amount_paid__lt=F("amount_due")).exists():
        return _("The household still owes fees: its contact data is needed to collect them.")
    if LegalAction.objects.filter(case__household=household).exclude(stage__in=LEGAL_OVER).exists():
        return _("A legal action is open for this household: its records are needed for it.")
    if (
        Case.objects.filter(household=household)
        .exclude(campaign__status=Campaign.Status.CLOSED)
        .exists()
    ):
        return _("A campaign with this household is still running or planned.")
    return ""


def holds_contact_data():
    return (
        Q(owners__name__gt="")
        | Q(owners__phone__gt="")
        | Q(owners__phone_alt__gt="")
        | Q(owners__note__gt="")
        | Q(note__gt="")
    )


@dataclass
class Due:
    household: Household
    since: datetime.datetime
    erase_on: datetime.date


def due_for_erasure(office: Office, now=None) -> list[Due]:
    """The office's households whose retention period is over, with when it began."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    households = (
        Household.objects.filter(office=office, cases__isnull=False)
        .filter(holds_contact_data())
        .exclude(debt_periods__amount_paid__lt=F("debt_periods__amount_due"))
        .exclude(cases__campaign__status__in=[Campaign.Status.RUNNING, Campaign.Status.PLANNED])
        .exclude(pk__in=LegalAction.objects.exclude(stage__in=LEGAL_OVER).values("case__household"))
        .distinct()
    )
    households = list(households)
    if not households:
        return []
    ids = [h.pk for h in households]
    paid = dict(
        Payment.objects.filter(household__in=ids)
        .values_list("household")
        .annotate(m=Max("paid_at"))
    )
    contacted = dict(
        ContactAttempt.objects.filter(household__in=ids)
        .values_list("household")
        .annotate(m=Max("occurred_at"))
    )
    campaigns: dict[int, set[int]] = {}
    for household_id, campaign_id in Case.objects.filter(household__in=ids).values_list(
        "household", "campaign"
    ):
        campaigns.setdefault(household_id, set()).add(campaign_id)
    closed = campaign_closed_at({c for cs in campaigns.values() for c in cs})
    due = []
    for household in households:
        moments = [paid.get(household.pk), contacted.get(household.pk)]
        moments += [closed.get(c) for c in campaigns.get(household.pk, ())]
        moments = [m for m in moments if m is not None]
        if not moments:
            continue
        since = max(moments)
        erase_on = add_years(timezone.localdate(since), office.retention_years)
        if today >= erase_on:
            due.append(Due(household, since, erase_on))
    return due


@transaction.atomic
def erase_contact_data(*, household: Household, reason: str, by=None, now=None):
    """Blank the owners' names, phones and notes and the household's note, in the rows and
    their history rows; record it. Returns the record, or None when nothing was held."""
    owners = Owner.objects.filter(household=household)
    held = owners.filter(
        Q(name__gt="") | Q(phone__gt="") | Q(phone_alt__gt="") | Q(note__gt="")
    ).exists() or bool(Household.objects.filter(pk=household.pk, note__gt="").exists())
    if not held:
        return None
    owner_ids = list(owners.values_list("pk", flat=True))
    blank_owner = dict.fromkeys(OWNER_FIELDS, "")
    owners.update(**blank_owner)
    Household.objects.filter(pk=household.pk).update(note="")
    history_rows = Owner.history.filter(id__in=owner_ids).update(**blank_owner)
    history_rows += Household.history.filter(id=household.pk).update(note="")
    return PersonalDataErasure.objects.create(
        household=household,
        reason=reason,
        fields=ERASED_FIELDS,
        owners=len(owner_ids),
        history_rows=history_rows,
        erased_at=now or timezone.now(),
        by=by,
    )


def erase_expired(now=None) -> int:
    """The scheduled job: erase every office's households past retention. Safe to run twice
    (a household already erased holds nothing more and is not selected again)."""
    count = 0
    for office in Office.objects.all():
        for due in due_for_erasure(office, now):
            if erase_contact_data(
                household=due.household, reason=PersonalDataErasure.Reason.RETENTION, now=now
            ):
                count += 1
    return count
