"""Organisation, campaigns, cases and the fee ledger.

Money is Decimal (CNY, two places). Payments, allocations and clearances are append-only:
a mistake is undone by a reversal entry, so the ledger's history stays true.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from arrears.messages import shown
from arrears.money import ZERO, money_field
from arrears.receipts import receipt_key


class ImmutableRecordError(Exception):
    """Raised when code tries to edit or delete an append-only record."""


class AppendOnlyModel(models.Model):
    """A row that is written once. Corrections are new rows (reversals), never edits."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(
                f"{type(self).__name__} {self.pk} is append-only; record a reversal instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(
            f"{type(self).__name__} {self.pk} is append-only; record a reversal instead."
        )


class Region(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    # Where a region keeps other hours than the deployment's defaults (settings.SUMMARY_*).
    daily_summary_at = models.TimeField(_("18:00 reports at"), null=True, blank=True)
    morning_brief_at = models.TimeField(_("director's brief at"), null=True, blank=True)
    weekly_pack_at = models.TimeField(_("Monday meeting pack at"), null=True, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Office(models.Model):
    """A service office (服务处): the unit that owns households, policies and campaigns."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="offices", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("office phone"), max_length=40, blank=True)
    hours = models.CharField(
        _("opening hours"),
        max_length=100,
        blank=True,
        help_text=_(
            "When owners can call or come in, e.g. 8:30–17:30 daily: on the owner's statement."
        ),
    )
    payment_instructions = models.TextField(
        _("payment instructions"),
        blank=True,
        help_text=_("How owners can pay: printed on notices and demands."),
    )
    arbitration_clause = models.BooleanField(
        _("the service contract has an arbitration clause"),
        default=False,
        help_text=_(
            "Only then is arbitration a route for unpaid fees; otherwise a payment order or a suit."
        ),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("keep owners' contact data (years)"),
        default=3,
        help_text=_(
            "After a household's arrears are cleared and its campaign has closed, its owners' "
            "names and phone numbers are erased this many years after the last payment, "
            "contact or campaign close (PIPL art. 47)."
        ),
    )

    class Meta:
        verbose_name = _("service office")
        verbose_name_plural = _("service offices")
        ordering = ["region__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="office_name_unique_in_region"),
            models.CheckConstraint(
                condition=Q(retention_years__gte=1), name="office_retention_at_least_a_year"
            ),
        ]

    def __str__(self):
        return self.name


class FeeRate(models.Model):
    """Monthly property fee per m² of building area, valid from a date until the next rate."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="fee_rates", verbose_name=_("office")
    )
    rate_per_m2 = models.DecimalField(_("rate (CNY/m²/month)"), max_digits=8, decimal_places=2)
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        ordering = ["office", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "effective_from"], name="fee_rate_one_per_office_and_date"
            ),
            models.CheckConstraint(condition=Q(rate_per_m2__gt=0), name="fee_rate_positive"),
        ]

    def __str__(self):
        return f"{self.office} ¥{self.rate_per_m2}/m² ({self.effective_from:%Y-%m-%d})"


class Role(models.TextChoices):
    """The roles of DESIGN.md §1. Each one is a Django group of the same name."""

    COLLECTOR = "collector", _("collector")
    TEAM_LEADER = "team_leader", _("team leader")
    OFFICE_MANAGER = "office_manager", _("service office manager")
    OPERATIONS_MANAGER = "operations_manager", _("operations manager")
    REGIONAL_DIRECTOR = "regional_director", _("regional director")
    SITE_STAFF = "site_staff", _("gate / patrol staff")
    ADMINISTRATOR = "administrator", _("administrator")


