from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from arrears.forms import BootstrapMixin, DateInput, LocalDateTimeInput
from arrears.inputs import MoneyField, SaneDateField, SaneDateTimeField, too_long
from arrears.models import DebtPeriod
from households.contact_policy import (
    DEFAULT_RULES,
    OFFICE_MEETING,
    PAPER_CHANNELS,
    POLICY_LIMIT_BY_FIELD,
)
from households.models import (
    Channel,
    ContactPolicy,
    Department,
    DisputeCause,
    DisputeKind,
    DisputeSource,
    OnSiteTip,
    Outcome,
    PersonContacted,
)

# The form takes any number of staff a person may have brought: too many is recorded as it
# happened and marked as a breach (households.contact_policy), never refused here. The bound
# only keeps typing slips out of the database's small-integer column.
MAX_STAFF_RECORDED = 99

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ButtonRadios(forms.RadioSelect):
    """Radio buttons drawn as big tap targets."""

    template_name = "households/widgets/button_radios.html"


TIP_NOTE_LENGTH = OnSiteTip._meta.get_field("note").max_length
# Filings are recorded in the legal stage (escalation.proceedings), with the court or
# commission, the docket number and the date: the log form does not offer them.
LEGAL_STAGE_CHANNELS = frozenset({Channel.PAYMENT_ORDER, Channel.LAWSUIT, Channel.ARBITRATION})
# The answer to a dispute is issued and recorded as a letter from its dispute, never typed.
ISSUED_ONLY_CHANNELS = frozenset({Channel.DISPUTE_ANSWER})
# What a collector logs: calls, messages, visits, meetings and papers, in that order.
LOG_CHANNELS = [
    (v, label)
    for v, label in Channel.choices
    if v not in LEGAL_STAGE_CHANNELS and v not in ISSUED_ONLY_CHANNELS
]
# The outcomes that need more fields, and those fields (the form opens them when chosen).
OUTCOME_FIELDS = {Outcome.PROMISED: ("promise_amount", "promise_date")}


class LogChannelField(forms.ChoiceField):
    """The channels of the log form; a legal channel posted all the same is refused with
    where it is recorded instead, not with "Select a valid choice"."""

    def validate(self, value):
        if value in LEGAL_STAGE_CHANNELS:
            raise ValidationError(
                _(
                    "Payment orders, lawsuits and arbitration are recorded in the legal stage "
                    "on the case page (section “Legal stage”), with the court or commission "
                    "and the date: choose a call, message, visit, meeting or letter here."
                ),
                code="legal_stage",
            )
        super().validate(value)


