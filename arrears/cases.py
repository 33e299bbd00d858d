"""A case's status as its ledger changes, and the clearances that scoring counts."""

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from arrears.models import Campaign, Case, Clearance, Payment
from arrears.money import ZERO

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
    cleared = months > 0 and paid >= due
    standing = case.clearances.filter(revoked_at__isnull=True).first()
    if case.status == Case.Status.CLOSED:
        return case
    if cleared and standing is None:
        Clearance.objects.create(
            case=case,
            team_id=case.team_id,
            responsible_id=case.responsible_id,
            cleared_at=payment.paid_at,
            payment=payment,
        )
        case.status = Case.Status.CLEARED
        case.cleared_at = payment.paid_at
    elif not cleared:
        if standing is not None:
            standing.revoked_by = payment
            standing.revoked_at = timezone.now()
            standing.save(update_fields=["revoked_by", "revoked_at"])
            case.cleared_at = None
        if case.status in PAYMENT_DRIVEN:
            case.status = Case.Status.PARTLY_PAID if paid > 0 else Case.Status.OPEN
    case.save(update_fields=["status", "cleared_at"])
    return case
