"""Households, owners, contact attempts, the office's contact policy and on-site tips."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from arrears.models import AppendOnlyModel


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
        indexes = [models.Index(fields=["household", "occurred_at"])]

    def __str__(self):
        return f"{self.household.unit_code} {self.get_channel_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def is_breach(self):
        return bool(self.breaches)


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


class ContactPolicy(models.Model):
    """An office's contact limits (DESIGN.md §5.3); defaults are the product's."""

    office = models.OneToOneField(
        "arrears.Office",
        on_delete=models.CASCADE,
        related_name="contact_policy",
        verbose_name=_("office"),
    )
    allowed_from = models.TimeField(_("contact allowed from"), default=datetime.time(8, 0))
    allowed_until = models.TimeField(_("contact allowed until"), default=datetime.time(21, 0))
    calls_per_day = models.PositiveSmallIntegerField(_("calls per day"), default=2)
    calls_per_7_days = models.PositiveSmallIntegerField(_("calls in any 7 days"), default=7)
    quiet_days_after_conversation = models.PositiveSmallIntegerField(
        _("days without collection calls after a conversation"), default=7
    )
    messages_per_day = models.PositiveSmallIntegerField(_("messages per day"), default=1)
    messages_per_7_days = models.PositiveSmallIntegerField(_("messages in any 7 days"), default=3)
    visits_per_7_days = models.PositiveSmallIntegerField(_("visits in any 7 days"), default=1)
    visit_staff_recommended = models.PositiveSmallIntegerField(
        _("staff recommended on a visit"), default=2
    )
    visit_staff_max = models.PositiveSmallIntegerField(_("most staff on a visit"), default=3)
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
        ]

    def __str__(self):
        return str(self.office)


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
