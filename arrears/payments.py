"""Recording and reversing payments.

Every write happens in one transaction that first locks the household's row, so two
payments for the same household that arrive at the same moment are applied one after the
other and never both claim the same unpaid month. Payments are never edited or deleted:
a mistake is undone by `payment_reverse`, which writes a mirror entry.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import case_figures
from arrears.allocation import OpenPeriod, allocate
from arrears.bulk import create_with_history, history_insert, rows_update
from arrears.cases import case_status_after, case_sync_status
from arrears.credit import credit_balance
from arrears.models import (
    Campaign,
    Case,
    Clearance,
    DebtPeriod,
    Payment,
    PaymentAllocation,
    PaymentMethod,
)
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
    item = PaymentItem(
        household=household,
        amount=amount,
        paid_at=paid_at,
        method=method,
        receipt_no=receipt_no,
        case=case,
        note=note,
        confirm_excess=confirm_excess,
    )
    try:
        return payments_record(items=[item], by=by, notify_flags=notify_flags)[0]
    except PaymentRefused as exc:
        raise exc.error from exc


@dataclass(frozen=True)
class PaymentItem:
    """One payment of a batch: what `payment_record` takes, but for the recorder."""

    household: object
    amount: Decimal
    paid_at: datetime
    method: str
    receipt_no: str = ""
    case: Case | None = None
    note: str = ""
    confirm_excess: bool = False


class PaymentRefused(ValidationError):
    """One item of a batch was refused (`index`, its position; `error`, what
    `payment_record` would have raised for it): nothing of the batch is written."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.error_list)
        self.index = index
        self.error = error


def households_lock(ids) -> dict:
    """Lock the households' rows, in the order of their ids (two writers locking overlapping
    sets in the same order cannot deadlock), and return them by id."""
    household_model = apps.get_model("households", "Household")
    return {
        h.pk: h
        for h in household_model.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")
    }


def _receipts_held(office_ids, keys) -> set:
    """(office id, key) of the receipts already recorded, looked up in the unique index."""
    if not keys:
        return set()
    return set(
        Payment.objects.filter(
            RECEIPT_KEYED, office_id__in=office_ids, receipt_key__in=keys
        ).values_list("office_id", "receipt_key")
    )


def _cases_of(households: dict, given_ids) -> tuple[dict, dict]:
    """The households' cases in their offices' running campaigns (the latest started, as
    `case_for_household` picks), and the cases named by the items, locked, in one query."""
    running = Q(household__in=list(households), campaign__status=Campaign.Status.RUNNING)
    cases = list(
        Case.objects.select_for_update(of=("self",))
        .filter(running | Q(pk__in=given_ids))
        .select_related("campaign")
        .order_by("pk")
    )
    by_pk = {c.pk: c for c in cases}
    current: dict[int, Case] = {}
    for case in cases:
        if case.campaign.status != Campaign.Status.RUNNING or case.household_id not in households:
            continue
        held = current.get(case.household_id)
        if held is None or case.campaign.start_date > held.campaign.start_date:
            current[case.household_id] = case
    return current, by_pk


def _credited_people(cases) -> set:
    """(team id, user id) of the cases' responsible people who are still in their teams:
    money arriving now is credited to the case's responsible person while they are in its
    team; someone who has left it is credited with nothing more (the team keeps it)."""
    pairs = {(c.team_id, c.responsible_id) for c in cases if c.responsible_id is not None}
    if not pairs:
        return set()
    memberships = apps.get_model("teams", "TeamMember").objects
    found = memberships.filter(
        team_id__in={t for t, _u in pairs}, user_id__in={u for _t, u in pairs}
    ).values_list("team_id", "user_id")
    return set(found) & pairs


class _Ledger:
    """A household's months as loaded, changed in memory as the batch's payments pay them."""

    def __init__(self):
        self.months = {}  # id -> [month, due, paid]

    def open(self) -> list[OpenPeriod]:
        return [
            OpenPeriod(pid, month, due - paid)
            for pid, (month, due, paid) in self.months.items()
            if paid < due
        ]

    def balance(self, campaign) -> tuple[Decimal, Decimal, int]:
        due = paid = ZERO
        n = 0
        for month, d, p in self.months.values():
            if month <= campaign.arrears_through and (
                campaign.arrears_from is None or month >= campaign.arrears_from
            ):
                due, paid, n = due + d, paid + p, n + 1
        return due, paid, n


