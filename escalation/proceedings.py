"""The legal stage of a case: opening it (only after a delivered demand's deadline has
passed), following it step by step, and the ledger following what was awarded or settled.

A write-down of the debt — the part a court did not award, or the part a settlement gives
up — is a Waiver that changes nothing until an office manager approves it; then it lowers
the amounts due of the oldest unpaid months first (the ones a limitation defence reaches
first) and records which months it touched.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from arrears import case_figures
from arrears.access import may_decide_waiver
from arrears.cases import case_balance
from arrears.messages import Message
from arrears.models import Case, DebtorCategory, DifficultIssue, Notification
from arrears.notifications import notify, office_managers
from arrears.text_flags import flags_notify, refuse_approved
from arrears.unlawful import flagged_terms
from escalation.ladder import (
    DeliveredDemand,
    Refusal,
    RouteSuggestion,
    legal_stage_refusal,
    route_refusal,
    suggest_route,
)
from escalation.letter_records import effective_deadline
from escalation.models import LegalAction, LegalStep, Letter, Waiver, WaiverAllocation
from households.models import Outcome

OPEN_STAGES = [s for s in LegalAction.Stage.values if s != LegalAction.Stage.CLOSED]
# Stages in the order a case normally passes them; a step may skip ahead (a payment order
# has no hearing) but never go back, except that enforcement follows a decision or a
# settlement that was not honoured.
FORWARD = [
    LegalAction.Stage.PREPARING,
    LegalAction.Stage.FILED,
    LegalAction.Stage.HEARING,
    LegalAction.Stage.DECIDED,
    LegalAction.Stage.SETTLED,
    LegalAction.Stage.ENFORCEMENT,
    LegalAction.Stage.PAID,
    LegalAction.Stage.CLOSED,
]


@dataclass(frozen=True)
class LegalPosition:
    """Everything the case page needs to say about the legal stage."""

    open_action: LegalAction | None
    refusal: Refusal | None
    suggestion: RouteSuggestion
    arbitration_clause: bool
    balance: Decimal
    demand: Letter | None  # the delivered demand an opening would rest on


def _delivered_demands(case: Case) -> list[Letter]:
    return list(
        Letter.objects.filter(
            case=case, kind=Letter.Kind.DEMAND, status=Letter.Status.DELIVERED
        ).order_by("delivered_on", "pk")
    )


def _disputed(case: Case) -> bool:
    return (
        case.category == DebtorCategory.GRIEVANCE
        or DifficultIssue.objects.filter(case=case, status=DifficultIssue.Status.OPEN).exists()
        or case.contact_attempts.filter(outcome=Outcome.DISPUTED, corrections__isnull=True).exists()
    )


def _serviceable(case: Case) -> bool:
    returned = Letter.objects.filter(case=case, status=Letter.Status.RETURNED)
    last_delivered = (
        Letter.objects.filter(case=case, status=Letter.Status.DELIVERED)
        .order_by("-delivered_on")
        .values_list("delivered_on", flat=True)
        .first()
    )
    if last_delivered is not None:
        returned = returned.filter(returned_on__gt=last_delivered)
    if returned.exists():
        return False
    # An owner once unreachable who has signed for a letter has been found.
    return (
        case.category != DebtorCategory.UNREACHABLE
        or Letter.objects.filter(
            case=case, status=Letter.Status.DELIVERED, proof=Letter.Proof.SIGNATURE
        ).exists()
    )


def legal_position(case: Case, *, today: datetime.date | None = None) -> LegalPosition:
    today = today or timezone.localdate()
    open_action = case.legal_actions.filter(stage__in=OPEN_STAGES).first()
    demands = _delivered_demands(case)
    due, paid, _months = case_balance(case)
    clause = case.campaign.office.arbitration_clause
    refusal = legal_stage_refusal(
        [DeliveredDemand(d.delivered_on, effective_deadline(d)) for d in demands],
        today=today,
        already_open=open_action is not None,
        balance=due - paid,
    )
    ready = [d for d in demands if effective_deadline(d) < today]
    return LegalPosition(
        open_action=open_action,
        refusal=refusal,
        suggestion=suggest_route(
            disputed=_disputed(case),
            serviceable=_serviceable(case),
            arbitration_clause=clause,
            # Not yet classified (待分类): why the owner does not pay is unknown, so neither
            # "undisputed" (a payment order falls at the first objection, and a justified
            # grievance is then met with a court order) nor "cannot be served" is presumed.
            # _disputed and _serviceable keep reading only recorded facts (open issues,
            # disputed attempts, returned or signed letters); the route simply never
            # suggests a payment order until someone has classified the case.
            classified=case.category != DebtorCategory.UNCLASSIFIED,
        ),
        arbitration_clause=clause,
        balance=due - paid,
        demand=ready[0] if ready else (demands[0] if demands else None),
    )


class LegalStageRefused(ValidationError):
    """The legal stage may not open (yet); the message says why and what to do."""


def legal_open(*, case: Case, by, route: str, today: datetime.date | None = None) -> LegalAction:
    if route not in LegalAction.Route.values:
        raise ValidationError({"route": _("Choose a route: payment order, arbitration or suit.")})
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("campaign__office").get(pk=case.pk)
        position = legal_position(case, today=today)
        if position.refusal is not None:
            raise LegalStageRefused(position.refusal.message, code=position.refusal.code)
        refused = route_refusal(route, arbitration_clause=position.arbitration_clause)
        if refused:
            raise ValidationError({"route": refused})
        action = LegalAction(
            case=case,
            demand=position.demand,
            route=route,
            suggested_route=position.suggestion.route,
            claimed=position.balance,
            opened_by=by,
        )
        action._history_user = by
        action.save()
        LegalStep.objects.create(
            action=action,
            stage=LegalAction.Stage.PREPARING,
            on=timezone.localdate(),
            note=_("Opened on the demand %(ref)s delivered on %(day)s.")
            % {"ref": position.demand.reference, "day": position.demand.delivered_on.isoformat()},
            recorded_by=by,
        )
        case.status = Case.Status.LEGAL
        case._history_user = by
        case.save(update_fields=["status"])
    return action


def legal_record_step(
    *,
    action: LegalAction,
    by,
    stage: str,
    on: datetime.date,
    note: str = "",
    institution: str = "",
    docket_number: str = "",
    court_fees: Decimal | None = None,
    awarded: Decimal | None = None,
    costs_awarded: Decimal | None = None,
) -> LegalAction:
    """Move the action on. A decision or a settlement for less than is still owed proposes a
    waiver of the difference for the manager's approval; closing hands the case back."""
    if stage not in LegalAction.Stage.values:
        raise ValidationError({"stage": _("Choose the stage the case has reached.")})
    if on > timezone.localdate():
        raise ValidationError(
            {"on": _("The date cannot be in the future: enter the day it happened.")}
        )
    flags = flagged_terms(note)
    with transaction.atomic():
        action = LegalAction.objects.select_for_update().select_related("case").get(pk=action.pk)
        if action.stage == LegalAction.Stage.CLOSED:
            raise ValidationError(_("This legal action is closed; open a new one if needed."))
        if FORWARD.index(stage) < FORWARD.index(action.stage):
            raise ValidationError(
                {
                    "stage": _("The action is already at “%(now)s”: record a later stage.")
                    % {"now": action.get_stage_display()}
                }
            )
        # Steps follow each other in time, and none comes before the day the legal stage
        # could open (a filing may be recorded a few days after it was made, so the day the
        # action was opened here is no bound).
        last = (
            action.steps.exclude(stage=LegalAction.Stage.PREPARING)
            .order_by("-on", "-pk")
            .values_list("on", flat=True)
            .first()
        )
        could_open = effective_deadline(action.demand) + datetime.timedelta(days=1)
        earliest = max(filter(None, [last, could_open]))
        if on < earliest:
            raise ValidationError(
                {
                    "on": _(
                        "The date is before %(day)s (the previous step, or the first day the "
                        "legal stage could open): steps are recorded in the order they happened."
                    )
                    % {"day": earliest.isoformat()}
                }
            )
        if stage in (LegalAction.Stage.DECIDED, LegalAction.Stage.SETTLED) and awarded is None:
            raise ValidationError(
                {"awarded": _("Enter the fees awarded or agreed (0 if nothing was awarded).")}
            )
        if stage == LegalAction.Stage.FILED and not (institution or action.institution):
            raise ValidationError(
                {"institution": _("Enter the court or commission it was filed with.")}
            )
        for name, value in (
            ("court_fees", court_fees),
            ("awarded", awarded),
            ("costs_awarded", costs_awarded),
        ):
            if value is not None and value < 0:
                raise ValidationError({name: _("Enter an amount of 0 or more.")})
        action.stage = stage
        action.institution = institution or action.institution
        action.docket_number = docket_number or action.docket_number
        if court_fees is not None:
            action.court_fees = court_fees
        if awarded is not None:
            action.awarded = awarded
        if costs_awarded is not None:
            action.costs_awarded = costs_awarded
        action._history_user = by
        action.save()
        LegalStep.objects.create(
            action=action,
            stage=stage,
            on=on,
            note=note.strip(),
            recorded_by=by,
            flagged_terms=flags,
        )
        case = action.case
        _flag(case, flags, gettext_lazy("Legal step"))
        if stage in (LegalAction.Stage.DECIDED, LegalAction.Stage.SETTLED):
            _propose_waiver(action, case, by=by, stage=stage)
        if stage == LegalAction.Stage.CLOSED and case.status == Case.Status.LEGAL:
            due, paid, _n = case_balance(case)
            case.status = (
                Case.Status.CLEARED
                if paid >= due
                else (Case.Status.PARTLY_PAID if paid > 0 else Case.Status.OPEN)
            )
            case._history_user = by
            case.save(update_fields=["status"])
    return action


