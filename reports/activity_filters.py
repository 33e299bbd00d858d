"""Filters of the payments and contact-attempts lists (the same ones feed their xlsx export)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.inputs import SaneDateFilter
from arrears.models import Payment, PaymentMethod
from households.models import IS_BREACH, Channel, ContactAttempt, Outcome


class _DateRange(django_filters.FilterSet):
    date_from = SaneDateFilter(
        method="on_or_after", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = SaneDateFilter(
        method="on_or_before", label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    moment = ""

    def on_or_after(self, queryset, name, value):
        return queryset.filter(**{f"{self.moment}__date__gte": value})

    def on_or_before(self, queryset, name, value):
        return queryset.filter(**{f"{self.moment}__date__lte": value})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)


class PaymentFilter(_DateRange):
    moment = "paid_at"
    unit = django_filters.CharFilter(
        field_name="household__unit_code", lookup_expr="icontains", label=_("Unit")
    )
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("Method"))
    kind = django_filters.ChoiceFilter(choices=Payment.Kind.choices, label=_("Kind"))
    receipt_no = django_filters.CharFilter(lookup_expr="icontains", label=_("Receipt number"))

    class Meta:
        model = Payment
        fields = []


class AttemptFilter(_DateRange):
    moment = "occurred_at"
    unit = django_filters.CharFilter(
        field_name="household__unit_code", lookup_expr="icontains", label=_("Unit")
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, label=_("Outcome"))
    breaches_only = django_filters.BooleanFilter(
        method="with_breaches", label=_("Breaches only"), widget=forms.CheckboxInput
    )

    class Meta:
        model = ContactAttempt
        fields = []

    def with_breaches(self, queryset, name, value):
        return queryset.filter(IS_BREACH) if value else queryset