def payments_record(*, items, by, notify_flags: bool = True) -> list[Payment]:
    """Record many payments at once, exactly as `payment_record` records each of them in
    turn (in the items' order), in a number of queries that does not grow with the items.

    The batch's households are locked together, their months, cases and standing clearances
    read once; every payment is allocated in memory by `allocate`, one after the other, so
    two payments of one household pay its months as two calls would; then the payments, the
    allocations, the months and the cases are written in a few statements, each with the
    history rows the single path writes. A refused item raises `PaymentRefused` (with its
    index) and nothing is written.
    """
    items = list(items)
    if not items:
        return []
    with transaction.atomic():
        households = households_lock(item.household.pk for item in items)
        keys = [receipt_key(item.receipt_no.strip()) for item in items]
        held = _receipts_held({h.office_id for h in households.values()}, set(keys) - {""})
        current, cases = _cases_of(households, {i.case.pk for i in items if i.case is not None})
        ledgers = defaultdict(_Ledger)
        for pid, household_id, month, due, paid in (
            DebtPeriod.objects.select_for_update()
            .filter(household__in=list(households))
            .order_by("household_id", "month", "pk")
            .values_list("pk", "household_id", "month", "amount_due", "amount_paid")
        ):
            ledgers[household_id].months[pid] = [month, due, paid]
        standing = set(
            Clearance.objects.filter(case__in=list(cases), revoked_at__isnull=True).values_list(
                "case_id", flat=True
            )
        )
        credited = _credited_people(cases.values())
        planned = []
        for index, (item, key) in enumerate(zip(items, keys, strict=True)):
            try:
                planned.append(
                    _plan(item, key, by, households, held, current, cases, ledgers, standing)
                )
            except ValidationError as exc:
                raise PaymentRefused(index, exc) from exc
        for step in planned:
            case = step.payment.case
            step.payment.team_id = case.team_id if case else None
            if case is not None and (case.team_id, case.responsible_id) in credited:
                step.payment.credited_to_id = case.responsible_id
        _write(planned, by)
        payments = [step.payment for step in planned]
        if notify_flags:
            for payment in payments:
                if payment.flagged_terms:
                    _tell_of_flags(payment, gettext_lazy("Payment note"))
    return payments


@dataclass
class _Planned:
    payment: Payment
    key: str
    lines: tuple  # (period id, amount) as allocate gives them
    months: list  # PERIOD_HISTORY values of each month paid, as this payment leaves it
    change: object  # arrears.cases.StatusChange, or None (no case, or a closed one)
    case_row: list | None  # the case's tracked values after this payment (its history row)


def _plan(item, key, by, households, held, current, cases, ledgers, standing) -> _Planned:
    """One item decided in memory, as `payment_record` decides it; the ledger, the receipts
    held and the standing clearances are updated for the items after it."""
    _validate(amount=item.amount, paid_at=item.paid_at, method=item.method)
    household = households[item.household.pk]
    receipt_no = item.receipt_no.strip()
    if key and (household.office_id, key) in held:
        raise duplicate_receipt_error(receipt_no)
    # Credit goes to whoever holds the case now, not when the form was opened.
    if item.case is None:
        case = current.get(household.pk)
    else:
        case = cases.get(item.case.pk)
        if case is None:
            raise Case.DoesNotExist(f"Case {item.case.pk} does not exist.")
    if case is not None and case.household_id != household.pk:
        raise ValidationError(
            {"case": _error(_("This case belongs to another household."), "case")}
        )
    ledger = ledgers[household.pk]
    plan = allocate(item.amount, ledger.open())
    if plan.remainder > 0 and not item.confirm_excess:
        raise excess_unconfirmed_error(amount=item.amount, owed=plan.allocated)
    if key:
        held.add((household.office_id, key))
    payment = Payment(
        office_id=household.office_id,
        household=household,
        case=case,
        kind=Payment.Kind.PAYMENT,
        amount=item.amount,
        allocated=plan.allocated,
        paid_at=item.paid_at,
        method=item.method,
        receipt_no=receipt_no,
        receipt_key=key[:255],
        note=item.note,
        flagged_terms=flagged_terms(item.note),
        recorded_by=by,
    )
    months = []
    for pid, amount in plan.lines:
        entry = ledger.months[pid]
        entry[2] += amount
        months.append((pid, household.pk, entry[0], entry[1], entry[2]))
    change = case_row = None
    if case is not None:
        due, paid, n = ledger.balance(case.campaign)
        change = case_status_after(
            status=case.status,
            cleared_at=case.cleared_at,
            standing=case.pk in standing,
            due=due,
            paid=paid,
            months=n,
            paid_at=item.paid_at,
        )
    if change is not None:
        case.status, case.cleared_at = change.status, change.cleared_at
        if change.clear:
            standing.add(case.pk)
        if change.revoke:
            standing.discard(case.pk)
        case_row = [getattr(case, a) for a in _case_tracked()]
    return _Planned(payment, key, plan.lines, months, change, case_row)


