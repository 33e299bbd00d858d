"""A case's status as its ledger changes, and the clearances that scoring counts."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.access import may_set_category
from arrears.models import Campaign, Case, Clearance, DebtorCategory, Payment
from arrears.money import ZERO

# What a person may set a case's category to: "not yet classified" is where a case starts,
# never a choice (a category once found out is corrected to another, not forgotten).
SETTABLE_CATEGORIES = [c for c in DebtorCategory if c != DebtorCategory.UNCLASSIFIED]

# Statuses a person sets (a promise, the legal stage) survive part payments; only the
# case being cleared, or a reversal that reopens it, moves them.
PAYMENT_DRIVEN = {Case.Status.OPEN, Case.Status.PARTLY_PAID, Case.Status.CLEARED}


def case_for_household(household) -> Case | None:
    """The household's case in its office's running campaign, if it has one."""
    return (
        Case.objects.filter(household=household, campaign__status=Campaign.Status.RUNNING)
        .select_related("campaign")
        .order_by("-campaign__start_date")
        .first()
    )


def case_balance(case: Case) -> tuple[Decimal, Decimal, int]:
    """(due, paid, months) over the periods the case's campaign collects."""
    totals = case.periods().aggregate(due=Sum("amount_due"), paid=Sum("amount_paid"), n=Count("pk"))
    return totals["due"] or ZERO, totals["paid"] or ZERO, totals["n"]


@dataclass(frozen=True)
class StatusChange:
    """What a payment (or reversal) does to its case: the case's new status and cleared
    moment, whether a clearance is created for it, and whether the standing one is revoked."""

    status: str
    cleared_at: object  # datetime | None
    clear: bool
    revoke: bool


def case_status_after(
    *, status: str, cleared_at, standing: bool, due: Decimal, paid: Decimal, months: int, paid_at
) -> StatusChange | None:
    """The rule of `case_sync_status` over plain values (the case's status and cleared moment,
    whether it holds a standing clearance, its balance after the payment, the payment's
    moment), so that a batch of payments decides it in memory exactly as one payment does.
    None: the case is closed and nothing changes (not even its history)."""
    if status == Case.Status.CLOSED:
        return None
    cleared = months > 0 and paid >= due
    if cleared and not standing:
        return StatusChange(Case.Status.CLEARED, paid_at, clear=True, revoke=False)
    if cleared:
        return StatusChange(status, cleared_at, clear=False, revoke=False)
    if status in PAYMENT_DRIVEN:
        status = Case.Status.PARTLY_PAID if paid > 0 else Case.Status.OPEN
    return StatusChange(status, None if standing else cleared_at, clear=False, revoke=standing)


def case_sync_status(case: Case, *, payment: Payment) -> Case:
    """Bring the case's status and clearance in line with its ledger after `payment`.

    Call inside the transaction that changed the ledger (the household row is locked).
    A case is cleared when every period its campaign collects is paid; the team holding
    it at that moment gets the clearance. A reversal that reopens it revokes the clearance.
    """
    # The household and campaign come with the case (case_balance reads both); only the
    # case's row is locked.
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("household", "campaign")
        .get(pk=case.pk)
    )
    due, paid, months = case_balance(case)
    standing = case.clearances.filter(revoked_at__isnull=True).first()
    change = case_status_after(
        status=case.status,
        cleared_at=case.cleared_at,
        standing=standing is not None,
        due=due,
        paid=paid,
        months=months,
        paid_at=payment.paid_at,
    )
    if change is None:
        return case
    if change.clear:
        Clearance.objects.create(
            case=case,
            team_id=case.team_id,
            responsible_id=case.responsible_id,
            cleared_at=payment.paid_at,
            payment=payment,
        )
    if change.revoke:
        standing.revoked_by = payment
        standing.revoked_at = timezone.now()
        standing.save(update_fields=["revoked_by", "revoked_at"])
    case.status, case.cleared_at = change.status, change.cleared_at
    case.save(update_fields=["status", "cleared_at"])
    return case


def case_set_category(*, case: Case, category: str, by) -> Case:
    """Set the case's debtor category (arrears.access.may_set_category); the case's history
    keeps who changed it from what, and when."""
    if category not in SETTABLE_CATEGORIES:
        raise ValidationError(
            _("Choose one of the five categories: vacant, unreachable, away, grievance, refusal."),
            code="not_a_category",
        )
    if not may_set_category(by, case):
        raise PermissionDenied
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.category != category:
            case.category = category
            case._history_user = by
            case.save(update_fields=["category"])
    return case


@dataclass(frozen=True)
class CategoryChange:
    when: object
    by: object  # the user, or None (an import, a migration)
    before: str  # the labels
    after: str


def category_history(case: Case) -> list[CategoryChange]:
    """Every change of the case's category after it was opened, oldest first (one query)."""
    labels = dict(DebtorCategory.choices)
    records = case.history.order_by("history_date", "history_id").select_related(
        "history_user__staff_profile"
    )
    changes, before = [], None
    for record in records:
        if before is not None and record.category != before:
            changes.append(
                CategoryChange(
                    record.history_date,
                    record.history_user,
                    str(labels.get(before, before)),
                    str(labels.get(record.category, record.category)),
                )
            )
        before = record.category
    return changes
