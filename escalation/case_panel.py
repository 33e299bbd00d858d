"""The case page's escalation panel: the ladder, letters, plans and the legal stage."""

from django.utils import timezone

from arrears import access
from arrears.models import Case
from escalation.forms import (
    LegalStepForm,
    OpenLegalForm,
    PlanDecisionForm,
    WaiverDecisionForm,
)
from escalation.ladder import Facts, ladder
from escalation.models import LegalAction
from escalation.plan_offers import with_offer_states
from escalation.plan_proposals import proposals_for_case
from escalation.plans import plans_for_case
from escalation.proceedings import legal_position
from escalation.statement_links import case_links


def case_escalation(user, case: Case) -> dict:
    """The case page's escalation context: ladder, letters, plans and the legal stage."""
    channels = frozenset(
        case.contact_attempts.filter(corrections__isnull=True).values_list("channel", flat=True)
    )
    letters = list(case.letters.order_by("-dated", "-pk"))
    position = legal_position(case)
    actions = list(case.legal_actions.prefetch_related("steps", "waivers").order_by("-opened_at"))
    filed = any(s.stage == LegalAction.Stage.FILED for a in actions for s in a.steps.all())
    facts = Facts(
        channels=channels,
        # An answer to a dispute is no payment notice: it does not move the ladder on.
        notice_sent=any(x.kind != "answer" and x.status in ("sent", "delivered") for x in letters),
        demand_delivered=any(x.kind == "demand" and x.status == "delivered" for x in letters),
        legal_stage=position.open_action is not None or filed,
    )
    context = {
        "ladder": ladder(facts),
        "letters": letters,
        "plans": plans_for_case(case),
        "legal": position,
        "legal_actions": actions,
        "legal_routes": LegalAction.Route.choices,
        "can_plan": user.has_perm("escalation.add_paymentplan"),
        "can_issue": user.has_perm("escalation.add_letter"),
        "can_open_legal": user.has_perm("escalation.add_legalaction"),
        "can_step": user.has_perm("escalation.change_legalaction"),
        "can_approve": user.has_perm("escalation.approve_waiver"),
        "statement_links": case_links(case),
        "plan_proposals": with_offer_states(proposals_for_case(case)),
        "can_decide_proposal": access.may_decide_plan_proposal(user, case.campaign.office_id),
    }
    if context["can_decide_proposal"]:
        context["proposal_form"] = PlanDecisionForm()
    if context["can_open_legal"] and position.open_action is None:
        context["open_form"] = OpenLegalForm(initial={"route": position.suggestion.route})
    if context["can_step"] and position.open_action is not None:
        context["step_form"] = LegalStepForm(initial={"on": timezone.localdate()})
    if context["can_approve"]:
        context["waiver_form"] = WaiverDecisionForm()
    return context