class StaffProfile(models.Model):
    """Where a user works. Their role is their group (arrears.roles); the role and this
    profile together decide what they may see (arrears.scoping)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("office"),
        help_text=_("For collectors, team leaders, office managers and gate/patrol staff."),
    )
    offices = models.ManyToManyField(
        Office,
        blank=True,
        related_name="overseers",
        verbose_name=_("offices in charge"),
        help_text=_("For operations managers: the offices whose reports they consolidate."),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("region"),
        help_text=_("For regional directors."),
    )
    history = HistoricalRecords(m2m_fields=[offices])

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return self.display_name or self.user.get_username()


class Campaign(models.Model):
    """A collection campaign (清收行动) of one office, with its scoring policy."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        RUNNING = "running", _("running")
        CLOSED = "closed", _("closed")

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("office")
    )
    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("start date"))
    target_date = models.DateField(_("target date"))
    arrears_from = models.DateField(
        _("arrears from (month)"),
        null=True,
        blank=True,
        help_text=_("First month of arrears the campaign collects; empty means all earlier."),
    )
    arrears_through = models.DateField(
        _("arrears through (month)"),
        help_text=_("Last month of arrears the campaign collects (first day of the month)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    assessment_months = models.PositiveSmallIntegerField(_("assessment cycle (months)"), default=3)
    monthly_minimum = models.PositiveSmallIntegerField(
        _("households to clear per team and month"), default=1
    )
    points_at_minimum = models.IntegerField(_("points per member for the minimum"), default=20)
    points_per_extra = models.IntegerField(
        _("points per member for each household beyond it"), default=20
    )
    penalty_per_missing = models.IntegerField(
        _("points deducted per member for each missing household"), default=20
    )
    goal = models.TextField(_("goal"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_date__gte=F("start_date")),
                name="campaign_target_after_start",
            ),
            models.CheckConstraint(
                condition=Q(arrears_through__day=1), name="campaign_arrears_through_is_month"
            ),
            models.CheckConstraint(
                condition=Q(arrears_from__isnull=True) | Q(arrears_from__day=1),
                name="campaign_arrears_from_is_month",
            ),
        ]

    def __str__(self):
        return self.name

    def periods_q(self, prefix=""):
        """A Q selecting the debt periods this campaign collects (prefix for joins)."""
        q = Q(**{f"{prefix}month__lte": self.arrears_through})
        if self.arrears_from:
            q &= Q(**{f"{prefix}month__gte": self.arrears_from})
        return q


class DebtorCategory(models.TextChoices):
    """The plan's five kinds of debtor, each with a lawful playbook; and "not yet classified"
    for a case whose ledger did not say (most sheets outside this product have no such column):
    its playbook is to find out, then only the steps every category shares."""

    UNCLASSIFIED = "unclassified", _("not yet classified (待分类)")
    VACANT = "vacant", _("vacant (空关)")
    UNREACHABLE = "unreachable", _("unreachable (无法联系)")
    AWAY = "away", _("away for long periods (异地出差)")
    GRIEVANCE = "grievance", _("refuses over a grievance (特殊拒交)")
    REFUSAL = "refusal", _("refuses without a reason (恶意拒交)")


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of `value`, or the value itself when it is not a choice, as Django's
    get_FOO_display gives it. Django builds a dict of every choice, each label translated,
    on each call (about 70 µs): lists that show a label per row look it up by value."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# Case columns kept by arrears.case_figures from the ledger, the attempts, promises and plans.
KEPT_FIGURES = (
    "owed",
    "paid",
    "balance",
    "unpaid_months",
    "oldest_unpaid",
    "last_contact_at",
    "open_promise_due",
    "plan_unpaid_due",
)


class Case(models.Model):
    """One household inside one campaign (催收案件)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PROMISED = "promised", _("promised")
        PARTLY_PAID = "partly_paid", _("partly paid")
        LEGAL = "legal", _("in legal process")
        CLEARED = "cleared", _("cleared")
        CLOSED = "closed", _("closed")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="cases", verbose_name=_("campaign")
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("household"),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("team"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_cases",
        verbose_name=_("responsible person"),
    )
    category = models.CharField(
        _("debtor category"),
        max_length=20,
        choices=DebtorCategory.choices,
        default=DebtorCategory.UNCLASSIFIED,
    )
    reason = models.CharField(_("reason for arrears"), max_length=300, blank=True)
    planned_date = models.DateField(_("planned collection date"), null=True, blank=True)
    plan_note = models.CharField(
        _("plan note"),
        max_length=300,
        blank=True,
        help_text=_("E.g. “report filed” where the plan gives no date."),
    )
    # Text columns of an imported ledger that have no field of their own (收缴措施 …), kept
    # as written, one "column: value" per line.
    imported_text = models.TextField(_("other imported columns"), blank=True)
    # Phrases of unlawful methods in the reason, plan note or imported text (arrears.unlawful).
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    closed_reason = models.CharField(_("reason for closing"), max_length=300, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Figures of the campaign's months, kept by arrears.case_figures.refresh: derived from
    # the ledger and the attempts, so they have no history of their own.
    owed = money_field(_("owed"), default=ZERO, db_default=ZERO, editable=False)
    paid = money_field(_("paid"), default=ZERO, db_default=ZERO, editable=False)
    balance = money_field(_("balance"), default=ZERO, db_default=ZERO, editable=False)
    unpaid_months = models.PositiveIntegerField(
        _("unpaid months"), default=0, db_default=0, editable=False
    )
    oldest_unpaid = models.DateField(_("oldest unpaid month"), null=True, editable=False)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, editable=False)
    # What orders the case list (desk.case_queries), also kept by case_figures.refresh:
    # the latest promise's day while it is not kept, and the day of the first instalment
    # of the latest payment plan not yet covered by payments.
    open_promise_due = models.DateField(_("promised for"), null=True, editable=False)
    plan_unpaid_due = models.DateField(_("next instalment unpaid"), null=True, editable=False)
    history = HistoricalRecords(excluded_fields=list(KEPT_FIGURES))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["household__unit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"], name="case_one_per_household_and_campaign"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(closed_reason=""),
                name="case_closed_needs_reason",
            ),
        ]

    def __str__(self):
        return f"{self.household.unit_code} · {self.campaign}"

    def save(self, *args, **kwargs):
        # The kept figures are written by arrears.case_figures alone: a full save of a case
        # loaded before a payment or an attempt would put its old balance back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in KEPT_FIGURES
            ]
        super().save(*args, **kwargs)

    def get_category_display(self) -> str:
        return choice_label(DebtorCategory, self.category)

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    def periods(self):
        return self.household.debt_periods.filter(self.campaign.periods_q())


class DebtPeriod(models.Model):
    """One unpaid (or once unpaid) month of a household's fee ledger."""

    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="debt_periods",
        verbose_name=_("household"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount_due = money_field(_("amount due"))
    # Kept equal to the sum of this period's allocations by arrears.payments, in the same
    # transaction; the constraints below make over-payment of a month impossible.
    amount_paid = money_field(_("amount paid"), default=ZERO)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("debt period")
        verbose_name_plural = _("debt periods")
        ordering = ["household", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "month"], name="debt_period_one_per_household_and_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="debt_period_month_is_first"),
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="debt_period_due_gte_0"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="debt_period_paid_gte_0"),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("amount_due")),
                name="debt_period_paid_lte_due",
            ),
        ]
        indexes = [
            # Every desk, list and summary sums what is unpaid per household; the unpaid
            # months are a fraction of the table. On the 100,000-household region the
            # director's office figures went from 1.5 s to 0.25 s with it (bench/README.md).
            # PostgreSQL keeps the amounts in the index too (SQLite ignores `include`).
            models.Index(
                fields=["household"],
                include=["amount_due", "amount_paid"],
                condition=Q(amount_paid__lt=F("amount_due")),
                name="debt_period_unpaid",
            ),
        ]

    def __str__(self):
        return f"{self.household.unit_code} {self.month:%Y-%m}"

    @property
    def balance(self):
        return self.amount_due - self.amount_paid


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("cash")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    REMITTANCE = "remittance", _("remittance from elsewhere")


