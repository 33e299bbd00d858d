"""Recording and reversing payments.

Every write happens in one transaction that first locks the household's row, so two
payments for the same household that arrive at the same moment are applied one after the
other and never both claim the same unpaid month. Payments are never edited or deleted:
a mistake is undone by `payment_reverse`, which writes a mirror entry.
"""

from datetime import datetime
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.allocation import OpenPeriod, allocate
from arrears.bulk import history_insert, rows_update
from arrears.cases import case_for_household, case_sync_status
from arrears.credit import credit_balance
from arrears.models import Case, DebtPeriod, Payment, PaymentAllocation, PaymentMethod
from arrears.money import CENT, ZERO
from arrears.receipts import receipt_key
from arrears.text_flags import flags_notify
from arrears.unlawful import flagged_terms

# The condition of the office's unique receipt key, written as the constraint writes it: with
# it the database looks the key up in that index; without it, it read every payment of the
# office for each one recorded (an import of 10,000 payments read 50 million rows).
RECEIPT_KEYED = Q(kind=Payment.Kind.PAYMENT) & ~Q(receipt_key="") & Q(receipt_key__isnull=False)

# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timezone.timedelta(minutes=5)


# Households and teams sit above the core: their models are named by string, as the core's
# foreign keys name them, never imported.
def _lock_household(household_id: int):
    household_model = apps.get_model("households", "Household")
    return household_model.objects.select_for_update().get(pk=household_id)


