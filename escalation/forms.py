from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.forms import BootstrapMixin, DateInput
from arrears.inputs import MoneyField, SaneDateField, parse_amount, parse_day
from escalation.letters import KINDS, MIN_DEADLINE_DAYS
from escalation.models import LegalAction, Letter, PlanProposalDecision
from households.forms import MultipleFileField


class IssueLettersForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Letter"), choices=list(KINDS.items()))
    deadline_days = forms.IntegerField(
        label=_("Days to pay (demands)"),
        initial=MIN_DEADLINE_DAYS,
        min_value=MIN_DEADLINE_DAYS,
        max_value=90,
        error_messages={
            "min_value": _("A demand gives at least %(limit_value)s days: enter more."),
            "max_value": _("Give at most %(limit_value)s days."),
        },
    )


class DispatchForm(BootstrapMixin, forms.Form):
    method = forms.ChoiceField(label=_("Sent by"), choices=Letter.Method.choices)
    sent_on = SaneDateField(label=_("Sent on"), widget=DateInput(), initial=timezone.localdate)
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        required=False,
        max_length=60,
        help_text=_("Required for registered mail and EMS: it is the proof of posting."),
    )


class DeliveryForm(BootstrapMixin, forms.Form):
    # Only for a letter not yet sent: handed over in person is sent and delivered at once.
    method = forms.ChoiceField(
        choices=[(Letter.Method.IN_PERSON, Letter.Method.IN_PERSON.label)],
        required=False,
        widget=forms.HiddenInput,
    )
    delivered_on = SaneDateField(
        label=_("Delivered on"), widget=DateInput(), initial=timezone.localdate
    )
    proof = forms.ChoiceField(label=_("Proof"), choices=Letter.Proof.choices)
    proof_detail = forms.CharField(
        label=_("Signed by, or what the tracking record says"), max_length=200
    )
    evidence = MultipleFileField(
        label=_("Scan or photo of the proof"),
        help_text=_(
            "The signed receipt, or the tracking page showing it delivered (JPEG, PNG, PDF)."
        ),
    )

    def __init__(self, *args, letter: Letter, **kwargs):
        super().__init__(*args, **kwargs)
        if letter.status != Letter.Status.ISSUED:
            del self.fields["method"]
        else:
            self.fields["method"].initial = Letter.Method.IN_PERSON
            self.fields["method"].required = True
            self.fields["proof"].choices = [(Letter.Proof.SIGNATURE, Letter.Proof.SIGNATURE.label)]


class ReturnForm(BootstrapMixin, forms.Form):
    returned_on = SaneDateField(
        label=_("Came back on"), widget=DateInput(), initial=timezone.localdate
    )
    return_reason = forms.CharField(label=_("Why"), max_length=200)


class OpenLegalForm(BootstrapMixin, forms.Form):
    route = forms.ChoiceField(label=_("Route"), choices=LegalAction.Route.choices)


