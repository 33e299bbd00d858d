"""The lawful road after calls and visits (DESIGN.md §5.4): written letters with proof of
delivery, payment plans, the legal stage, and write-downs of the ledger that follow an award
or a settlement. Decision support, not legal advice.

Letters and legal actions change state (sent, delivered; filed, decided), so they are
ordinary rows with history; what they caused on the case — contact attempts, reductions of a
month's amount due — is written as separate records that are never edited.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from arrears.models import AppendOnlyModel
from arrears.money import money_field


class Letter(models.Model):
    """A payment notice (催缴通知书) or a formal demand with a deadline (催告函) as issued."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("payment notice (催缴通知书)")
        DEMAND = "demand", _("formal demand with a deadline (催告函)")
        PLAN_REPLY = "plan_reply", _("answer to an instalment proposal (分期缴费申请答复函)")
        # The office's written answer to a dispute (issue 17.2): not a demand.
        ANSWER = "answer", _("written answer to a dispute (异议答复函)")

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("in person, signed for (当面送达)")
        REGISTERED_MAIL = "registered_mail", _("registered mail (挂号信)")
        EMS = "ems", _("EMS")
        COURIER = "courier", _("courier (快递)")

    class Proof(models.TextChoices):
        SIGNATURE = "signature", _("the owner's signature (签收)")
        TRACKING = "tracking", _("the tracking record shows it delivered (妥投记录)")

    class Status(models.TextChoices):
        ISSUED = "issued", _("issued, not yet sent")
        SENT = "sent", _("sent, awaiting delivery")
        DELIVERED = "delivered", _("delivered")
        RETURNED = "returned", _("returned undelivered")

    case = models.ForeignKey(
        "arrears.Case", on_delete=models.PROTECT, related_name="letters", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    dated = models.DateField(_("dated"))
    deadline = models.DateField(_("pay by"), null=True, blank=True)
    total = money_field(_("total owed"))
    # What the letter said, as issued: the ledger moves on, the letter does not.
    periods = models.JSONField(_("months and amounts"), default=list)
    owners = models.JSONField(_("addressed to"), default=list)
    # An answer letter: the dispute it answers, and what it says about it as issued (what
    # was disputed, what the office found, the outcome it proposes).
    dispute = models.ForeignKey(
        "households.Dispute",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answer_letters",
        verbose_name=_("dispute answered"),
    )
    answer = models.JSONField(_("the answer"), default=dict, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="letters_issued",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ISSUED
    )
    method = models.CharField(
        _("delivery method"), max_length=20, choices=Method.choices, blank=True
    )
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    proof = models.CharField(
        _("proof of delivery"), max_length=10, choices=Proof.choices, blank=True
    )
    proof_detail = models.CharField(
        _("signed by, or the tracking record"), max_length=200, blank=True
    )
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    return_reason = models.CharField(_("why it came back"), max_length=200, blank=True)
    sent_attempt = models.OneToOneField(
        "households.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letter_sent",
    )
    outcome_attempt = models.OneToOneField(
        "households.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letter_outcome",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-dated", "-pk"]
        constraints = [
            models.CheckConstraint(
                # The 15-day floor is escalation.letters' rule; the database keeps the shape.
                condition=~Q(kind="demand") | Q(deadline__gt=F("dated")),
                name="letter_demand_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(kind="answer", dispute__isnull=False)
                | (~Q(kind="answer") & Q(dispute__isnull=True)),
                name="letter_answer_names_its_dispute",
            ),
            models.CheckConstraint(
                condition=~Q(method__in=["registered_mail", "ems"]) | ~Q(tracking_number=""),
                name="letter_mail_has_tracking_number",
            ),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True) | Q(delivered_on__gte=F("sent_on")),
                name="letter_delivered_after_sent",
            ),
            models.CheckConstraint(
                condition=Q(delivered_on__isnull=True) | Q(returned_on__isnull=True),
                name="letter_delivered_or_returned",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | (Q(delivered_on__isnull=False) & ~Q(proof="")),
                name="letter_delivered_has_proof",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.get_kind_display()}"

    @property
    def title(self) -> str:
        return {
            self.Kind.DEMAND: "催告函",
            self.Kind.PLAN_REPLY: "分期缴费申请答复函",
            self.Kind.ANSWER: "异议答复函",
        }.get(self.kind, "催缴通知书")


class PaymentPlan(models.Model):
    """A payment plan agreed with the owner (分期还款协议): the agreement itself is the owner
    agreeing to pay, so it interrupts the limitation period (Civil Code art. 195)."""

    case = models.ForeignKey(
        "arrears.Case",
        on_delete=models.PROTECT,
        related_name="payment_plans",
        verbose_name=_("case"),
    )
    agreed_on = models.DateField(_("agreed on"))
    total = money_field(_("total"))
    signed_copy = models.FileField(
        _("signed agreement (scan)"), upload_to="plans/%Y/%m/", blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payment_plans_recorded",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["-agreed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="payment_plan_total_positive")
        ]

    def __str__(self):
        return f"{self.case.household.unit_code} {self.agreed_on:%Y-%m-%d}"