def _propose_waiver(action: LegalAction, case: Case, *, by, stage: str) -> Waiver | None:
    # After the waiver the ledger owes exactly what was awarded or agreed: the court looks at
    # what is owed on the day, so anything paid during the proceedings is already out of it.
    if action.waivers.filter(status=Waiver.Status.PENDING).exists():
        raise ValidationError(
            _("A waiver from this action awaits the manager's decision: decide it first.")
        )
    due, paid, _n = case_balance(case)
    # Never more than the claim left unawarded: months added to the campaign after the
    # filing were never before the court.
    shortfall = min((due - paid) - action.awarded, action.claimed - action.awarded)
    if shortfall <= 0:
        return None
    basis = Waiver.Basis.JUDGMENT if stage == LegalAction.Stage.DECIDED else Waiver.Basis.SETTLEMENT
    waiver = Waiver(
        case=case,
        action=action,
        basis=basis,
        amount=shortfall,
        reason=_("Owed %(owed)s, awarded or agreed %(awarded)s.")
        % {"owed": due - paid, "awarded": action.awarded},
        requested_by=by,
    )
    waiver._history_user = by
    waiver.save()
    ask_waiver_approval(waiver, url=reverse("case-detail", args=[case.pk]))
    return waiver


def ask_waiver_approval(waiver: Waiver, *, url: str) -> None:
    """Tell the office managers a waiver awaits their approval, at `url`."""
    case = waiver.case
    notify(
        recipients=office_managers(case.campaign.office),
        kind=Notification.Kind.APPROVAL,
        title=Message(
            gettext_noop("A waiver of %(amount)s awaits your approval (%(unit)s)"),
            amount=waiver.amount,
            unit=case.household.unit_code,
        ),
        body=waiver.reason,
        url=url,
    )


