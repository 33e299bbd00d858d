"""Payment plans (分期还款协议): instalments followed like promises.

Instalment i is kept when the household's payments (not reversed) from the day the plan was
agreed up to the end of its due date reach the plan's cumulative amount up to i; it is broken
when that day has passed without it; until then it is pending. A payment made early counts
for the instalments after it; one made late does not mend a broken instalment, exactly as
with promises. Agreeing the plan is the owner agreeing to pay: it interrupts the limitation
period of every month it covers (Civil Code art. 195).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from arrears import case_figures
from arrears.cases import case_balance
from arrears.models import Case, Payment
from arrears.money import MONEY, ZERO
from arrears.promises import BROKEN, KEPT, PENDING
from arrears.text_flags import flags_notify, refuse_approved
from arrears.unlawful import flagged_terms
from escalation.models import Instalment, PaymentPlan
from households.evidence import validate_evidence

MAX_INSTALMENTS = 60
RUNNING, COMPLETED, DEFAULTED = "running", "completed", "defaulted"
PLAN_LABELS = {
    RUNNING: gettext_lazy("running"),
    COMPLETED: gettext_lazy("completed"),
    DEFAULTED: gettext_lazy("instalment missed"),
}


@dataclass(frozen=True)
class InstalmentState:
    due_date: datetime.date
    amount: Decimal
    owed_by_then: Decimal  # cumulative
    paid_by_then: Decimal
    state: str


def instalment_states(
    instalments: Sequence[tuple[datetime.date, Decimal]],
    payments: Sequence[tuple[datetime.date, Decimal]],
    *,
    agreed_on: datetime.date,
    today: datetime.date,
) -> list[InstalmentState]:
    states, owed = [], ZERO
    for due, amount in sorted(instalments):
        owed += amount
        paid = sum((a for day, a in payments if agreed_on <= day <= due), ZERO)
        state = KEPT if paid >= owed else BROKEN if today > due else PENDING
        states.append(InstalmentState(due, amount, owed, paid, state))
    return states


def plan_state(states: Sequence[InstalmentState]) -> str:
    if any(s.state == BROKEN for s in states):
        return DEFAULTED
    return COMPLETED if states and all(s.state == KEPT for s in states) else RUNNING


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=field)})


def plan_check(
    *,
    case: Case,
    agreed_on: datetime.date,
    instalments: Sequence[tuple[datetime.date, Decimal]],
) -> None:
    """The rules a plan's instalments follow, as ValidationError keyed by field: also used to
    check an offer the owner has yet to accept (escalation.plan_offers)."""
    today = timezone.localdate()
    if agreed_on > today:
        raise _error(
            "agreed_on", _("The plan cannot be agreed in the future: enter the day it was signed.")
        )
    if not instalments:
        raise _error("instalments", _("Enter at least one instalment: a date and an amount."))
    if len(instalments) > MAX_INSTALMENTS:
        raise _error(
            "instalments",
            _("At most %(n)d instalments: agree larger ones.") % {"n": MAX_INSTALMENTS},
        )
    days = [d for d, _a in instalments]
    if len(set(days)) != len(days):
        raise _error(
            "instalments", _("Two instalments fall on the same day: merge them or move one.")
        )
    if min(days) < agreed_on:
        raise _error(
            "instalments", _("Every instalment falls on or after the day the plan was agreed.")
        )
    if any(a <= 0 for _d, a in instalments):
        raise _error("instalments", _("Every instalment is an amount above zero."))
    total = sum((a for _d, a in instalments), ZERO)
    due, paid, _n = case_balance(case)
    if total > due - paid:
        raise _error(
            "instalments",
            _("The instalments add up to %(total)s but only %(owed)s is owed: lower them.")
            % {"total": total, "owed": due - paid},
        )


def plan_record(
    *,
    case: Case,
    by,
    agreed_on: datetime.date,
    instalments: Sequence[tuple[datetime.date, Decimal]],
    signed_copy: UploadedFile | None = None,
    note: str = "",
) -> PaymentPlan:
    """Record a plan the owner agreed to. It must add up and cover no more than is owed.

    A note that approves an unlawful method (逾期则停水) is refused with the law; one that only
    mentions one is saved, flagged and the office manager told (arrears.unlawful)."""
    refuse_approved("note", note)
    plan_check(case=case, agreed_on=agreed_on, instalments=instalments)
    if signed_copy is not None:
        try:
            ((signed_copy, _type),) = validate_evidence([signed_copy])  # photos cleaned
        except ValidationError as error:
            raise _error("signed_copy", error.message_dict["evidence"][0]) from None
    total = sum((a for _d, a in instalments), ZERO)
    with transaction.atomic():
        flags = flagged_terms(note)
        plan = PaymentPlan(
            case=case,
            agreed_on=agreed_on,
            total=total,
            note=note.strip(),
            recorded_by=by,
            flagged_terms=flags,
        )
        if signed_copy is not None:
            plan.signed_copy = signed_copy
        plan._history_user = by
        plan.save()
        Instalment.objects.bulk_create(
            Instalment(plan=plan, due_date=d, amount=a) for d, a in sorted(instalments)
        )
        case_figures.refresh_cases(Case.objects.filter(pk=case.pk))
        if case.status == Case.Status.OPEN:
            case.status = Case.Status.PROMISED
            case._history_user = by
            case.save(update_fields=["status"])
        flags_notify(
            office=case.campaign.office,
            unit=case.household.unit_code,
            what=gettext_lazy("Payment plan"),
            terms=flags,
            url=reverse("case-detail", args=[case.pk]) + "#plans",
        )
    return plan


@dataclass(frozen=True)
class PlanView:
    plan: PaymentPlan
    instalments: list[InstalmentState]
    state: str

    @property
    def label(self):
        return PLAN_LABELS[self.state]

    @property
    def next_due(self) -> InstalmentState | None:
        return next((s for s in self.instalments if s.state == PENDING), None)


def plans_for_case(case: Case, *, today: datetime.date | None = None) -> list[PlanView]:
    """The case's plans, newest first, each instalment with its state. Three queries."""
    today = today or timezone.localdate()
    plans = list(case.payment_plans.prefetch_related("instalments").order_by("-agreed_on", "-pk"))
    if not plans:
        return []
    earliest = min(p.agreed_on for p in plans)
    payments = [
        (timezone.localdate(at), amount)
        for at, amount in Payment.objects.filter(
            household_id=case.household_id,
            kind=Payment.Kind.PAYMENT,
            reversed_by__isnull=True,
            paid_at__date__gte=earliest,
        ).values_list("paid_at", "amount")
    ]
    views = []
    for plan in plans:
        states = instalment_states(
            [(i.due_date, i.amount) for i in plan.instalments.all()],
            payments,
            agreed_on=plan.agreed_on,
            today=today,
        )
        views.append(PlanView(plan, states, plan_state(states)))
    return views


