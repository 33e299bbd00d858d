"""A household's credit: what it paid beyond what it owed.

A payment above the balance is recorded only when confirmed (arrears.payments); its excess
stays on the payment, unallocated. The credit of a household is the unallocated money of
its payments that are not reversed, less what was refunded. It is never counted as arrears
collected (arrears.collection). It is set against months added later (`credit_apply`, run
when the ledger import adds periods) by allocating the payment's unallocated money to
them, and the office manager may give it back (`credit_refund`, with a reason).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from arrears import case_figures
from arrears.models import CreditRefund, DebtPeriod, Payment, PaymentAllocation
from arrears.money import CENT, MONEY, ZERO


def _locked(household):
    # Households sit above the core: their model is named by string, never imported.
    model = apps.get_model("households", "Household")
    return model.objects.select_for_update().get(pk=household.pk)


def household_balance(household) -> Decimal:
    """What the household owes over all its months."""
    owed = DebtPeriod.objects.filter(household=household).aggregate(
        v=Sum(F("amount_due") - F("amount_paid"))
    )["v"]
    return (owed or ZERO).quantize(CENT)  # SQLite sums in floating point


def _unallocated(household_id: int):
    """The household's standing payments with what of each is not allocated, oldest first."""
    return _with_money_left(household_id=household_id).order_by("paid_at", "pk")


def _with_money_left(**where):
    """Standing payments (matching `where`) with money not allocated to a month, as `left`."""
    allocated = (
        PaymentAllocation.objects.filter(payment=OuterRef("pk"))
        .order_by()
        .values("payment")
        .annotate(v=Sum("amount"))
        .values("v")
    )
    return (
        Payment.objects.filter(kind=Payment.Kind.PAYMENT, reversed_by__isnull=True, **where)
        .annotate(left=F("amount") - Coalesce(Subquery(allocated, output_field=MONEY), ZERO))
        .filter(left__gt=0)
    )


def households_with_credit(household_ids) -> set[int]:
    """Which of these households have money of a standing payment not yet set against a
    month, in one query: the only households `credit_apply` can set anything for (a refund
    may since have given some of it back; `credit_apply` then takes that into account)."""
    ids = list(household_ids)
    if not ids:
        return set()
    return set(
        _with_money_left(household_id__in=ids)
        .order_by()
        .values_list("household_id", flat=True)
        .distinct()
    )


def _refunded(household_id: int) -> Decimal:
    refunded = CreditRefund.objects.filter(household_id=household_id).aggregate(v=Sum("amount"))[
        "v"
    ]
    return (refunded or ZERO).quantize(CENT)


def credit_balance(household) -> Decimal:
    """The household's credit: unallocated money of its standing payments, less refunds."""
    left = sum((p.left.quantize(CENT) for p in _unallocated(household.pk)), ZERO)
    return left - _refunded(household.pk)


@dataclass(frozen=True)
class _Source:
    payment_id: int
    left: Decimal


def _sources(household_id: int) -> list[_Source]:
    """What can still be set against months, oldest payment first; refunds used it first."""
    refunded = _refunded(household_id)
    sources = []
    for payment in _unallocated(household_id):
        left = payment.left.quantize(CENT)  # SQLite subtracts in floating point
        used = min(refunded, left)
        refunded -= used
        if left - used > 0:
            sources.append(_Source(payment.pk, left - used))
    return sources


def credit_apply(*, household, by=None) -> Decimal:
    """Set the household's credit against its unpaid months, oldest first; the amount set.

    Each part is an allocation of the payment that brought the money, so the month's paid
    amount stays the sum of its allocations and reversing that payment reopens the month.
    Not counted as arrears collected: reports count what a payment paid when it arrived.
    """
    with transaction.atomic():
        household = _locked(household)
        sources = _sources(household.pk)
        if not sources:
            return ZERO
        periods = list(
            DebtPeriod.objects.select_for_update()
            .filter(household=household, amount_paid__lt=F("amount_due"))
            .order_by("month")
        )
        taken = set(
            PaymentAllocation.objects.filter(
                payment_id__in=[s.payment_id for s in sources], period__in=periods
            ).values_list("payment_id", "period_id")
        )
        left = {s.payment_id: s.left for s in sources}
        lines = []
        for period in periods:
            for source in sources:
                need = period.amount_due - period.amount_paid
                if need <= 0:
                    break
                if left[source.payment_id] <= 0 or (source.payment_id, period.pk) in taken:
                    continue
                part = min(need, left[source.payment_id])
                left[source.payment_id] -= part
                period.amount_paid += part
                lines.append(
                    PaymentAllocation(payment_id=source.payment_id, period=period, amount=part)
                )
        PaymentAllocation.objects.bulk_create(lines)
        for period in {line.period.pk: line.period for line in lines}.values():
            period._history_user = by  # simple_history: who, also outside a request
            period.save(update_fields=["amount_paid"])  # one by one: history keeps each
        case_figures.refresh([household.pk])
    return sum((line.amount for line in lines), ZERO)


def credit_refund(*, household, amount: Decimal, reason: str, by) -> CreditRefund:
    """Give back part or all of the household's credit; the reason is kept."""
    errors = {}
    if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(CENT):
        errors["amount"] = ValidationError(
            _("Enter the amount to refund in yuan, greater than zero, at most two decimals."),
            code="amount",
        )
    if not reason.strip():
        errors["reason"] = ValidationError(
            _(
                "Say why and how the credit is refunded (e.g. bank transfer at the owner's request)."
            ),
            code="required",
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        household = _locked(household)
        credit = credit_balance(household)
        if amount > credit:
            raise ValidationError(
                {
                    "amount": ValidationError(
                        _("The household has ¥%(credit)s of credit: refund at most that much."),
                        code="beyond_credit",
                        params={"credit": f"{credit:,.2f}"},
                    )
                }
            )
        return CreditRefund.objects.create(
            office_id=household.office_id,
            household=household,
            amount=amount,
            reason=reason.strip(),
            recorded_by=by,
        )