def _case_tracked() -> list[str]:
    return [f.attname for f in Case.history.model.tracked_fields]


def _write(planned: list[_Planned], by) -> None:
    payments = [step.payment for step in planned]
    try:
        # A savepoint: the same receipt recorded at this instant on another connection
        # passes the check above and fails here, on the office's unique receipt key.
        with transaction.atomic():
            create_with_history(objects=payments, by=by)
    except IntegrityError as exc:
        keys = {step.key for step in planned} - {""}
        if not keys or not _is_receipt_clash(exc):
            raise
        clashes = _receipts_held({p.office_id for p in payments}, keys)
        for index, step in enumerate(planned):
            if step.key and (step.payment.office_id, step.key) in clashes:
                error = duplicate_receipt_error(step.payment.receipt_no)
                raise PaymentRefused(index, error) from exc
        raise
    PaymentAllocation.objects.bulk_create(
        [
            PaymentAllocation(payment=step.payment, period_id=pid, amount=amount)
            for step in planned
            for pid, amount in step.lines
        ],
        batch_size=2000,
    )
    # The ledger's history is what an auditor reads: each month paid gets the history row a
    # save would write, one per payment that paid it, by whoever recorded the payment.
    months = [m for step in planned for m in step.months]
    if not months:
        return _write_cases(planned, by)
    rows_update(DebtPeriod, ["amount_paid"], list({m[0]: (m[0], m[4]) for m in months}.values()))
    history_insert(model=DebtPeriod, attnames=PERIOD_HISTORY, rows=months, by=by, kind="~")
    case_figures.refresh({m[1] for m in months})
    _write_cases(planned, by)


def _write_cases(planned: list[_Planned], by) -> None:
    # Revoked before the new ones are created (one standing clearance per case); payments
    # only add to what is paid, so a clearance made in this batch is never revoked in it.
    now = timezone.now()
    clearances = []
    synced = [step for step in planned if step.change is not None]
    for step in synced:
        payment = step.payment
        if step.change.revoke:
            Clearance.objects.filter(case_id=payment.case_id, revoked_at__isnull=True).update(
                revoked_by=payment, revoked_at=now
            )
        if step.change.clear:
            clearances.append(
                Clearance(
                    case_id=payment.case_id,
                    team_id=payment.case.team_id,
                    responsible_id=payment.case.responsible_id,
                    cleared_at=payment.paid_at,
                    payment=payment,
                )
            )
    Clearance.objects.bulk_create(clearances)
    if not synced:
        return
    cases = {step.payment.case_id: step.payment.case for step in synced}
    rows_update(
        Case, ["status", "cleared_at"], [(c.pk, c.status, c.cleared_at) for c in cases.values()]
    )
    history_insert(
        model=Case,
        attnames=_case_tracked(),
        rows=[step.case_row for step in synced],
        by=by,
        kind="~",
    )


def _tell_of_flags(payment: Payment, what) -> None:
    flags_notify(
        office=payment.office,
        unit=payment.household.unit_code,
        what=what,
        terms=payment.flagged_terms,
        url=reverse("case-detail", args=[payment.case_id]) if payment.case_id else "",
    )


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
        _tell_of_flags(reversal, gettext_lazy("Reason for a reversal"))
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
    case_figures.refresh({p.household_id for p in changed})
