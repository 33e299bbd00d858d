"""The office's counter-offer to an owner's instalment proposal, and the owner accepting it
(issue 17.4).

A payment plan is an agreement: recording one is the owner agreeing to pay, which restarts
the limitation period of every month it covers (Civil Code art. 195). So when the office
manager answers a proposal "changed", nothing is agreed yet: the decision holds the office's
instalments as an offer, sent in the written answer (the plan_reply letter), open until its
`accept_by` day — OFFER_DAYS after the answer, or the first instalment's due day if that is
sooner (a plan's instalments never fall before the day it is agreed). The offer is accepted
by the owner on the statement page, or at the office where the office manager records it;
either way `offer_accept` records the plan through plans.plan_record, agreed on the day the
owner accepted, and keeps the acceptance as its own append-only record (PlanOfferAcceptance).

An offer stops being open when it is accepted, when its last day has passed (lapsed), or when
the owner made a newer proposal (superseded). It is not accepted when what the statement
demands has changed since it was made (a payment, a dispute, a correction): the instalments
were worked out on another balance, so the owner is told to ask the office for new ones.

Who records the plan (plans.plan_record's `by`, PaymentPlan.recorded_by): from the statement
page, the office manager who made the offer — the plan's terms are theirs, the owner only
says yes — with a note, in the office's language, that the owner accepted on the statement
page and when; the acceptance record itself names no staff member. At the office, the office
manager who records it. PaymentPlan.recorded_by therefore stays required, as for every plan.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from arrears.messages import Message
from arrears.models import Notification
from arrears.notifications import notify, office_managers
from escalation.letters import zh_money
from escalation.models import (
    PlanOfferAcceptance,
    PlanProposal,
    PlanProposalDecision,
    StatementEvent,
    StatementLink,
)
from escalation.plan_proposals import (
    OFFER_DAYS,
    offer_accept_by,
    proposal_balance,
    proposal_instalments,
)
from escalation.plans import plan_record
from escalation.statement_actions import SAME_SUBMISSION_SECONDS, lock_case

__all__ = ["OFFER_DAYS", "offer_accept", "offer_accept_by", "offer_state", "with_offer_states"]
OPEN, ACCEPTED, LAPSED, SUPERSEDED = "open", "accepted", "lapsed", "superseded"


def _error(message: str, code: str) -> ValidationError:
    return ValidationError({"offer": ValidationError(message, code=code)})


def is_offer(decision: PlanProposalDecision) -> bool:
    return (
        decision.outcome == PlanProposalDecision.Outcome.CHANGED and decision.accept_by is not None
    )


def _newer(decision):
    """Proposals made after the one the offer answers (none can be made while a proposal
    awaits its answer, so every later one came after the offer)."""
    return PlanProposal.objects.filter(
        case_id=decision.proposal.case_id, pk__gt=decision.proposal_id
    )


def _accepted(decision) -> bool:
    try:
        return decision.acceptance is not None
    except PlanOfferAcceptance.DoesNotExist:
        return False


def offer_state(
    decision: PlanProposalDecision,
    *,
    today: datetime.date | None = None,
    newer_proposal: bool | None = None,
) -> str:
    """open, accepted, lapsed or superseded; "" for an answer that is no offer (accepted as
    proposed, declined, or changed before offers existed). `newer_proposal` may be given
    when the caller already knows (a list of the case's proposals)."""
    if not is_offer(decision):
        return ""
    if _accepted(decision):
        return ACCEPTED
    if newer_proposal is None:
        newer_proposal = _newer(decision).exists()
    if newer_proposal:
        return SUPERSEDED
    today = today or timezone.localdate()
    return LAPSED if today > decision.accept_by else OPEN


def with_offer_states(proposals: list[PlanProposal], *, today: datetime.date | None = None):
    """Set `offer_state` on each of a case's proposals (newest first, with decision and
    acceptance selected): no query."""
    today = today or timezone.localdate()
    for p in proposals:
        p.offer_state = ""
        if _has_decision(p):
            newer = any(q.pk > p.pk for q in proposals)
            p.offer_state = offer_state(p.decision, today=today, newer_proposal=newer)
    return proposals


def _has_decision(proposal) -> bool:
    try:
        return proposal.decision is not None
    except PlanProposalDecision.DoesNotExist:
        return False


def offer_accept(
    *,
    decision: PlanProposalDecision,
    link: StatementLink | None = None,
    by=None,
    now: datetime.datetime | None = None,
) -> tuple[PlanOfferAcceptance, bool]:
    """The owner accepts the office's offer: on the statement page (`link`) or at the office
    (`by`, the office manager recording it). Records the plan agreed today, the acceptance,
    logs it and tells the office managers. Returns (acceptance, created): the same
    acceptance sent twice within a minute is one. Raises ValidationError keyed "offer" with
    code not_an_offer, accepted, superseded, lapsed or balance_changed, recording nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    Channel = PlanOfferAcceptance.Channel
    channel = Channel.STATEMENT if link is not None else Channel.OFFICE
    if link is None and by is None:
        raise ValueError("offer_accept needs the statement link or the staff member")
    case = decision.proposal.case
    if link is not None and link.case_id != case.pk:
        raise _error(_("This offer is not on your statement."), "not_an_offer")
    with transaction.atomic():
        lock_case(case.pk)
        decision = PlanProposalDecision.objects.select_related("proposal", "decided_by").get(
            pk=decision.pk
        )
        earlier = PlanOfferAcceptance.objects.filter(decision=decision).first()
        if earlier is not None:
            recent = (now - earlier.accepted_at).total_seconds() < SAME_SUBMISSION_SECONDS
            if recent and earlier.channel == channel:
                return earlier, False
            raise _error(
                _("These instalments were accepted on %(day)s: the payment plan is recorded.")
                % {"day": f"{timezone.localdate(earlier.accepted_at):%Y-%m-%d}"},
                "accepted",
            )
        if not is_offer(decision):
            raise _error(
                _("This answer is not an offer to accept: read the office's written answer."),
                "not_an_offer",
            )
        newer = _newer(decision).order_by("-pk").first()
        if newer is not None:
            raise _error(
                _(
                    "Your newer proposal of %(day)s replaces this offer: wait for the office's "
                    "written answer to it."
                )
                % {"day": f"{timezone.localdate(newer.proposed_at):%Y-%m-%d}"},
                "superseded",
            )
        if today > decision.accept_by:
            raise _error(
                _(
                    "This offer could be accepted until %(day)s: propose instalments again, or "
                    "call the office."
                )
                % {"day": f"{decision.accept_by:%Y-%m-%d}"},
                "lapsed",
            )
        if decision.balance is not None and proposal_balance(case) != decision.balance:
            raise _error(
                _(
                    "What you owe has changed since the office's offer of %(day)s: ask the "
                    "office for new instalments."
                )
                % {"day": f"{timezone.localdate(decision.decided_at):%Y-%m-%d}"},
                "balance_changed",
            )
        with translation.override(settings.LANGUAGE_CODE):  # the office's own record
            if channel == Channel.STATEMENT:
                note = _("The owner accepted the office's offer on the statement page at %(at)s.")
            else:
                note = _("The owner accepted the office's offer at the office on %(at)s.")
            note = note % {"at": f"{timezone.localtime(now):%Y-%m-%d %H:%M}"}
        plan = plan_record(
            case=case,
            by=decision.decided_by if channel == Channel.STATEMENT else by,
            agreed_on=today,
            instalments=proposal_instalments(decision),  # the offer's rows, same shape
            note=note,
        )
        acceptance = PlanOfferAcceptance.objects.create(
            decision=decision,
            plan=plan,
            channel=channel,
            link=link,
            recorded_by=by if channel == Channel.OFFICE else None,
            accepted_at=now,
        )
        if link is not None:
            StatementEvent.objects.create(link=link, kind=StatementEvent.Kind.PLAN_ACCEPTED, at=now)
        notify(
            recipients=office_managers(case.campaign.office),
            kind=Notification.Kind.APPROVAL,
            title=Message(
                gettext_noop("%(unit)s accepted the office's instalments"),
                unit=case.household.unit_code,
            ),
            body=Message(
                gettext_noop(
                    "The payment plan of %(total)s is recorded, agreed %(day)s: follow its "
                    "instalments on the case page."
                ),
                total=zh_money(plan.total),
                day=today.isoformat(),
            ),
            url=reverse("case-detail", args=[case.pk]) + "#plans",
        )
    return acceptance, True


def open_offer(proposals: list[PlanProposal]):
    """The decision whose offer is open among a case's proposals (with offer_state set)."""
    return next((p.decision for p in proposals if getattr(p, "offer_state", "") == OPEN), None)