class Payment(AppendOnlyModel):
    """Money received from a household, or the reversal of such a receipt."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REVERSAL = "reversal", _("reversal")

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="payments", verbose_name=_("office")
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("household"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount = money_field(_("amount"))
    # How much of `amount` went to debt periods when it was recorded: what reports count as
    # collected (arrears.collection). The rest is the household's credit (arrears.credit);
    # credit set against later months adds allocations to this payment, not to this figure.
    allocated = money_field(_("allocated"), default=ZERO)
    paid_at = models.DateTimeField(_("paid at"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    receipt_no = models.CharField(_("receipt number"), max_length=60, blank=True)
    # The receipt as compared (arrears.receipts.receipt_key), filled on save. Null only for
    # a payment recorded before keys existed whose key an earlier payment already had
    # (migration 0015 lists them): both are kept, the later one is not compared.
    receipt_key = models.CharField(  # noqa: DJ001 - NULL (not compared) differs from ""
        _("receipt number as compared"),
        max_length=255,
        blank=True,
        null=True,
        default="",
        editable=False,
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Phrases of the note (or a reversal's reason) that name an unlawful method, for review.
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    # Who gets the credit is fixed when the money arrives: the case's team and responsible
    # person at that moment (a reversal copies them), so moving the case later moves nothing.
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("credited team"),
    )
    credited_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credited_payments",
        verbose_name=_("credited person"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at", "-pk"]
        permissions = [("reverse_payment", _("Can reverse a payment"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(allocated__lte=F("amount")),
                name="payment_allocations_within_amount",
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment") & Q(reverses__isnull=True))
                | (Q(kind="reversal") & Q(reverses__isnull=False)),
                name="payment_reversal_names_original",
            ),
            models.UniqueConstraint(
                fields=["office", "receipt_no"],
                condition=Q(kind="payment") & ~Q(receipt_no=""),
                name="payment_receipt_unique_in_office",
            ),
            models.UniqueConstraint(
                fields=["office", "receipt_key"],
                condition=Q(kind="payment") & ~Q(receipt_key="") & Q(receipt_key__isnull=False),
                name="payment_receipt_key_unique_in_office",
            ),
        ]
        indexes = [
            models.Index(fields=["office", "paid_at"]),
            # The payments list of several offices (a director's 20), newest first: read
            # backwards from here instead of sorting every payment of the region (issue 15:
            # 63 → 5 ms at 3,800 payments; the payments of a year are ten times more).
            models.Index(fields=["paid_at", "id"], name="payment_newest"),
        ]

    def __str__(self):
        sign = "-" if self.kind == self.Kind.REVERSAL else ""
        return f"{self.household.unit_code} {sign}¥{self.amount} {self.paid_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self._state.adding and self.receipt_key is not None:
            self.receipt_key = receipt_key(self.receipt_no)[:255]
        super().save(*args, **kwargs)

    @property
    def signed_amount(self):
        return -self.amount if self.kind == self.Kind.REVERSAL else self.amount


class CreditRefund(AppendOnlyModel):
    """Money of a household's credit (what it paid beyond what it owed) given back to it.
    Recorded by the office manager with the reason; never edited (arrears.credit)."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="credit_refunds", verbose_name=_("office")
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="credit_refunds",
        verbose_name=_("household"),
    )
    amount = money_field(_("amount"))
    reason = models.CharField(_("reason"), max_length=300)
    refunded_at = models.DateTimeField(_("refunded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit refund")
        verbose_name_plural = _("credit refunds")
        ordering = ["-refunded_at", "-pk"]
        permissions = [("refund_credit", _("Can refund a household's credit"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_refund_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="credit_refund_needs_reason"),
        ]

    def __str__(self):
        return f"{self.household.unit_code} −¥{self.amount} {self.refunded_at:%Y-%m-%d}"


class BackdateApproval(AppendOnlyModel):
    """The office manager's word that a backdated payment (补录) counts in the month it is
    dated, not the month it was entered (arrears.backdating). One per payment, never edited."""

    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        related_name="backdate_approval",
        verbose_name=_("payment"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)
    note = models.CharField(_("why the earlier month"), max_length=300)

    class Meta:
        verbose_name = _("backdating approval")
        verbose_name_plural = _("backdating approvals")
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="backdate_approval_needs_note")
        ]

    def __str__(self):
        return f"{self.payment} ✓ {self.approved_at:%Y-%m-%d}"