class Instalment(AppendOnlyModel):
    """One instalment of a plan. Kept or broken is worked out from payments, like a promise."""

    plan = models.ForeignKey(
        PaymentPlan, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("plan")
    )
    due_date = models.DateField(_("due date"))
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["plan", "due_date"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_date"], name="instalment_one_per_day"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.due_date:%Y-%m-%d} {self.amount}"


class LegalAction(models.Model):
    """The legal stage of a case: a payment order, an arbitration or a suit."""

    class Route(models.TextChoices):
        PAYMENT_ORDER = "payment_order", _("payment order (支付令)")
        ARBITRATION = "arbitration", _("arbitration (仲裁)")
        LAWSUIT = "lawsuit", _("lawsuit, with mediation offered (诉讼)")

    class Stage(models.TextChoices):
        PREPARING = "preparing", _("preparing the filing")
        FILED = "filed", _("filed (已立案/已申请)")
        HEARING = "hearing", _("hearing (开庭)")
        DECIDED = "decided", _("judgment, award or order (判决/裁决/支付令)")
        SETTLED = "settled", _("settled (调解/和解)")
        ENFORCEMENT = "enforcement", _("enforcement applied for (强制执行)")
        PAID = "paid", _("paid")
        CLOSED = "closed", _("closed")

    case = models.ForeignKey(
        "arrears.Case",
        on_delete=models.PROTECT,
        related_name="legal_actions",
        verbose_name=_("case"),
    )
    demand = models.ForeignKey(
        Letter,
        on_delete=models.PROTECT,
        related_name="legal_actions",
        verbose_name=_("delivered demand"),
    )
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    suggested_route = models.CharField(_("suggested route"), max_length=20, choices=Route.choices)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PREPARING
    )
    claimed = money_field(_("amount claimed"))
    institution = models.CharField(_("court or commission"), max_length=200, blank=True)
    docket_number = models.CharField(_("docket number"), max_length=100, blank=True)
    court_fees = money_field(_("court or arbitration fees paid"), null=True, blank=True)
    awarded = money_field(_("fees awarded or settled"), null=True, blank=True)
    costs_awarded = money_field(_("costs the owner must bear"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="legal_actions_opened",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal action")
        verbose_name_plural = _("legal actions")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(stage="closed"),
                name="legal_action_one_open_per_case",
            ),
            models.CheckConstraint(
                condition=Q(claimed__gt=0), name="legal_action_claims_something"
            ),
            models.CheckConstraint(
                condition=Q(court_fees__isnull=True) | Q(court_fees__gte=0),
                name="legal_action_fees_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(awarded__isnull=True) | Q(awarded__gte=0),
                name="legal_action_awarded_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.case.household.unit_code} {self.get_route_display()}"


class LegalStep(AppendOnlyModel):
    """One dated step of a legal action, as the case's timeline shows it."""

    action = models.ForeignKey(
        LegalAction, on_delete=models.PROTECT, related_name="steps", verbose_name=_("action")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=LegalAction.Stage.choices)
    on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("legal step")
        verbose_name_plural = _("legal steps")
        ordering = ["on", "pk"]


class Waiver(models.Model):
    """Part of the debt given up after a judgment or a settlement: it lowers months' amounts
    due only once an office manager approves it."""

    class Basis(models.TextChoices):
        JUDGMENT = "judgment", _("not awarded by the court or tribunal")
        SETTLEMENT = "settlement", _("waived in a settlement")
        DISPUTE = "dispute", _("an upheld dispute")

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting the manager's approval")
        APPROVED = "approved", _("approved and applied")
        REFUSED = "refused", _("refused")

    case = models.ForeignKey(
        "arrears.Case", on_delete=models.PROTECT, related_name="waivers", verbose_name=_("case")
    )
    # A waiver comes either from the legal stage (a judgment, a settlement) or from a dispute
    # the office upheld (issue 17.2); exactly one of the two is set.
    action = models.ForeignKey(
        LegalAction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waivers",
        verbose_name=_("legal action"),
    )
    dispute = models.ForeignKey(
        "households.Dispute",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waivers",
        verbose_name=_("dispute"),
    )
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    amount = money_field(_("amount"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="waivers_requested",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waivers_decided",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("waiver")
        verbose_name_plural = _("waivers")
        ordering = ["-requested_at", "-pk"]
        permissions = [("approve_waiver", _("Can approve a waiver of part of a debt"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="waiver_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(
                        action__isnull=False,
                        dispute__isnull=True,
                        basis__in=["judgment", "settlement"],
                    )
                    | Q(action__isnull=True, dispute__isnull=False, basis="dispute")
                ),
                name="waiver_from_action_or_dispute",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="waiver_decision_has_decider",
            ),
        ]

    def __str__(self):
        return f"{self.case.household.unit_code} −{self.amount}"


class WaiverAllocation(AppendOnlyModel):
    """How much of an approved waiver came off which month's amount due."""

    waiver = models.ForeignKey(
        Waiver, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("waiver")
    )
    period = models.ForeignKey(
        "arrears.DebtPeriod",
        on_delete=models.PROTECT,
        related_name="waiver_allocations",
        verbose_name=_("month"),
    )
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("waiver allocation")
        verbose_name_plural = _("waiver allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="waiver_allocation_positive")
        ]


class StatementLink(models.Model):
    """A signed link to the owner's statement (issue 17.1): no login, this household only,
    valid for 90 days from issue unless revoked. The token carries only this row's id."""

    case = models.ForeignKey(
        "arrears.Case",
        on_delete=models.PROTECT,
        related_name="statement_links",
        verbose_name=_("case"),
    )
    letter = models.ForeignKey(
        Letter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_links",
        verbose_name=_("printed on letter"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="statement_links_issued",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("statement link")
        verbose_name_plural = _("statement links")
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        return f"{self.case_id} · {self.issued_at:%Y-%m-%d}"


class StatementLinkRevocation(AppendOnlyModel):
    """A statement link withdrawn from the case page: kept, never undone (issue a new one)."""

    link = models.OneToOneField(
        StatementLink,
        on_delete=models.PROTECT,
        related_name="revocation",
        verbose_name=_("statement link"),
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("statement link revocation")
        verbose_name_plural = _("statement link revocations")


class StatementEvent(AppendOnlyModel):
    """Each time the owner's statement was opened, or an action was taken on it."""

    class Kind(models.TextChoices):
        VIEWED = "viewed", _("statement opened")
        WRITTEN_ONLY = "written_only", _("asked for written contact only")
        DISPUTED = "disputed", _("disputed the statement")
        PLAN_PROPOSED = "plan_proposed", _("proposed instalments")
        DATA_REQUEST = "data_request", _("asked about their personal information")
        PLAN_ACCEPTED = "plan_accepted", _("accepted the office's instalments")

    link = models.ForeignKey(
        StatementLink,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("statement link"),
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("statement event")
        verbose_name_plural = _("statement events")
        ordering = ["-at", "-pk"]


class PlanProposal(AppendOnlyModel):
    """Instalments the owner proposed on the statement page (issue 17.4): written once; the
    office manager's answer is a PlanProposalDecision."""

    case = models.ForeignKey(
        "arrears.Case",
        on_delete=models.PROTECT,
        related_name="plan_proposals",
        verbose_name=_("case"),
    )
    link = models.ForeignKey(
        StatementLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_proposals",
        verbose_name=_("statement link"),
    )
    # [{"due_date": "2026-04-30", "amount": "500.00"}, ...] as the owner proposed them.
    instalments = models.JSONField(_("instalments"), default=list)
    total = money_field(_("total"))
    balance = money_field(_("balance when proposed"))
    words = models.TextField(_("the owner's words"), blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)

    class Meta:
        verbose_name = _("instalment proposal")
        verbose_name_plural = _("instalment proposals")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="plan_proposal_total_positive")
        ]

    def __str__(self):
        return f"{self.case_id} {self.proposed_at:%Y-%m-%d}"


class PlanProposalDecision(AppendOnlyModel):
    """The office manager's answer to a proposal: accepted, changed or declined, answered in
    writing (a letter). Accepted: recorded as a PaymentPlan at once. Changed: the office's
    offer, open until `accept_by`; a plan is recorded only when the owner accepts it (a
    PlanOfferAcceptance, escalation.plan_offers)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        CHANGED = "changed", _("accepted with changes")
        DECLINED = "declined", _("declined")

    proposal = models.OneToOneField(
        PlanProposal,
        on_delete=models.PROTECT,
        related_name="decision",
        verbose_name=_("proposal"),
    )
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    # The instalments as decided (the proposal's own when accepted, the office's offer when
    # changed); empty when declined.
    instalments = models.JSONField(_("instalments"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # A changed proposal (the office's offer): the last day the owner may accept it, and what
    # the statement demanded when it was made (an offer on another balance is not accepted).
    accept_by = models.DateField(_("to be accepted by"), null=True, blank=True)
    balance = money_field(_("balance when offered"), null=True, blank=True)
    plan = models.OneToOneField(
        PaymentPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposal_decision",
        verbose_name=_("payment plan"),
    )
    letter = models.OneToOneField(
        Letter,
        on_delete=models.PROTECT,
        related_name="plan_decision",
        verbose_name=_("written answer"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("decision on an instalment proposal")
        verbose_name_plural = _("decisions on instalment proposals")
        constraints = [
            # Accepted: a plan at once; declined: none; changed: none since issue 17.4's
            # counter-offers (older changed answers kept the plan they recorded).
            models.CheckConstraint(
                condition=Q(outcome="declined", plan__isnull=True)
                | Q(outcome="accepted", plan__isnull=False)
                | Q(outcome="changed"),
                name="plan_decision_plan_when_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="declined") | ~Q(reason=""),
                name="plan_decision_decline_has_reason",
            ),
        ]


class PlanOfferAcceptance(AppendOnlyModel):
    """The owner accepted the office's offer (a changed PlanProposalDecision): on the
    statement page, or at the office as recorded by the office manager. Its plan is the
    payment plan agreed that day (escalation.plan_offers)."""

    class Channel(models.TextChoices):
        STATEMENT = "statement", _("on the statement page")
        OFFICE = "office", _("at the office")

    decision = models.OneToOneField(
        PlanProposalDecision,
        on_delete=models.PROTECT,
        related_name="acceptance",
        verbose_name=_("the office's offer"),
    )
    plan = models.OneToOneField(
        PaymentPlan,
        on_delete=models.PROTECT,
        related_name="offer_acceptance",
        verbose_name=_("payment plan"),
    )
    channel = models.CharField(_("accepted"), max_length=10, choices=Channel.choices)
    link = models.ForeignKey(
        StatementLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("statement link"),
    )
    # The office manager who recorded an acceptance at the office; none from the statement.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("acceptance of the office's instalments")
        verbose_name_plural = _("acceptances of the office's instalments")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="statement", link__isnull=False, recorded_by__isnull=True)
                | Q(channel="office", recorded_by__isnull=False),
                name="plan_offer_acceptance_by_channel",
            )
        ]