def with_plan_state(cases, *, today: datetime.date):
    """Annotate cases with their latest plan: plan_owed_now (instalments whose day is over),
    plan_paid_now (payments since the agreement) and plan_next_due (the next instalment
    date from today). A plan is behind when paid < owed: for ordering work, a late payment
    that catches up counts, as it should for "who do I call first"."""
    from django.db.models import OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    latest = PaymentPlan.objects.filter(case=OuterRef("pk")).order_by("-agreed_on", "-pk")
    cases = cases.annotate(
        plan_id=Subquery(latest.values("pk")[:1]),
        plan_agreed_on=Subquery(latest.values("agreed_on")[:1]),
    )
    owed = (
        Instalment.objects.filter(plan=OuterRef("plan_id"), due_date__lt=today)
        .order_by()
        .values("plan")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    paid = (
        Payment.objects.filter(
            household=OuterRef("household"),
            kind=Payment.Kind.PAYMENT,
            reversed_by__isnull=True,
            paid_at__date__gte=OuterRef("plan_agreed_on"),
        )
        .order_by()
        .values("household")
        .annotate(s=Sum("amount"))
        .values("s")[:1]
    )
    upcoming = Instalment.objects.filter(plan=OuterRef("plan_id"), due_date__gte=today).order_by(
        "due_date"
    )
    return cases.annotate(
        plan_owed_now=Coalesce(Subquery(owed, output_field=MONEY), Value(ZERO, output_field=MONEY)),
        plan_paid_now=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO, output_field=MONEY)),
        plan_next_due=Subquery(upcoming.values("due_date")[:1]),
    )
