"""The owner's forms on the statement page (issue 17): what a phone can fill in. The rules
are in escalation.statement_actions and escalation.plan_proposals; these forms only read."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from arrears.forms import BootstrapMixin, DateInput
from arrears.inputs import MoneyField, SaneDateField, parse_amount
from households.models import DisputeCause, DisputeKind, PersonalDataRequest

WORDS_LIMIT = 2000
# The owner's own words for each kind, as they would say it.
OWNER_DISPUTE_KINDS = [
    (DisputeKind.MONTHS, _("Some months are wrong")),
    (DisputeKind.AMOUNT, _("I paid this")),
    (DisputeKind.SERVICE, _("I complain about the service")),
]
WORDS_ERRORS = {
    "required": _("Tell us in your own words what is wrong."),
    "max_length": _("Keep it under 2,000 characters: attach a photo for more."),
}


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class MonthField(forms.DateField):
    """A month as YYYY-MM (what <input type=month> sends), read as its first day."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]


class StatementDisputeForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=OWNER_DISPUTE_KINDS,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose what is wrong: some months, a payment, or the service."),
            "invalid_choice": _("Choose what is wrong: some months, a payment, or the service."),
        },
    )
    # Offered as the household's unpaid months; statement_actions checks any posted id again.
    months = forms.MultipleChoiceField(
        label=_("The months you dispute"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "statement-months"}),
        help_text=_("Only if some months are wrong."),
        error_messages={"invalid_choice": _("Choose months from this statement only.")},
    )
    amount = MoneyField(
        label=_("The amount you paid (¥)"),
        help_text=_("Only if you paid: the amount, the receipt number and the day."),
        required=False,
        min_value=Decimal("0.01"),
        error_messages={
            "invalid": _("Enter the amount in yuan, e.g. 1200 or 1200.50."),
            "min_value": _("Enter an amount of more than 0."),
        },
    )
    receipt_number = forms.CharField(label=_("Receipt number"), required=False, max_length=60)
    receipt_date = SaneDateField(label=_("Paid on"), required=False, widget=DateInput())
    cause = forms.ChoiceField(
        label=_("What the complaint is about"),
        help_text=_("Only for a complaint about the service."),
        choices=[("", "—"), *DisputeCause.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose what the complaint is about.")},
    )
    words = forms.CharField(
        label=_("In your words"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=WORDS_LIMIT,
        error_messages=WORDS_ERRORS,
    )
    photo = forms.FileField(
        label=_("Photo or scan (optional)"),
        required=False,
        help_text=_("A receipt, a photo of the problem: JPEG, PNG or PDF, up to 10 MB."),
    )

    def __init__(self, *args, periods, **kwargs):
        kwargs.setdefault("auto_id", "dispute_%s")
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [(str(p.pk), f"{p.month:%Y-%m}") for p in periods]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == DisputeKind.MONTHS and not data.get("months"):
            self.add_error("months", _("Tick the months you dispute."))
        if (
            kind == DisputeKind.AMOUNT
            and data.get("amount") is None
            and "amount" not in self.errors
        ):
            self.add_error("amount", _("Enter the amount you paid, as on your receipt."))
        if kind != DisputeKind.AMOUNT:
            data["amount"] = None
        if kind != DisputeKind.SERVICE:
            data["cause"] = ""
        elif not data.get("cause"):
            self.add_error("cause", _("Choose what the complaint is about."))
        return data


class StatementPlanForm(BootstrapMixin, forms.Form):
    count = forms.IntegerField(
        label=_("How many instalments"),
        required=False,
        # How many is the proposal rule's (escalation.plan_proposals), with its own words.
        error_messages={"invalid": _("Enter the number of instalments, e.g. 6.")},
    )
    first_month = MonthField(
        label=_("First instalment in"),
        error_messages={
            "required": _("Choose the month of the first instalment."),
            "invalid": _("Enter the month as YYYY-MM, e.g. 2026-04."),
        },
    )
    amounts = forms.CharField(
        label=_("Or the amounts, one per month (optional)"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas, e.g. “500, 500, 700”. Empty: the balance split evenly."),
    )
    words = forms.CharField(
        label=_("Anything you would like to add (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=WORDS_LIMIT,
        error_messages=WORDS_ERRORS,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "plan_%s")
        super().__init__(*args, **kwargs)

    def clean_first_month(self):
        day: datetime.date = self.cleaned_data["first_month"]
        return day.replace(day=1)

    def clean_amounts(self):
        text = self.cleaned_data["amounts"]
        amounts = []
        for n, part in enumerate(
            text.replace("，", ",").replace("、", ",").replace(";", ",").split(","), start=1
        ):
            part = part.strip().lstrip("¥￥")
            if not part:
                continue
            try:
                amounts.append(parse_amount(part))
            except ValueError as error:
                raise ValidationError(
                    _("Amount %(n)d: %(problem)s") % {"n": n, "problem": error}
                ) from None
        return amounts


class StatementDataRequestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What would you like?"),
        choices=[
            (PersonalDataRequest.Kind.ACCESS, _("See what the office holds about me")),
            (PersonalDataRequest.Kind.CORRECT, _("Correct my name or phone number")),
            (PersonalDataRequest.Kind.DELETE, _("Delete what is no longer needed")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _(
                "Choose what you would like: to see, correct or delete your information."
            ),
            "invalid_choice": _(
                "Choose what you would like: to see, correct or delete your information."
            ),
        },
    )
    name = forms.CharField(label=_("Name as it should be"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone number as it should be"), required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "data_%s")
        super().__init__(*args, **kwargs)

    words = forms.CharField(
        label=_("Anything you would like to add (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=WORDS_LIMIT,
        error_messages=WORDS_ERRORS,
    )