def _error(message, code, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _validate(*, amount, paid_at: datetime, method: str) -> None:
    errors = {}
    if not isinstance(amount, Decimal) or amount <= 0:
        errors["amount"] = _error(
            _("Enter an amount greater than zero, in yuan."), "amount_not_positive"
        )
    elif amount != amount.quantize(CENT):
        errors["amount"] = _error(
            _("Enter the amount with at most two decimal places (fen)."), "amount_precision"
        )
    if paid_at > timezone.now() + CLOCK_SKEW:
        errors["paid_at"] = _error(
            _("A payment cannot be in the future: enter when it was received."), "future"
        )
    if method not in PaymentMethod.values:
        errors["method"] = _error(
            _("Choose how the owner paid: cash, WeChat, Alipay, transfer or remittance."),
            "method",
        )
    if errors:
        raise ValidationError(errors)


def duplicate_receipt_error(receipt_no: str) -> ValidationError:
    return ValidationError(
        {
            "receipt_no": _error(
                _(
                    "Receipt %(no)s is already recorded in this office: check the "
                    "number on the receipt, or find the earlier entry."
                ),
                "duplicate_receipt",
                no=receipt_no,
            )
        }
    )


def _is_receipt_clash(exc: IntegrityError) -> bool:
    # PostgreSQL names the constraint; SQLite names the columns.
    text = str(exc)
    return "receipt" in text or "UNIQUE constraint failed" in text


def excess_unconfirmed_error(*, amount: Decimal, owed: Decimal) -> ValidationError:
    return ValidationError(
        {
            "amount": _error(
                _(
                    "¥%(amount)s is ¥%(excess)s more than the household owes (¥%(owed)s). "
                    "Check the amount; if the owner really paid more, tick “the excess is kept "
                    "as credit”: it is set against later months or refunded, and is not "
                    "counted as arrears collected."
                ),
                "excess_unconfirmed",
                amount=f"{amount:,.2f}",
                excess=f"{amount - owed:,.2f}",
                owed=f"{owed:,.2f}",
            )
        }
    )


def payment_record(
    *,
    household,
    amount: Decimal,
    paid_at: datetime,
    method: str,
    by,
    receipt_no: str = "",
    case: Case | None = None,
    note: str = "",
    notify_flags: bool = True,
    confirm_excess: bool = False,
) -> Payment:
    """Record money received and allocate it to the oldest unpaid months.

    Money beyond what the household owes is refused unless `confirm_excess`: then the
    excess stays on the payment, unallocated, as the household's credit (arrears.credit).

    A note that names an unlawful method is saved with its phrases flagged and, unless the
    caller tells the managers itself (`notify_flags=False`, an import tells them once per
    file), the office managers hear of it.
    """
    _validate(amount=amount, paid_at=paid_at, method=method)
    receipt_no = receipt_no.strip()
    flags = flagged_terms(note)
    with transaction.atomic():
        household = _lock_household(household.pk)
        key = receipt_key(receipt_no)
        if (
            key
            and Payment.objects.filter(
                RECEIPT_KEYED, office_id=household.office_id, receipt_key=key
            ).exists()
        ):
            raise duplicate_receipt_error(receipt_no)
        # Credit goes to whoever holds the case now, not when the form was opened.
        case = case_for_household(household) if case is None else Case.objects.get(pk=case.pk)
        if case is not None and case.household_id != household.pk:
            raise ValidationError(
                {"case": _error(_("This case belongs to another household."), "case")}
            )
        open_periods = list(
            DebtPeriod.objects.select_for_update()
            .filter(household=household, amount_paid__lt=F("amount_due"))
            .order_by("month")
        )
        plan = allocate(
            amount,
            [OpenPeriod(p.pk, p.month, p.amount_due - p.amount_paid) for p in open_periods],
        )
        if plan.remainder > 0 and not confirm_excess:
            raise excess_unconfirmed_error(amount=amount, owed=plan.allocated)
        try:
            # A savepoint: the same receipt recorded at this instant on another connection
            # passes the check above and fails here, on the office's unique receipt key.
            with transaction.atomic():
                payment = Payment.objects.create(
                    office_id=household.office_id,
                    household=household,
                    case=case,
                    kind=Payment.Kind.PAYMENT,
                    amount=amount,
                    allocated=plan.allocated,
                    paid_at=paid_at,
                    method=method,
                    receipt_no=receipt_no,
                    note=note,
                    flagged_terms=flags,
                    team_id=case.team_id if case else None,
                    credited_to_id=_credited_person(case),
                    recorded_by=by,
                )
        except IntegrityError as exc:
            if key and _is_receipt_clash(exc):
                raise duplicate_receipt_error(receipt_no) from exc
            raise
        _apply(payment, plan.lines, {p.pk: p for p in open_periods}, sign=1, by=by)
        if case is not None:
            case_sync_status(case, payment=payment)
        if notify_flags:
            _tell_of_flags(payment, _("Payment note"))
    return payment


def _tell_of_flags(payment: Payment, what: str) -> None:
    flags_notify(
        office=payment.office,
        unit=payment.household.unit_code,
        what=what,
        terms=payment.flagged_terms,
        url=reverse("case-detail", args=[payment.case_id]) if payment.case_id else "",
    )


def _credited_person(case: Case | None):
    """Who is credited with money arriving now: the case's responsible person while they are
    in its team; someone who has left it is credited with nothing more."""
    if case is None or case.responsible_id is None:
        return None
    memberships = apps.get_model("teams", "TeamMember").objects
    in_team = memberships.filter(team_id=case.team_id, user_id=case.responsible_id)
    return case.responsible_id if in_team.exists() else None


def payment_reverse(*, payment: Payment, by, reason: str) -> Payment:
    """Undo a payment with a mirror entry; the months it paid become unpaid again."""
    if not reason.strip():
        raise ValidationError(
            {
                "reason": _error(
                    _("Say why the payment is reversed (e.g. wrong household)."), "required"
                )
            }
        )
    with transaction.atomic():
        _lock_household(payment.household_id)
        original = Payment.objects.select_for_update().get(pk=payment.pk)
        if original.kind != Payment.Kind.PAYMENT:
            raise _error(
                _("A reversal cannot itself be reversed; record a new payment."),
                "reversal_of_reversal",
            )
        if Payment.objects.filter(reverses=original).exists():
            raise _error(_("This payment has already been reversed."), "already_reversed")
        excess = original.amount - sum(original.allocations.values_list("amount", flat=True), ZERO)
        if excess > 0 and credit_balance(original.household) < excess:
            raise _error(
                _(
                    "Part of this payment's excess was refunded to the owner: record what was "
                    "really received as a new payment after settling the refund with the office "
                    "manager; it cannot simply be reversed."
                ),
                "excess_refunded",
            )
        lines = list(original.allocations.values_list("period_id", "amount"))
        periods = DebtPeriod.objects.select_for_update().in_bulk([pid for pid, _amount in lines])
        reversal = Payment.objects.create(
            office_id=original.office_id,
            household_id=original.household_id,
            case=original.case,
            kind=Payment.Kind.REVERSAL,
            reverses=original,
            amount=original.amount,
            allocated=original.allocated,
            paid_at=timezone.now(),
            method=original.method,
            note=reason.strip(),
            flagged_terms=flagged_terms(reason),
            team_id=original.team_id,
            credited_to_id=original.credited_to_id,
            recorded_by=by,
        )
        _apply(reversal, lines, periods, sign=-1, by=by)
        if original.case is not None:
            case_sync_status(original.case, payment=reversal)
        _tell_of_flags(reversal, _("Reason for a reversal"))
    return reversal


PERIOD_HISTORY = ("id", "household_id", "month", "amount_due", "amount_paid")


def _apply(payment: Payment, lines, periods: dict, sign: int, by) -> None:
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(payment=payment, period_id=pid, amount=sign * amount)
        for pid, amount in lines
    )
    changed = []
    for pid, amount in lines:
        period = periods[pid]
        period.amount_paid += sign * amount
        changed.append(period)
    # The ledger's history is what an auditor reads: each month paid gets the history row a
    # save would write (by whoever recorded the payment), all in two statements whatever
    # the number of months, as a payment for five years of arrears pays sixty.
    rows_update(DebtPeriod, ["amount_paid"], [(p.pk, p.amount_paid) for p in changed])
    history_insert(
        model=DebtPeriod,
        attnames=PERIOD_HISTORY,
        rows=[(p.pk, p.household_id, p.month, p.amount_due, p.amount_paid) for p in changed],
        by=by,
        kind="~",
    )