def split_waiver(balances: list[tuple[int, Decimal]], amount: Decimal) -> list[tuple[int, Decimal]]:
    """Take `amount` off (period id, balance) rows, oldest first: [(period id, taken)]."""
    taken, left = [], amount
    for period_id, balance in balances:
        if left <= 0:
            break
        part = min(balance, left)
        if part > 0:
            taken.append((period_id, part))
            left -= part
    if left > 0:
        raise ValueError("the waiver is larger than what is owed")
    return taken


def waiver_decide(*, waiver: Waiver, by, approve: bool, note: str = "") -> Waiver:
    if not may_decide_waiver(by, waiver):
        raise PermissionDenied
    refuse_approved("note", note)
    flags = flagged_terms(note)
    with transaction.atomic():
        waiver = Waiver.objects.select_for_update().select_related("case").get(pk=waiver.pk)
        if waiver.status != Waiver.Status.PENDING:
            raise ValidationError(_("This waiver has already been decided."), code="state")
        case = Case.objects.select_for_update().get(pk=waiver.case_id)
        if approve:
            periods = list(
                case.periods()
                .select_for_update()
                .filter(amount_paid__lt=F("amount_due"))
                .order_by("month")
            )
            if waiver.dispute_id:
                # An upheld dispute's waiver comes off the months it disputed first (oldest
                # first among them), then off the oldest others.
                disputed = set(waiver.dispute.months.values_list("pk", flat=True))
                periods.sort(key=lambda p: (p.pk not in disputed, p.month))
            try:
                parts = split_waiver([(p.pk, p.balance) for p in periods], waiver.amount)
            except ValueError:
                raise ValidationError(
                    _(
                        "The waiver (%(amount)s) is more than is still owed: payments came in since. "
                        "Refuse it, and record the step again for the right amount."
                    )
                    % {"amount": waiver.amount},
                    code="too_large",
                ) from None
            by_id = {p.pk: p for p in periods}
            for period_id, part in parts:
                period = by_id[period_id]
                period.amount_due -= part
                period._history_user = by
                period.save(update_fields=["amount_due"])
                WaiverAllocation.objects.create(waiver=waiver, period=period, amount=part)
            case_figures.refresh([case.household_id])
            due, paid, _n = case_balance(case)
            if paid >= due and case.status != Case.Status.CLOSED:
                case.status = Case.Status.CLOSED
                case.closed_reason = (
                    _("Resolved by an upheld dispute; the disputed amount was waived.")
                    if waiver.dispute_id
                    else _("Resolved in the legal stage; the rest was waived.")
                )
                case._history_user = by
                case.save(update_fields=["status", "closed_reason"])
        waiver.status = Waiver.Status.APPROVED if approve else Waiver.Status.REFUSED
        waiver.decided_by, waiver.decided_at = by, timezone.now()
        waiver.decision_note = note.strip()
        waiver.flagged_terms = flags
        waiver._history_user = by
        waiver.save()
        _flag(case, flags, gettext_lazy("Waiver decision"))
    return waiver


def _flag(case: Case, flags: list[str], what) -> None:
    flags_notify(
        office=case.campaign.office,
        unit=case.household.unit_code,
        what=what,
        terms=flags,
        url=reverse("case-detail", args=[case.pk]),
    )


def filing_dates(household_ids) -> list[tuple[int, datetime.date]]:
    """(household id, day) of every filing: each interrupts the limitation period."""
    return list(
        LegalStep.objects.filter(
            action__case__household_id__in=household_ids
            if isinstance(household_ids, QuerySet)  # a subquery
            else list(household_ids),
            stage=LegalAction.Stage.FILED,
        ).values_list("action__case__household_id", "on")
    )