class LegalStepForm(BootstrapMixin, forms.Form):
    stage = forms.ChoiceField(label=_("Stage reached"), choices=LegalAction.Stage.choices)
    on = SaneDateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    institution = forms.CharField(label=_("Court or commission"), required=False, max_length=200)
    docket_number = forms.CharField(label=_("Docket number"), required=False, max_length=100)
    court_fees = MoneyField(
        label=_("Court or arbitration fees paid"), required=False, min_value=Decimal(0)
    )
    awarded = MoneyField(
        label=_("Fees awarded or agreed"),
        required=False,
        min_value=Decimal(0),
        help_text=_("For a judgment, order or settlement: the property fees the owner must pay."),
    )
    costs_awarded = MoneyField(
        label=_("Costs the owner must bear"), required=False, min_value=Decimal(0)
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class WaiverDecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: lower the ledger")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


def parse_instalment_lines(text: str) -> list:
    """Instalments written one per line, "YYYY-MM-DD amount"; ValidationError naming the line."""
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.replace(",", " ").replace("，", " ").split()
        if not parts:
            continue
        try:
            if len(parts) != 2:
                raise ValueError(_("write the date as YYYY-MM-DD, a space, then the amount."))
            day, amount = parse_day(parts[0]), parse_amount(parts[1])
        except ValueError as error:
            raise forms.ValidationError(
                _("Line %(n)d: %(problem)s") % {"n": n, "problem": error}
            ) from None
        rows.append((day, amount))
    return rows


class PlanDecisionForm(BootstrapMixin, forms.Form):
    """The office manager's answer to an owner's instalment proposal (issue 17.4)."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=PlanProposalDecision.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose accept, change or decline.")},
    )
    instalments = forms.CharField(
        label=_("Instalments, when changed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-04-30 500\n2026-05-31 500"}),
        help_text=_("One per line: the date (YYYY-MM-DD) and the amount."),
    )
    reason = forms.CharField(
        label=_("Reason (goes into the written answer)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_instalments(self):
        return parse_instalment_lines(self.cleaned_data["instalments"])


class PlanForm(BootstrapMixin, forms.Form):
    agreed_on = SaneDateField(label=_("Agreed on"), widget=DateInput(), initial=timezone.localdate)
    instalments = forms.CharField(
        label=_("Instalments"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-15 500\n2027-01-15 500"}),
        help_text=_("One per line: the date (YYYY-MM-DD) and the amount, e.g. “2026-12-15 500”."),
    )
    signed_copy = forms.FileField(label=_("Signed agreement (scan)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def clean_instalments(self):
        rows = parse_instalment_lines(self.cleaned_data["instalments"])
        if not rows:
            raise forms.ValidationError(_("Enter at least one instalment: a date and an amount."))
        return rows


# --- The office side of a dispute (issue 17.2) ---------------------------------------------


class ReceiptCheckForm(BootstrapMixin, forms.Form):
    found = forms.TypedChoiceField(
        label=_("What did you find?"),
        choices=[
            ("yes", _("A payment matching the receipt was found")),
            ("no", _("No matching payment was found")),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether a matching payment was found.")},
    )
    receipt_number = forms.CharField(label=_("Receipt number"), required=False, max_length=60)
    receipt_date = SaneDateField(label=_("Receipt date"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("What you checked"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the billing system, the bank statement, the cash book."),
    )


class WorkDoneForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("What the department reports"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(BootstrapMixin, forms.Form):
    """The written answer to a dispute: the letter says this in the owner's language (the
    staff write it in Chinese)."""

    found = forms.CharField(
        label=_("What the office found"),
        widget=forms.Textarea(attrs={"rows": 3, "lang": "zh-hans"}),
        error_messages={
            "required": _(
                "Write what the office found (the receipt check, the repair, the records)."
            )
        },
        help_text=_("Printed in the letter to the owner: write it in Chinese, no staff names."),
    )
    proposed = forms.CharField(
        label=_("The outcome the office proposes"),
        widget=forms.Textarea(attrs={"rows": 3, "lang": "zh-hans"}),
        error_messages={
            "required": _(
                "Write the outcome the office proposes (e.g. the months waived, or why not)."
            )
        },
    )


class ResolveDisputeForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("upheld", _("Upheld: waive or correct the disputed amount (your approval follows)")),
            ("rejected", _("Rejected (give the reason)")),
            ("settled", _("Settled (write what was agreed)")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose upheld, rejected or settled."),
            "invalid_choice": _("Choose upheld, rejected or settled."),
        },
    )
    note = forms.CharField(
        label=_("Reason or what was agreed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    amount = MoneyField(
        label=_("Amount to waive (upheld only)"),
        required=False,
        min_value=Decimal("0"),
        help_text=_(
            "Leave empty for the proposed amount; 0 waives nothing (e.g. a repaired leak)."
        ),
        error_messages={"min_value": _("Enter an amount of 0 or more.")},
    )
