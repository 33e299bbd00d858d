import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.inputs import MoneyFilter
from arrears.ledger import add_months
from arrears.models import Case, DebtorCategory
from arrears.people import person_name
from households.models import Occupancy, Owner

AGEING = [
    ("0-1", _("up to 1 year")),
    ("1-2", _("1–2 years")),
    ("2-3", _("2–3 years")),
    ("3-", _("over 3 years")),
]


AGEING_YEARS = {"0-1": (0, 1), "1-2": (1, 2), "2-3": (2, 3), "3-": (3, None)}


def ageing_q(bucket: str, today: datetime.date) -> Q:
    """Cases whose oldest unpaid month is `low` to `high` years before this month."""
    low, high = AGEING_YEARS[bucket]
    this_month = today.replace(day=1)
    q = Q(oldest_unpaid__isnull=False)
    if low:
        q &= Q(oldest_unpaid__lte=add_months(this_month, -12 * low))
    if high is not None:
        q &= Q(oldest_unpaid__gt=add_months(this_month, -12 * high))
    return q


class CaseFilter(django_filters.FilterSet):
    """Filters of the case list. Choices are limited to what the user may see."""

    q = django_filters.CharFilter(method="search", label=_("Unit or owner"))
    team = django_filters.ModelChoiceFilter(queryset=None, label=_("Team"))
    responsible = django_filters.ModelChoiceFilter(queryset=None, label=_("Responsible"))
    category = django_filters.ChoiceFilter(choices=DebtorCategory.choices, label=_("Category"))
    status = django_filters.ChoiceFilter(choices=Case.Status.choices, label=_("Status"))
    occupancy = django_filters.ChoiceFilter(
        field_name="household__occupancy", choices=Occupancy.choices, label=_("Occupancy")
    )
    building = django_filters.CharFilter(
        field_name="household__building", lookup_expr="iexact", label=_("Building")
    )
    balance_min = MoneyFilter(field_name="balance", lookup_expr="gte", label=_("Balance from (¥)"))
    balance_max = MoneyFilter(field_name="balance", lookup_expr="lte", label=_("Balance up to (¥)"))
    ageing = django_filters.ChoiceFilter(
        choices=AGEING, method="by_ageing", label=_("Oldest unpaid month")
    )
    overdue = django_filters.BooleanFilter(
        method="planned_overdue",
        label=_("Planned date passed"),
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Case
        fields = []

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        teams = teams if teams is not None else self.filters["team"].queryset
        self.filters["team"].queryset = teams
        self.filters["responsible"].queryset = (
            get_user_model()
            .objects.filter(team_memberships__team__in=teams)
            .select_related("staff_profile")
            .distinct()
            .order_by("username")
        )
        self.filters["responsible"].field.label_from_instance = person_name
        for f in self.form.fields.values():
            css = (
                "form-check-input"
                if isinstance(f.widget, forms.CheckboxInput)
                else "form-control form-control-sm"
            )
            if isinstance(f.widget, forms.Select):
                css = "form-select form-select-sm"
            f.widget.attrs.setdefault("class", css)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        owners = Owner.objects.filter(name__icontains=value).values("household_id")
        return queryset.filter(Q(household__unit_code__icontains=value) | Q(household__in=owners))

    def by_ageing(self, queryset, name, value):
        return queryset.filter(ageing_q(value, timezone.localdate()))

    def planned_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(planned_date__lt=timezone.localdate()).exclude(
            status__in=[Case.Status.CLEARED, Case.Status.CLOSED]
        )