class AttemptForm(BootstrapMixin, forms.Form):
    channel = LogChannelField(label=_("Channel"), choices=LOG_CHANNELS, widget=ButtonRadios)
    person_contacted = forms.ChoiceField(
        label=_("Person contacted"),
        choices=PersonContacted.choices,
        initial=PersonContacted.OWNER,
        widget=ButtonRadios,
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, widget=ButtonRadios)
    occurred_at = SaneDateTimeField(
        label=_("When"),
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
        help_text=_("Now, or earlier if you log it afterwards; never later."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=300)
    next_step_date = SaneDateField(label=_("Next step date"), required=False, widget=DateInput())
    at_owners_request = forms.BooleanField(
        label=_("At a time the owner asked for"),
        required=False,
        help_text=_(
            "Moves a contact outside the office's hours, between 07:00 and 22:00 only; it does "
            "not lift the daily limits or the quiet period. The office manager reviews it."
        ),
    )
    owners_request_note = forms.CharField(
        label=_("The owner's request, in their words"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. “请晚上九点半以后打，白天上班” — who asked, when, for what time."),
    )
    owner_walked_in = forms.BooleanField(
        label=_("The owner came to the office on their own"),
        required=False,
        help_text=_(
            "Only for a meeting at the management office the owner started, unasked. Outside "
            "the contact hours it is recorded as an exemption for the office manager's review."
        ),
    )
    delivery = forms.ChoiceField(
        label=_("How the paper reached the person"),
        required=False,
        help_text=_(
            "A paper recorded as delivered counts as handed over in person unless you choose "
            "post or courier."
        ),
        choices=[
            ("", "—"),
            ("in_person", _("handed over in person (keeps to the contact hours)")),
            ("post", _("by post or courier")),
        ],
    )
    callback_at = SaneDateTimeField(
        label=_("Call-back time the owner agreed"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=DATETIME_FORMATS,
    )
    staff_count = forms.IntegerField(
        label=_("Staff on the visit"),
        required=False,
        min_value=1,
        max_value=MAX_STAFF_RECORDED,
        error_messages={
            "min_value": _("Enter how many staff went on the visit, counting yourself: 1 or more."),
            "max_value": _(
                "Enter how many staff went on the visit, at most 99: check the number you typed."
            ),
        },
    )
    message_has_opt_out = forms.BooleanField(
        label=_("The message says how to opt out"), required=False, initial=True
    )
    third_party_told_of_debt = forms.BooleanField(
        label=_("The unrelated person was told about the debt"),
        required=False,
        help_text=_("Only ask an unrelated person to pass on a request to call the office."),
    )
    promise_amount = MoneyField(
        label=_("Promised amount (¥)"),
        required=False,
        min_value=0.01,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    promise_date = SaneDateField(label=_("Promised by"), required=False, widget=DateInput())
    evidence = MultipleFileField(
        label=_("Evidence (photos or PDF, up to 10 MB each)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}),
    )

    def __init__(self, *args, rules=DEFAULT_RULES, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        # The office's numbers, said before saving; enter the real count whatever it was.
        self.fields["staff_count"].help_text = gettext(
            "Visit with at least %(recommended)d staff, so that nobody visits alone: a visit "
            "with fewer is saved with that advice. More than %(max)d staff is saved as a "
            "breach of the contact policy. Enter how many really went."
        ) % {"recommended": rules.visit_staff_recommended, "max": rules.visit_staff_max}

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        if data.get("at_owners_request") and not data.get("owners_request_note", "").strip():
            self.add_error(
                "owners_request_note",
                _(
                    "Quote the owner's request in their words (who asked, when, for what "
                    "time), or untick “At a time the owner asked for”."
                ),
            )
        if data.get("owner_walked_in") and channel != OFFICE_MEETING:
            self.add_error(
                "owner_walked_in",
                _(
                    "Only a meeting at the management office can be one the owner came to on "
                    "their own: choose that channel or untick the box."
                ),
            )
        delivery = data.get("delivery")
        if channel not in PAPER_CHANNELS:
            delivery = ""  # not a paper: the choice does not apply
        elif not delivery and data.get("outcome") == Outcome.DELIVERED:
            # A paper logged here as delivered, without saying it was posted, was handed
            # over: the stricter reading (posted letters are recorded on the letter itself).
            delivery = "in_person"
        data["delivery"] = delivery
        data["delivered_in_person"] = delivery == "in_person"
        if data.get("outcome") == Outcome.PROMISED:
            # Each missing field says so beside itself (a phone shows one at a time).
            for name in OUTCOME_FIELDS[Outcome.PROMISED]:
                if not data.get(name) and name not in self.errors:
                    self.add_error(
                        name, _("Enter the amount and the date the owner promised to pay.")
                    )
        return data


class TipForm(forms.Form):
    """What gate or patrol staff saw at a unit: the note first, then one explicit choice.
    Enter in the note never sends a choice (the note is a text area and no choice is
    preselected); a post without a choice is refused with what to do."""

    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=OnSiteTip.Kind.choices,
        widget=ButtonRadios,
        error_messages={
            "required": _("Choose what you saw (owner seen, moving, …), then tap “Send”."),
            "invalid_choice": _("Choose one of the listed sightings, then tap “Send”."),
        },
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        problem = too_long(note, limit=TIP_NOTE_LENGTH, what=gettext("The note"))
        if problem:
            raise ValidationError(problem, code="too_long")
        return note


class ContactPolicyForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ContactPolicy
        fields = [
            "allowed_from",
            "allowed_until",
            "calls_per_day",
            "calls_per_7_days",
            "quiet_days_after_conversation",
            "messages_per_day",
            "messages_per_7_days",
            "visits_per_7_days",
            "visit_staff_recommended",
            "visit_staff_max",
        ]
        widgets = {
            "allowed_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "allowed_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each number says its default and which way is stricter; ContactPolicy.clean refuses
        # a looser one with the default and the law (the page shows it under the field).
        for name, field in self.fields.items():
            field.help_text = POLICY_LIMIT_BY_FIELD[name].hint()


class WrittenOnlyForm(BootstrapMixin, forms.Form):
    since = SaneDateField(label=_("Asked on"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(label=_("Owner's reason"), max_length=300)


class WrittenOnlyWithdrawalForm(BootstrapMixin, forms.Form):
    withdrawn_on = SaneDateField(
        label=_("Date on the owner's letter"),
        widget=DateInput(),
        error_messages={"required": _("Enter the date the owner signed the withdrawal.")},
    )
    evidence = forms.FileField(
        label=_("Scan or photo of the owner's signed withdrawal"),
        help_text=_("JPEG, PNG or PDF, up to 10 MB."),
        error_messages={
            "required": _("Attach a scan or photo of the owner's signed, dated withdrawal.")
        },
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DisputeForm(BootstrapMixin, forms.Form):
    """Staff record what the owner disputes (issue 17.2); households.disputes checks the rest."""

    kind = forms.ChoiceField(
        label=_("What does the owner dispute?"),
        choices=DisputeKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what the owner disputes: months, an amount or the service.")
        },
    )
    months = forms.ModelMultipleChoiceField(
        label=_("Disputed months"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a service dispute, leave empty when the owner disputes the whole debt."),
        error_messages={
            "invalid_choice": _("Choose months from this household's unpaid ledger only."),
            "invalid_pk_value": _("Choose months from this household's unpaid ledger only."),
        },
    )
    amount = MoneyField(
        label=_("Amount the owner says was paid (¥)"),
        required=False,
        min_value=Decimal("0.01"),
        error_messages={
            "invalid": _("Enter the amount in yuan, e.g. 1200 or 1200.50."),
            "min_value": _("Enter an amount of more than 0."),
        },
    )
    cause = forms.ChoiceField(
        label=_("What the service complaint is about"),
        choices=[("", "—"), *DisputeCause.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose what the service complaint is about.")},
    )
    words = forms.CharField(
        label=_("The owner's words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={
            "required": _("Write down what the owner said, in their words."),
            "max_length": _(
                "Keep the owner's words under 2,000 characters: attach a file for more."
            ),
        },
    )
    source = forms.ChoiceField(
        label=_("Where it came from"),
        choices=[c for c in DisputeSource.choices if c[0] != DisputeSource.STATEMENT],
        error_messages={
            "required": _("Choose where the dispute came from."),
            "invalid_choice": _("Choose where the dispute came from."),
        },
    )
    evidence = forms.FileField(
        label=_("File (optional)"),
        required=False,
        help_text=_(
            "The owner's letter, a receipt, a photo of the problem: JPEG, PNG or PDF, up to 10 MB."
        ),
    )

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].queryset = DebtPeriod.objects.filter(
            household=household, amount_paid__lt=F("amount_due")
        ).order_by("month")
        self.fields["months"].label_from_instance = lambda p: f"{p.month:%Y-%m}"


class DisputeRoutesForm(BootstrapMixin, forms.Form):
    """Where each cause of service complaint goes in the office, and how many days the
    department has (issue 17.2)."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.causes = []
        for row in rows:
            cause = row["cause"]
            self.fields[f"{cause.value}-department"] = forms.ChoiceField(
                label=_("%(cause)s: department") % {"cause": cause.label},
                choices=Department.choices,
                initial=row["department"].value,
                error_messages={"invalid_choice": _("Choose a department for each cause.")},
            )
            self.fields[f"{cause.value}-days"] = forms.IntegerField(
                label=_("%(cause)s: days to fix") % {"cause": cause.label},
                min_value=1,
                max_value=90,
                initial=row["days"],
                error_messages={
                    "required": _("Give each department between 1 and 90 days."),
                    "min_value": _("Give each department between 1 and 90 days."),
                    "max_value": _("Give each department between 1 and 90 days."),
                },
            )
            self.causes.append(
                (cause, self[f"{cause.value}-department"], self[f"{cause.value}-days"], row)
            )

    def routes(self) -> dict:
        data = self.cleaned_data
        return {
            cause.value: (data[f"{cause.value}-department"], data[f"{cause.value}-days"])
            for cause, *_rest in self.causes
        }
