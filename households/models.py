"""Households, owners, contact attempts, the office's contact policy and on-site tips."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from arrears.models import AppendOnlyModel, choice_label
from arrears.money import money_field
from households.contact_policy import (
    POLICY_DEFAULTS,
    POLICY_LIMITS,
    STRICTER_IS_LOWER,
    policy_refusals,
)


def building_of(unit_code: str) -> str:
    """The building part of a unit code: C6-101 → C6, E2-2-201 → E2."""
    return unit_code.split("-", 1)[0].strip().upper()


class Occupancy(models.TextChoices):
    """房屋动态."""

    OCCUPIED = "occupied", _("occupied (入住)")
    VACANT = "vacant", _("vacant (空关)")
    NEVER_MOVED_IN = "never_moved_in", _("never moved in (未入住)")
    RENOVATING = "renovating", _("under renovation (装修中)")
    RENOVATED_EMPTY = "renovated_empty", _("renovated, not lived in (已装修未入住)")


class Household(models.Model):
    office = models.ForeignKey(
        "arrears.Office",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("office"),
    )
    unit_code = models.CharField(
        _("unit code"), max_length=30, help_text=_("E.g. C6-101 or E2-2-201.")
    )
    building = models.CharField(_("building"), max_length=20, editable=False)
    area_m2 = models.DecimalField(
        _("building area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    occupancy = models.CharField(
        _("occupancy"), max_length=20, choices=Occupancy.choices, default=Occupancy.OCCUPIED
    )
    occupancy_note = models.CharField(
        _("occupancy note"), max_length=200, blank=True, help_text=_("E.g. show flat (样板房).")
    )
    written_contact_only = models.BooleanField(
        _("written contact only"),
        default=False,
        help_text=_("The owner asked not to be called, messaged or visited."),
    )
    written_only_since = models.DateField(_("written contact only since"), null=True, blank=True)
    written_only_reason = models.CharField(
        _("reason for written contact only"), max_length=300, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["office", "unit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "unit_code"], name="household_unit_unique_in_office"
            ),
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gt=0),
                name="household_area_positive",
            ),
        ]
        indexes = [
            # The case list reads the few written-only households as a set on every page.
            models.Index(
                fields=["id"],
                condition=Q(written_contact_only=True),
                name="household_written_only",
            ),
        ]

    def __str__(self):
        return self.unit_code

    def save(self, *args, **kwargs):
        self.unit_code = self.unit_code.strip().upper()
        self.building = building_of(self.unit_code)
        super().save(*args, **kwargs)

    def clean(self):
        if self.written_contact_only and not self.written_only_since:
            raise ValidationError(
                {"written_only_since": _("Enter the date the owner asked for written contact.")}
            )


class Owner(models.Model):
    class Relation(models.TextChoices):
        OWNER = "owner", _("owner")
        CO_OWNER = "co_owner", _("co-owner")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="owners", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=100)
    relation = models.CharField(
        _("relation"), max_length=10, choices=Relation.choices, default=Relation.OWNER
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_alt = models.CharField(_("other phone"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["household", "relation", "pk"]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    """The lawful channels of DESIGN.md §5.1. There is deliberately no other."""

    PHONE_CALL = "phone_call", _("phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat message")
    HOME_VISIT = "home_visit", _("visit at the unit")
    OFFICE_MEETING = "office_meeting", _("meeting at the management office")
    PAYMENT_NOTICE = "payment_notice", _("written payment notice (催缴通知书)")
    WRITTEN_DEMAND = "written_demand", _("formal written demand (催告函)")
    # The office's written answer to a dispute (issue 17.2), issued and recorded as a letter:
    # written contact, but not a demand, so it restarts no limitation period.
    DISPUTE_ANSWER = "dispute_answer", _("written answer to a dispute (异议答复函)")
    COMMITTEE_URGING = "committee_urging", _("owners' committee urging (业委会督促)")
    LAWYER_LETTER = "lawyer_letter", _("lawyer's letter (律师函)")
    MEDIATION = "mediation", _("mediation (调解)")
    PAYMENT_ORDER = "payment_order", _("payment order (支付令)")
    LAWSUIT = "lawsuit", _("lawsuit")
    ARBITRATION = "arbitration", _("arbitration")


class PersonContacted(models.TextChoices):
    OWNER = "owner", _("owner")
    CO_OWNER = "co_owner", _("co-owner")
    OCCUPANT = "occupant", _("occupant or family member at the property")
    UNRELATED = "unrelated", _("unrelated person (asked only to pass on a request to call)")


class Outcome(models.TextChoices):
    NO_ANSWER = "no_answer", _("no answer (无人接听)")
    DECLINED = "declined", _("call declined (拒接)")
    TALKED = "talked", _("talked (已沟通)")
    PROMISED = "promised", _("promised to pay (承诺缴费)")
    REFUSED = "refused", _("refused to pay (拒绝缴费)")
    DISPUTED = "disputed", _("raised a dispute (提出异议)")
    PAID = "paid", _("paid (已缴费)")
    INVALID_NUMBER = "invalid_number", _("number invalid (号码无效)")
    SENT = "sent", _("sent, awaiting delivery")
    DELIVERED = "delivered", _("delivered")
    NOT_DELIVERED = "not_delivered", _("not delivered")


# An attempt is a breach when it was marked so when logged, or when the office manager's
# review found an exemption it claimed was not a real one. Use it wherever breaches are
# counted or listed (a Q, so it also works in Count(filter=…) and in subqueries).
IS_BREACH = ~Q(breaches=[]) | Q(exemption_review__decision="breach")


class ContactAttemptQuerySet(models.QuerySet):
    def effective(self):
        """The attempts that stand: not withdrawn by a correcting entry. A correcting entry
        stands in for the attempt it withdraws, so it is effective itself unless it was
        corrected in turn. A withdrawn attempt stays on record but counts for nothing: not
        in the policy's history, and its breaches void no clearance."""
        corrected = ContactAttempt.objects.filter(corrects=OuterRef("pk"))
        return self.filter(~Exists(corrected))

    def breached(self):
        """Attempts that broke a rule: marked when logged, or found so on review."""
        return self.filter(IS_BREACH)

    def exempted(self):
        """Attempts for which a rule was set aside (a time the owner asked for, …)."""
        return self.exclude(exemptions=[])

    def exemptions_to_review(self):
        return self.exempted().filter(exemption_review__isnull=True)