class PaymentAllocation(AppendOnlyModel):
    """The part of a payment applied to one debt period (negative for a reversal)."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    period = models.ForeignKey(
        DebtPeriod,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("debt period"),
    )
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="allocation_nonzero"),
            models.UniqueConstraint(
                fields=["payment", "period"], name="allocation_one_per_payment_and_period"
            ),
        ]

    def __str__(self):
        return f"{self.payment_id} → {self.period} ¥{self.amount}"


class Clearance(models.Model):
    """The moment a case became cleared, and the team that held it then.

    Scoring counts clearances that were not revoked: a reversal that reopens the case
    revokes its clearance, and moving the case later does not move the credit.
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="clearances", verbose_name=_("case")
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clearances",
        verbose_name=_("team"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clearances",
        verbose_name=_("responsible person"),
    )
    cleared_at = models.DateTimeField(_("cleared at"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="clearances", verbose_name=_("payment")
    )
    revoked_by = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revoked_clearance",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("clearance")
        verbose_name_plural = _("clearances")
        ordering = ["-cleared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(revoked_at__isnull=True),
                name="clearance_one_standing_per_case",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="clearance_revocation_complete",
            ),
        ]

    def __str__(self):
        return f"{self.case} {self.cleared_at:%Y-%m-%d %H:%M}"


