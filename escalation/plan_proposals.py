"""Instalments the owner proposes on the statement page (issue 17.4), and the office
manager's answer.

The owner says how many instalments and from which month (the balance split evenly, the
cents left over on the last), or gives the amounts. Each instalment falls due on the last
day of its month. The proposal covers what the statement demands (the months under an open
dispute are left out, as letters leave them out), follows the rules payment plans already
apply (escalation.plans: at most MAX_INSTALMENTS, amounts above zero, no more than is owed)
and adds the owner's own: at least two instalments, adding up to the whole balance, starting
within START_WITHIN_MONTHS months.

Nothing is edited: the proposal is written once; the manager accepts it, changes it or
declines it in a PlanProposalDecision, answered in writing (a letter of kind plan_reply). An
accepted proposal is recorded as a payment plan by `plans.plan_record`, exactly as a plan
agreed at the office. A changed one is the office's offer: no plan until the owner accepts
it, by the day the answer gives (escalation.plan_offers).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.ledger import add_months
from arrears.messages import Message
from arrears.models import Case, Notification
from arrears.money import CENT, ZERO
from arrears.notifications import notify, office_managers
from escalation.letter_records import plan_reply_issue
from escalation.letters import PlanReply, unpaid_ranges, zh_money
from escalation.models import PlanProposal, PlanProposalDecision, StatementEvent, StatementLink
from escalation.plans import MAX_INSTALMENTS, plan_check, plan_record
from escalation.statement_actions import SAME_SUBMISSION_SECONDS, lock_case

MIN_INSTALMENTS = 2
# How long the owner has to accept the office's changed instalments (escalation.plan_offers).
OFFER_DAYS = 30
START_WITHIN_MONTHS = 3

Instalments = list[tuple[datetime.date, Decimal]]


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def proposed_instalments(
    *,
    balance: Decimal,
    first_month: datetime.date,
    today: datetime.date,
    count: int | None = None,
    amounts: Sequence[Decimal] = (),
) -> Instalments:
    """The instalments the owner proposes, due at the end of each month from `first_month`.

    With `amounts`, one instalment per amount; without, `count` equal instalments of the
    balance (the cents left over on the last). Raises ValidationError keyed by field (count,
    first_month, amounts) with a message saying what to do.
    """
    if balance <= 0:
        raise _error(
            "count", _("Nothing is owed now: there is nothing to pay in instalments."), "nothing"
        )
    first_month = first_month.replace(day=1)
    this_month = today.replace(day=1)
    if first_month < this_month:
        raise _error(
            "first_month",
            _("Start with this month or a later one: %(month)s or after.")
            % {"month": f"{this_month:%Y-%m}"},
            "past",
        )
    latest = add_months(this_month, START_WITHIN_MONTHS)
    if first_month > latest:
        raise _error(
            "first_month",
            _("Start within %(n)d months: %(month)s at the latest.")
            % {"n": START_WITHIN_MONTHS, "month": f"{latest:%Y-%m}"},
            "too_late",
        )
    amounts = list(amounts)
    if amounts and count is not None and count != len(amounts):
        raise _error(
            "amounts",
            _(
                "You entered %(amounts)d amounts for %(count)d instalments: enter one amount "
                "per instalment, or leave the amounts empty to split the balance evenly."
            )
            % {"amounts": len(amounts), "count": count},
            "mismatch",
        )
    n = len(amounts) if amounts else count
    if n is None:
        raise _error(
            "count", _("Say how many instalments you would like, or enter their amounts."), "none"
        )
    if n < MIN_INSTALMENTS:
        raise _error(
            "count",
            _("Propose at least %(n)d instalments; to pay everything at once, pay at the office.")
            % {"n": MIN_INSTALMENTS},
            "too_few",
        )
    if n > MAX_INSTALMENTS:
        raise _error(
            "count",
            _("At most %(n)d instalments: propose fewer, larger ones.") % {"n": MAX_INSTALMENTS},
            "too_many",
        )
    if amounts:
        if any(a <= 0 for a in amounts):
            raise _error(
                "amounts", _("Every instalment is an amount above zero: correct it."), "zero"
            )
        total = sum(amounts, ZERO)
        if total < balance:
            raise _error(
                "amounts",
                _(
                    "Your instalments add up to %(total)s but %(owed)s is owed: raise them or "
                    "add an instalment."
                )
                % {"total": zh_money(total), "owed": zh_money(balance)},
                "below",
            )
        if total > balance:
            raise _error(
                "amounts",
                _("Your instalments add up to %(total)s but only %(owed)s is owed: lower them.")
                % {"total": zh_money(total), "owed": zh_money(balance)},
                "above",
            )
    else:
        each = (balance / n).quantize(CENT, rounding=ROUND_DOWN)
        if each <= 0:
            raise _error(
                "count",
                _("That many instalments would be less than a cent each: propose fewer."),
                "too_small",
            )
        amounts = [each] * (n - 1) + [balance - each * (n - 1)]
    return [(month_end(add_months(first_month, i)), a) for i, a in enumerate(amounts)]


def offer_accept_by(
    *, answered_on: datetime.date, instalments: Sequence[tuple[datetime.date, Decimal]]
) -> datetime.date:
    """The last day the owner may accept the office's instalments: OFFER_DAYS after the
    answer, or the first instalment's due day if sooner (a plan's instalments never fall
    before the day it is agreed)."""
    first_due = min(d for d, _a in instalments)
    return min(answered_on + datetime.timedelta(days=OFFER_DAYS), first_due)


def proposal_balance(case: Case) -> Decimal:
    """What the statement demands: the unpaid months not under an open dispute."""
    demanded, _under_review = unpaid_ranges(case)
    return sum((r.balance for r in demanded), ZERO)


def _as_json(instalments: Instalments) -> list[dict]:
    return [{"due_date": d.isoformat(), "amount": str(a)} for d, a in instalments]


def proposal_instalments(proposal: PlanProposal) -> Instalments:
    return [
        (datetime.date.fromisoformat(i["due_date"]), Decimal(i["amount"]))
        for i in proposal.instalments
    ]


def proposal_record(
    *,
    link: StatementLink,
    first_month: datetime.date,
    count: int | None = None,
    amounts: Sequence[Decimal] = (),
    words: str = "",
    now: datetime.datetime | None = None,
) -> tuple[PlanProposal, bool]:
    """The owner's proposal on the case, logged and told to the office manager.

    Returns (proposal, created): the same proposal sent twice within a minute is one (created
    False). Another proposal while one awaits the office's answer is refused."""
    now = now or timezone.now()
    case = link.case
    balance = proposal_balance(case)
    instalments = proposed_instalments(
        balance=balance,
        first_month=first_month,
        today=timezone.localdate(now),
        count=count,
        amounts=amounts,
    )
    rows = _as_json(instalments)
    with transaction.atomic():
        lock_case(case.pk)
        pending = list(
            PlanProposal.objects.filter(case=case, decision__isnull=True).order_by("-proposed_at")
        )
        for earlier in pending:
            recent = (now - earlier.proposed_at).total_seconds() < SAME_SUBMISSION_SECONDS
            if recent and earlier.instalments == rows:
                return earlier, False
        if pending:
            raise _error(
                "__all__",
                _(
                    "Your proposal of %(day)s is still with the office: wait for its written "
                    "answer, or call the office to change it."
                )
                % {"day": f"{timezone.localdate(pending[0].proposed_at):%Y-%m-%d}"},
                "pending",
            )
        proposal = PlanProposal.objects.create(
            case=case,
            link=link,
            instalments=rows,
            total=sum((a for _d, a in instalments), ZERO),
            balance=balance,
            words=(words or "").strip(),
            proposed_at=now,
        )
        StatementEvent.objects.create(link=link, kind=StatementEvent.Kind.PLAN_PROPOSED, at=now)
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.APPROVAL,
            title=Message(
                gettext_noop("%(unit)s proposed %(n)d instalments on the statement link"),
                unit=case.household.unit_code,
                n=len(instalments),
            ),
            body=Message(
                gettext_noop(
                    "%(total)s from %(first)s to %(last)s. Accept, change or decline it on "
                    "the case page: the owner gets the answer in writing."
                ),
                total=zh_money(proposal.total),
                first=instalments[0][0].isoformat(),
                last=instalments[-1][0].isoformat(),
            ),
            url=reverse("case-detail", args=[case.pk]) + "#plan-proposals",
        )
    return proposal, True