class ContactAttempt(AppendOnlyModel):
    """One lawful contact attempt (联系记录). Saved even when it breaches the policy."""

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="contact_attempts",
        verbose_name=_("household"),
    )
    case = models.ForeignKey(
        "arrears.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_attempts",
        verbose_name=_("case"),
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="contact_attempts",
        verbose_name=_("made by"),
    )
    # Who gets the credit is fixed when the attempt is recorded: the team that held the case
    # then (a correcting entry takes the team of the attempt it corrects), so moving the case
    # later moves none of it (arrears.credited).
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_attempts",
        verbose_name=_("credited team"),
    )
    occurred_at = models.DateTimeField(_("when"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    person_contacted = models.CharField(
        _("person contacted"), max_length=20, choices=PersonContacted.choices
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    at_owners_request = models.BooleanField(_("at a time the owner asked for"), default=False)
    owners_request_note = models.TextField(
        _("the owner's request, in their words"),
        blank=True,
        help_text=_("Required when the contact was at a time the owner asked for."),
    )
    owner_walked_in = models.BooleanField(
        _("the owner came to the office on their own"), default=False
    )
    delivered_in_person = models.BooleanField(_("handed over in person"), default=False)
    staff_count = models.PositiveSmallIntegerField(_("staff present"), null=True, blank=True)
    message_has_opt_out = models.BooleanField(
        _("the message says how to opt out"), null=True, blank=True
    )
    third_party_told_of_debt = models.BooleanField(
        _("the unrelated person was told about the debt"), default=False
    )
    callback_at = models.DateTimeField(
        _("call-back time agreed with the owner"), null=True, blank=True
    )
    # Rule codes from households.contact_policy that this attempt broke; an attempt with
    # any breach earns nothing and is listed for the manager.
    breaches = models.JSONField(_("policy breaches"), default=list, blank=True)
    # Advice codes the attempt did not follow without breaking a rule (a visit by one person
    # alone): kept so that the timeline and the manager still see them.
    warnings = models.JSONField(_("policy advice not followed"), default=list, blank=True)
    # Exemption codes from households.contact_policy: rules set aside for this attempt, each
    # reviewed by the office manager (ExemptionReview).
    exemptions = models.JSONField(_("exemptions applied"), default=list, blank=True)
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
        help_text=_("An attempt logged in error is withdrawn by a correcting entry."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ContactAttemptQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_at__lte=F("recorded_at")),
                name="attempt_not_in_the_future",
            ),
            models.CheckConstraint(
                condition=Q(staff_count__isnull=True) | Q(staff_count__gte=1),
                name="attempt_staff_count_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "occurred_at"]),
            # The attempts list and the breaches page show the newest first: read backwards
            # from here, the first page of a region's 44,000 attempts takes 50 rows, not a
            # sort of all of them (issue 15: director's attempts list 500 → 1 ms in PostgreSQL).
            models.Index(fields=["occurred_at", "id"], name="attempt_newest"),
            # The few attempts with an exemption, of which those not yet reviewed are counted
            # on the office desk and listed on the breaches page: without it, a scan of every
            # attempt on each of those pages (25 ms at 44,000, growing by the week).
            models.Index(
                fields=["household"], condition=~Q(exemptions=[]), name="attempt_exempted"
            ),
        ]

    objects = ContactAttemptQuerySet.as_manager()

    def save(self, *args, **kwargs):
        if self._state.adding:
            if self.corrects_id is not None:
                # A correcting entry stands in for the attempt it withdraws: credited alike.
                self.team_id = (
                    ContactAttempt.objects.filter(pk=self.corrects_id)
                    .values_list("team_id", flat=True)
                    .first()
                )
            elif self.team_id is None and self.case_id is not None:
                # The recording services pass the team (households.contact); anything else
                # that records one (the admin, the demo data) credits the case's team now.
                self.team_id = self.case.team_id
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.household.unit_code} {self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    # Django's get_FOO_display builds a dict of every choice, each label translated, on every
    # call (70 µs): the lists, the breaches page and the case page call these three for
    # every attempt they show (issue 15). The enum finds the label by value.
    def get_channel_display(self) -> str:
        return choice_label(Channel, self.channel)

    def get_person_contacted_display(self) -> str:
        return choice_label(PersonContacted, self.person_contacted)

    def get_outcome_display(self) -> str:
        return choice_label(Outcome, self.outcome)

    @property
    def review(self) -> "ExemptionReview | None":
        """The office manager's review of the exemptions (select_related it on lists)."""
        return getattr(self, "exemption_review", None)

    @property
    def all_breaches(self) -> list[str]:
        """The rules it broke: those marked when logged, then those its review added."""
        codes = list(self.breaches)
        review = self.review
        if review is not None:
            codes += [c for c in review.breaches if c not in codes]
        return codes

    @property
    def is_breach(self):
        return bool(self.all_breaches)


class ExemptionReview(AppendOnlyModel):
    """The office manager's decision on an attempt's exemptions: accepted, or a breach.

    Attempts are append-only, so a review found to be a breach is recorded here, with the
    rules it adds to the attempt's breaches (ContactAttempt.all_breaches, IS_BREACH).
    """

    class Decision(models.TextChoices):
        ACCEPT = "accept", _("accepted: a real exemption")
        BREACH = "breach", _("marked as a breach")

    attempt = models.OneToOneField(
        ContactAttempt,
        on_delete=models.PROTECT,
        related_name="exemption_review",
        verbose_name=_("contact attempt"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    breaches = models.JSONField(_("rules it broke"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="exemption_reviews",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)

    class Meta:
        verbose_name = _("exemption review")
        verbose_name_plural = _("exemption reviews")
        ordering = ["-reviewed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="accept", breaches=[])
                | (Q(decision="breach") & ~Q(breaches=[])),
                name="exemption_review_breaches_match_decision",
            ),
        ]

    def __str__(self):
        return f"{self.attempt} {self.get_decision_display()}"


def evidence_path(instance, filename):
    return f"evidence/{instance.attempt.household.office_id}/{instance.attempt_id}/{filename}"


class AttemptEvidence(AppendOnlyModel):
    """A photo of a delivered notice, a scan of a registered-mail receipt: images and PDF."""

    attempt = models.ForeignKey(
        ContactAttempt,
        on_delete=models.PROTECT,
        related_name="evidence",
        verbose_name=_("contact attempt"),
    )
    file = models.FileField(_("file"), upload_to=evidence_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self):
        return self.original_name


def _not_looser_constraints() -> list[models.CheckConstraint]:
    """A CHECK per policy number: the default or stricter (the hours and the 3-staff cap
    have their own, older constraints)."""
    constraints = []
    for limit in POLICY_LIMITS:
        if limit.field in ("allowed_from", "allowed_until", "visit_staff_max"):
            continue
        lookup = "lte" if limit.stricter == STRICTER_IS_LOWER else "gte"
        constraints.append(
            models.CheckConstraint(
                condition=Q(**{f"{limit.field}__{lookup}": limit.default}),
                name=f"policy_{limit.field}_not_looser",
                violation_error_message=_(
                    "An office's contact policy may be stricter than the product's defaults, "
                    "never looser."
                ),
            )
        )
    return constraints


class ContactPolicy(models.Model):
    """An office's contact limits (DESIGN.md §5.3); defaults are the product's."""

    office = models.OneToOneField(
        "arrears.Office",
        on_delete=models.CASCADE,
        related_name="contact_policy",
        verbose_name=_("office"),
    )
    allowed_from = models.TimeField(
        _("contact allowed from"), default=POLICY_DEFAULTS["allowed_from"]
    )
    allowed_until = models.TimeField(
        _("contact allowed until"), default=POLICY_DEFAULTS["allowed_until"]
    )
    calls_per_day = models.PositiveSmallIntegerField(
        _("calls per day"), default=POLICY_DEFAULTS["calls_per_day"]
    )
    calls_per_7_days = models.PositiveSmallIntegerField(
        _("calls in any 7 days"), default=POLICY_DEFAULTS["calls_per_7_days"]
    )
    quiet_days_after_conversation = models.PositiveSmallIntegerField(
        _("days without collection calls after a conversation"),
        default=POLICY_DEFAULTS["quiet_days_after_conversation"],
    )
    messages_per_day = models.PositiveSmallIntegerField(
        _("messages per day"), default=POLICY_DEFAULTS["messages_per_day"]
    )
    messages_per_7_days = models.PositiveSmallIntegerField(
        _("messages in any 7 days"), default=POLICY_DEFAULTS["messages_per_7_days"]
    )
    visits_per_7_days = models.PositiveSmallIntegerField(
        _("visits in any 7 days"), default=POLICY_DEFAULTS["visits_per_7_days"]
    )
    visit_staff_recommended = models.PositiveSmallIntegerField(
        _("staff recommended on a visit"), default=POLICY_DEFAULTS["visit_staff_recommended"]
    )
    visit_staff_max = models.PositiveSmallIntegerField(
        _("most staff on a visit"), default=POLICY_DEFAULTS["visit_staff_max"]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact policy")
        verbose_name_plural = _("contact policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(allowed_from__lt=F("allowed_until")),
                name="policy_hours_in_order",
                violation_error_message=_(
                    "The start of the allowed hours must come before the end."
                ),
            ),
            models.CheckConstraint(
                condition=Q(visit_staff_recommended__lte=F("visit_staff_max")),
                name="policy_visit_staff_in_order",
                violation_error_message=_(
                    "The recommended number of staff on a visit cannot exceed the maximum."
                ),
            ),
            # The product's ceilings: an office may be stricter, never looser.
            models.CheckConstraint(
                condition=Q(allowed_from__gte=datetime.time(8, 0))
                & Q(allowed_until__lte=datetime.time(21, 0)),
                name="policy_hours_within_8_to_21",
                violation_error_message=_(
                    "Contact hours must stay within 08:00–21:00: an office may be stricter, "
                    "never looser."
                ),
            ),
            models.CheckConstraint(
                condition=Q(visit_staff_max__lte=3),
                name="policy_visit_staff_at_most_3",
                violation_error_message=_(
                    "Never more than 3 staff on a home visit: enter 3 or fewer."
                ),
            ),
            # Every other number, one constraint each, from the same limits as the form's
            # messages and the rules engine (DESIGN.md §5.3).
            *_not_looser_constraints(),
        ]

    def __str__(self):
        return str(self.office)

    def clean(self):
        """Every number equal to or stricter than the default; the refusal names the law."""
        refusals = policy_refusals(self)
        if refusals:
            raise ValidationError(
                {
                    field: ValidationError(message, code="looser")
                    for field, message in refusals.items()
                }
            )


class OnSiteTip(AppendOnlyModel):
    """A tip from gate or patrol staff (驻地线索) about a target household."""

    class Kind(models.TextChoices):
        OWNER_SEEN = "owner_seen", _("owner seen")
        NOW_OCCUPIED = "now_occupied", _("unit now occupied")
        RENOVATION_STARTED = "renovation_started", _("renovation started")
        MOVING = "moving", _("moving in or out")
        OTHER = "other", _("other")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="tips", verbose_name=_("household")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    flagged_terms = models.JSONField(_("terms flagged for review"), default=list, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tips",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("on-site tip")
        verbose_name_plural = _("on-site tips")
        ordering = ["-reported_at"]

    def __str__(self):
        return f"{self.household.unit_code} {self.get_kind_display()}"


def withdrawal_path(instance, filename):
    return f"written-only/{instance.household.office_id}/{instance.household_id}/{filename}"


class WrittenOnlyWithdrawal(AppendOnlyModel):
    """The owner's written withdrawal of their written-contact-only request (issue 11.2).

    Only this lifts the request: recorded by the office manager with the owner's dated letter
    (a scan or photo). It keeps the request it ended, so contact dated inside that period is
    still a breach when it is logged afterwards.
    """

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="written_only_withdrawals",
        verbose_name=_("household"),
    )
    withdrawn_on = models.DateField(_("date of the owner's written withdrawal"))
    request_since = models.DateField(_("written contact only since"))
    request_reason = models.CharField(
        _("reason for written contact only"), max_length=300, blank=True
    )
    file = models.FileField(_("scan or photo"), upload_to=withdrawal_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="written_only_withdrawals",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("written withdrawal of written contact only")
        verbose_name_plural = _("written withdrawals of written contact only")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__gte=F("request_since")),
                name="written_only_withdrawn_after_request",
                violation_error_message=_(
                    "The owner cannot withdraw the request before they made it."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.household.unit_code} {self.withdrawn_on:%Y-%m-%d}"


class DisputeKind(models.TextChoices):
    MONTHS = "months", _("some months")
    AMOUNT = "amount", _("an amount the owner says was paid")
    SERVICE = "service", _("the service")


class DisputeCause(models.TextChoices):
    """What a service dispute is about (the plan's 特殊拒交类 reasons)."""

    LEAK_UNREPAIRED = "leak_unrepaired", _("leak not repaired (漏水未修)")
    FACILITIES = "facilities", _("facilities incomplete (配套设施不完善)")
    SECURITY = "security", _("security (e.g. a burglary)")
    CLEANING = "cleaning", _("cleaning")
    RENOVATION = "renovation", _("renovation dispute")
    PROPERTY_DEFECT = "property_defect", _("defect in the flat")
    OTHER = "other", _("other service complaint")


class DisputeSource(models.TextChoices):
    CALL = "call", _("staff, from a call")
    VISIT = "visit", _("staff, from a visit")
    LETTER = "letter", _("staff, from a letter")
    STATEMENT = "statement", _("the owner's statement page")


def dispute_file_path(instance, filename):
    return f"disputes/{instance.household.office_id}/{instance.household_id}/{filename}"


class Dispute(AppendOnlyModel):
    """What the owner disputes, in their words, from the moment it was recorded (issue 17.2).

    Written once: what happens next (the written answer delivered, the resolution, a
    correction) is a DisputeEvent, so nothing recorded is lost. While a dispute is open its
    months are paused for collection contact (households.disputes).
    """

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("household")
    )
    case = models.ForeignKey(
        "arrears.Case",
        on_delete=models.PROTECT,
        related_name="disputes",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("what is disputed"), max_length=10, choices=DisputeKind.choices)
    months = models.ManyToManyField(
        "arrears.DebtPeriod", related_name="disputes", blank=True, verbose_name=_("months")
    )
    amount = money_field(_("amount"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=20, choices=DisputeCause.choices, blank=True)
    words = models.TextField(_("the owner's words"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=DisputeSource.choices)
    file = models.FileField(_("file"), upload_to=dispute_file_path, blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=50, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes_recorded",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["household", "recorded_at"], name="dispute_household_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="dispute_amount_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.household.unit_code} {self.get_kind_display()} {self.recorded_at:%Y-%m-%d}"


class DisputeEvent(AppendOnlyModel):
    """One step of a dispute after it was recorded: open → answered → resolved."""

    class Kind(models.TextChoices):
        ANSWER_DELIVERED = "answered", _("written answer delivered")
        UPHELD = "upheld", _("upheld")
        REJECTED = "rejected", _("rejected")
        SETTLED = "settled", _("settled")
        NOTE = "note", _("note or correction")
        # The department reports the service problem fixed (a work order's "done").
        WORK_DONE = "work_done", _("the department reports it fixed")
        # The receipt check of an amount dispute: what the office found in its records.
        RECEIPT_FOUND = "receipt_found", _("receipt check: a matching payment was found")
        RECEIPT_NOT_FOUND = "receipt_missing", _("receipt check: no matching payment found")

    dispute = models.ForeignKey(
        Dispute, on_delete=models.PROTECT, related_name="events", verbose_name=_("dispute")
    )
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    happened_at = models.DateTimeField(_("when"))
    note = models.TextField(_("note or reason"), blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=60, blank=True)
    receipt_date = models.DateField(_("receipt date"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dispute_events",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("dispute step")
        verbose_name_plural = _("dispute steps")
        ordering = ["happened_at", "pk"]

    def __str__(self):
        return f"{self.dispute_id} {self.kind} {self.happened_at:%Y-%m-%d}"


class Department(models.TextChoices):
    """Who can fix what a service dispute is about."""

    ENGINEERING = "engineering", _("engineering")
    CLEANING = "cleaning", _("cleaning")
    SECURITY = "security", _("security")
    CUSTOMER_SERVICE = "customer_service", _("customer service")


class DisputeRoute(models.Model):
    """Where an office sends a service complaint of one cause, and how many days the
    department has to fix it. An office with no row for a cause uses
    households.disputes.DEFAULT_ROUTES."""

    office = models.ForeignKey(
        "arrears.Office",
        on_delete=models.CASCADE,
        related_name="dispute_routes",
        verbose_name=_("office"),
    )
    cause = models.CharField(_("cause"), max_length=20, choices=DisputeCause.choices)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    days = models.PositiveSmallIntegerField(
        _("days to fix"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Between 1 and 90 days from the day the dispute is recorded."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispute route")
        verbose_name_plural = _("dispute routes")
        ordering = ["office", "cause"]
        constraints = [
            models.UniqueConstraint(fields=["office", "cause"], name="dispute_route_one_per_cause"),
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=90), name="dispute_route_days_1_to_90"
            ),
        ]

    def __str__(self):
        return f"{self.office_id} {self.cause} → {self.department} ({self.days})"


class DisputeWorkOrder(AppendOnlyModel):
    """A service dispute sent to the department that can fix it, with a due date."""

    dispute = models.OneToOneField(
        Dispute, on_delete=models.PROTECT, related_name="work_order", verbose_name=_("dispute")
    )
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    due_date = models.DateField(_("due date"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return f"{self.dispute_id} {self.department} {self.due_date:%Y-%m-%d}"


class PersonalDataRequest(models.Model):
    """An owner's request about their personal data (PIPL arts. 44–47), recorded by staff
    from a call, visit or letter; answered within 15 days by the office manager."""

    DAYS_TO_ANSWER = 15

    class Kind(models.TextChoices):
        ACCESS = "access", _("see what is held")
        CORRECT = "correct", _("correct contact data")
        DELETE = "delete", _("delete what is not needed")

    class Received(models.TextChoices):
        CALL = "call", _("phone call")
        VISIT = "visit", _("visit to the office")
        LETTER = "letter", _("letter")
        STATEMENT = "statement", _("statement page")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="data_requests",
        verbose_name=_("household"),
    )
    owner = models.ForeignKey(
        Owner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="data_requests",
        verbose_name=_("owner"),
    )
    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    received_via = models.CharField(_("received by"), max_length=10, choices=Received.choices)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("answer due"))
    words = models.TextField(_("the owner's words"), blank=True)
    # For a correction: the contact data as the owner gives it (name, phone, phone_alt).
    corrections = models.JSONField(_("corrections"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        help_text=_("Empty: the owner sent it from the statement page."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A correction: the owner's history row it made (the value before stays in the row before).
    correction = models.ForeignKey(
        "households.HistoricalOwner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("the change made"),
    )
    # The written answer (the document of what is held, or the letter answering a correction
    # or a deletion), as reviewed and sent by the office manager.
    sent_how = models.CharField(_("how the answer was sent"), max_length=300, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("personal-information request")
        verbose_name_plural = _("personal-information requests")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("received_on")), name="data_request_due_after_receipt"
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(answer=""),
                name="data_request_refusal_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="data_request_open_due")]

    def __str__(self):
        return f"{self.household.unit_code} {self.get_kind_display()}"

    def get_kind_display(self) -> str:
        return choice_label(self.Kind, self.kind)


class PersonalDataErasure(AppendOnlyModel):
    """A record that an owner's contact data was erased (PIPL art. 47): what, when and by
    whom (no one: the retention job). The erased values themselves are not kept anywhere,
    the history rows of the owners included."""

    class Reason(models.TextChoices):
        RETENTION = "retention", _("retention period over")
        REQUEST = "request", _("the owner's request")

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="erasures",
        verbose_name=_("household"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    fields = models.JSONField(_("fields erased"), default=list)
    owners = models.PositiveIntegerField(_("owners"), default=0)
    history_rows = models.PositiveIntegerField(_("history rows erased"), default=0)
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty: the scheduled retention job."),
    )
    request = models.ForeignKey(
        PersonalDataRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="erasures",
        verbose_name=_("request"),
    )

    class Meta:
        verbose_name = _("erasure of personal data")
        verbose_name_plural = _("erasures of personal data")
        ordering = ["-erased_at"]

    def __str__(self):
        return f"{self.household.unit_code} {self.erased_at:%Y-%m-%d}"
