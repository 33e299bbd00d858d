from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.cases import SETTABLE_CATEGORIES
from arrears.inputs import MoneyField, SaneDateTimeField
from arrears.models import PaymentMethod


class BootstrapMixin:
    """Bootstrap classes on every widget, large enough to tap on a phone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.Select, forms.RadioSelect)):
                if not isinstance(widget, forms.RadioSelect):
                    widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PaymentForm(BootstrapMixin, forms.Form):
    amount = MoneyField(
        label=_("Amount (¥)"),
        min_value=0.01,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        error_messages={"invalid": _("Enter the amount in yuan, e.g. 1234.50.")},
    )
    paid_at = SaneDateTimeField(
        label=_("Received at"),
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    receipt_no = forms.CharField(
        label=_("Receipt number"),
        max_length=60,
        help_text=_("As printed on the receipt; it must be unique in the office."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    confirm_excess = forms.BooleanField(
        label=_("The amount is more than the household owes: keep the excess as its credit"),
        required=False,
        help_text=_(
            "Credit is set against later months or refunded by the office manager; it is not "
            "counted as arrears collected."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "paid_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)

    def ask_to_confirm_excess(self, excess) -> None:
        """After the service refused an unconfirmed excess: name the sum on the checkbox."""
        label = _("The excess of ¥%(excess)s is kept as the household's credit") % {
            "excess": f"{excess:,.2f}"
        }
        self.fields["confirm_excess"].label = label
        self["confirm_excess"].label = label  # the bound field was made by is_valid()
        self.fields["paid_at"].help_text = _(
            "A date more than %(days)d days back is marked backdated (补录): for scoring it "
            "counts in the month it is entered unless the office manager approves the earlier "
            "month."
        ) % {"days": settings.BACKDATE_DAYS}


class CreditRefundForm(BootstrapMixin, forms.Form):
    amount = MoneyField(
        label=_("Amount refunded (¥)"),
        min_value=0.01,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        error_messages={"invalid": _("Enter the amount in yuan, e.g. 1234.50.")},
    )
    reason = forms.CharField(
        label=_("Why and how is it refunded?"),
        max_length=300,
        help_text=_("E.g. returned by bank transfer at the owner's request, voucher 2026-118."),
    )


class ReversalForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it reversed?"),
        max_length=300,
        help_text=_("E.g. recorded on the wrong household, or entered twice."),
    )


class IssueForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("What blocks collection?"), widget=forms.Textarea(attrs={"rows": 4})
    )


class IssueNoteForm(BootstrapMixin, forms.Form):
    text = forms.CharField(label=_("Discussion note"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(BootstrapMixin, forms.Form):
    decision = forms.CharField(
        label=_("Decision"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was decided and what the collector does next."),
    )


class CategoryForm(BootstrapMixin, forms.Form):
    """The case's debtor category, as the person who found out sets it."""

    category = forms.ChoiceField(
        label=_("Debtor category"),
        choices=[("", "—"), *((c.value, c.label) for c in SETTABLE_CATEGORIES)],
    )