class PromiseToPay(AppendOnlyModel):
    """An owner's promise (承诺缴费). Kept or broken is worked out from payments."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="promises", verbose_name=_("case")
    )
    amount = money_field(_("amount"))
    due_date = models.DateField(_("promised date"))
    attempt = models.ForeignKey(
        "households.ContactAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("contact attempt"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # The team credited with the promise: the one that held the case when it was recorded
    # (that of its contact attempt), kept when the case moves (arrears.credited).
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("credited team"),
    )

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-due_date"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive")
        ]

    def __str__(self):
        return f"{self.case.household.unit_code} ¥{self.amount} {self.due_date:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # The recording service passes the team (households.contact); anything else credits
        # the team of the promise's attempt, or the case's team now.
        if self._state.adding and self.team_id is None:
            self.team_id = self.attempt.team_id if self.attempt_id else self.case.team_id
        super().save(*args, **kwargs)


class DifficultIssue(models.Model):
    """A difficult issue (疑难问题) raised on a case and resolved by a written decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="issues", verbose_name=_("case")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="raised_issues",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    # The team credited with raising it: the one that held the case then, kept when the case
    # moves (arrears.credited).
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("team that raised it"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    decision = models.TextField(_("decision"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolved_issues",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Phrases of unlawful methods in the title, description or decision (arrears.unlawful).
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("difficult issue")
        verbose_name_plural = _("difficult issues")
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open")
                | (~Q(decision="") & Q(resolved_at__isnull=False) & Q(resolved_by__isnull=False)),
                name="issue_resolved_needs_decision",
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # The raising service passes the team (arrears.issues); anything else credits the
        # case's team now.
        if self._state.adding and self.team_id is None:
            self.team_id = self.case.team_id
        super().save(*args, **kwargs)


class DifficultIssueNote(AppendOnlyModel):
    """One contribution to the discussion of a difficult issue (at the 18:00 meeting, say)."""

    issue = models.ForeignKey(
        DifficultIssue, on_delete=models.PROTECT, related_name="notes", verbose_name=_("issue")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)

    class Meta:
        verbose_name = _("issue note")
        verbose_name_plural = _("issue notes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:50]


class Notification(models.Model):
    """An entry in a person's in-app inbox."""

    class Kind(models.TextChoices):
        TIP = "tip", _("on-site tip")
        BREACH = "breach", _("contact policy breach")
        FLAG = "flag", _("note flagged for review")
        ISSUE = "issue", _("difficult issue")
        SUMMARY = "summary", _("summary")
        APPROVAL = "approval", _("approval needed")
        REMINDER = "reminder", _("reminder")
        DISPUTE = "dispute", _("dispute")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The title and text as message ids and parameters, put in the reader's language when
    # read (arrears.notifications.Message); `title` and `body` keep the default language's
    # text, all that notices written before these fields have.
    message = models.CharField(_("message"), max_length=500, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    body_message = models.CharField(_("text's message"), max_length=500, blank=True)
    body_params = models.JSONField(_("text's parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.shown_title

    @property
    def shown_title(self) -> str:
        """The title in the active language (the reader's)."""
        return shown(self.message, self.params, self.title)

    @property
    def shown_body(self) -> str:
        return shown(self.body_message, self.body_params, self.body)


class Summary(models.Model):
    """A stored report: one per kind, scope and date. Producing it again replaces it."""

    class Kind(models.TextChoices):
        DAILY_TEAM = "daily_team", _("18:00 team report")
        DAILY_OFFICE = "daily_office", _("18:00 office summary")
        DAILY_OPERATIONS = "daily_operations", _("operations manager's consolidated report")
        MORNING_BRIEF = "morning_brief", _("director's morning brief")
        WEEKLY_PACK = "weekly_pack", _("Monday 16:00 meeting pack")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # "team:12", "office:3", "operations:7" (a user), "region:1"
    scope = models.CharField(_("scope"), max_length=40)
    for_date = models.DateField(
        _("report date"), help_text=_("The day reported on; for the pack, its Monday.")
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="summaries")
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, null=True, blank=True, related_name="summaries"
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="summaries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="summaries",
        help_text=_("For an operations manager's consolidated report."),
    )
    data = models.JSONField(_("figures"))
    generated_at = models.DateTimeField(_("produced at"), default=timezone.now)
    generated_by = models.CharField(_("produced by"), max_length=60, default="schedule")
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("summary")
        verbose_name_plural = _("summaries")
        ordering = ["-for_date", "kind", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope", "for_date"], name="summary_one_per_kind_scope_and_date"
            )
        ]
        indexes = [models.Index(fields=["region", "kind", "for_date"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.scope} {self.for_date:%Y-%m-%d}"

    @property
    def produced_by_label(self) -> str:
        """Who produced it, in the reader's language ("run now: zhang" → "立即生成：zhang")."""
        kind, _sep, who = self.generated_by.partition(": ")
        labels = {"schedule": _("schedule"), "catch-up": _("catch-up"), "command": _("command")}
        if kind == "run now":
            return str(_("run now by %(user)s") % {"user": who})
        return str(labels.get(kind, self.generated_by))


class ImportJob(models.Model):
    """A large import (a ledger or payments) run by a worker: first a preview, then (when
    asked) the import."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Kind(models.TextChoices):
        LEDGER = "ledger", _("arrears ledger")
        PAYMENTS = "payments", _("payments")

    kind = models.CharField(_("import"), max_length=20, choices=Kind.choices, default=Kind.LEDGER)
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="import_jobs")
    # A ledger is imported into a campaign; payments into the office.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="import_jobs", null=True, blank=True
    )
    path = models.CharField(_("stored upload"), max_length=300)
    file_name = models.CharField(_("file name"), max_length=200)
    options = models.JSONField(_("options"), default=dict)
    dry_run = models.BooleanField(_("preview only"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    report = models.JSONField(_("report"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat's heartbeat task (one row)."""

    name = models.CharField(max_length=50, unique=True, default="worker")
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"


class SchedulerStart(models.Model):
    """When the scheduled summaries first ran on this installation (one row, written by the
    first catch-up). The catch-up never produces a summary for a day before it: a fresh
    install does not e-mail reports of the days before it existed (issue 16)."""

    name = models.CharField(max_length=50, unique=True, default="summaries")
    started_at = models.DateTimeField(_("first started at"))

    class Meta:
        verbose_name = _("scheduler start")
        verbose_name_plural = _("scheduler starts")

    def __str__(self):
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M:%S}"