def proposal_decide(
    *,
    proposal: PlanProposal,
    by,
    outcome: str,
    instalments: Instalments | None = None,
    reason: str = "",
) -> PlanProposalDecision:
    """Accept, change or decline a proposal, with its written answer (a plan_reply letter).

    Accepted: the owner's instalments become a payment plan agreed today (plans.plan_record,
    whose rules apply: a first instalment already past must be changed). Changed: the
    manager's instalments are the office's offer, checked by the same rules but recorded as
    a plan only when the owner accepts them (escalation.plan_offers); the letter says by
    when. Declined: the reason goes into the letter. Raises ValidationError keyed by field
    (outcome, instalments, reason) and records nothing then."""
    reason = (reason or "").strip()
    Outcome = PlanProposalDecision.Outcome
    if outcome not in Outcome.values:
        raise _error("outcome", _("Choose accept, change or decline."), "outcome")
    if outcome == Outcome.DECLINED and not reason:
        raise _error(
            "reason",
            _("Give the owner the reason for declining: it goes into the written answer."),
            "no_reason",
        )
    if outcome == Outcome.CHANGED and not instalments:
        raise _error(
            "instalments",
            _("Enter the instalments as the office proposes them: one per line, date and amount."),
            "no_instalments",
        )
    if outcome == Outcome.ACCEPTED:
        instalments = proposal_instalments(proposal)
    case = proposal.case
    with transaction.atomic():
        locked = PlanProposal.objects.select_for_update().get(pk=proposal.pk)
        if PlanProposalDecision.objects.filter(proposal=locked).exists():
            raise _error(
                "outcome",
                _("This proposal is already answered: reload the page to see how."),
                "decided",
            )
        today = timezone.localdate()
        plan, accept_by, balance = None, None, None
        if outcome == Outcome.ACCEPTED:
            plan = plan_record(case=case, by=by, agreed_on=today, instalments=instalments)
        elif outcome == Outcome.CHANGED:
            plan_check(case=case, agreed_on=today, instalments=instalments)
            accept_by = offer_accept_by(answered_on=today, instalments=instalments)
            balance = proposal_balance(case)
        decided = sorted(instalments) if outcome != Outcome.DECLINED else []
        letter = plan_reply_issue(
            case=case,
            by=by,
            reply=PlanReply(
                outcome=outcome,
                proposed_on=timezone.localdate(proposal.proposed_at),
                instalments=tuple(decided),
                reason=reason,
                accept_by=accept_by,
            ),
        )
        return PlanProposalDecision.objects.create(
            proposal=locked,
            outcome=outcome,
            instalments=_as_json(decided),
            reason=reason,
            accept_by=accept_by,
            balance=balance,
            plan=plan,
            letter=letter,
            decided_by=by,
        )


def proposals_for_case(case: Case) -> list[PlanProposal]:
    """The case's proposals, newest first, each with its decision if any (one query)."""
    return list(
        PlanProposal.objects.filter(case=case)
        .select_related("decision__letter", "decision__plan", "decision__acceptance__plan")
        .order_by("-proposed_at", "-pk")
    )
