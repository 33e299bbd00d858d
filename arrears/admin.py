from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from arrears import case_figures, payments
from arrears.credit import household_balance
from arrears.inputs import validate_sane_date
from arrears.models import (
    Campaign,
    Case,
    Clearance,
    DebtPeriod,
    DifficultIssue,
    FeeRate,
    Office,
    Payment,
    PaymentAllocation,
    PromiseToPay,
    Region,
    StaffProfile,
)
from arrears.payments import duplicate_receipt_error, excess_unconfirmed_error, payment_record
from arrears.receipts import receipt_key


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: they are read here, and written only by the services."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        # Attempts, promises and tips are logged in the app, where the contact policy runs.
        return False


class KeepsCaseFigures:
    """An admin whose saves and deletions change what cases' kept figures are made of
    (arrears.case_figures): those cases are refreshed in the same transaction."""

    def affected_cases(self, objs):
        raise NotImplementedError

    def _case_ids(self, objs) -> set[int]:
        return set(self.affected_cases(objs).values_list("pk", flat=True))

    def save_model(self, request, obj, form, change):
        before = self._case_ids([obj]) if change else set()
        super().save_model(request, obj, form, change)
        cases = before | self._case_ids([obj])
        case_figures.refresh_cases(Case.objects.filter(pk__in=cases))

    def delete_model(self, request, obj):
        cases = self._case_ids([obj])
        super().delete_model(request, obj)
        case_figures.refresh_cases(Case.objects.filter(pk__in=cases))

    def delete_queryset(self, request, queryset):
        cases = self._case_ids(queryset)
        super().delete_queryset(request, queryset)
        case_figures.refresh_cases(Case.objects.filter(pk__in=cases))


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class FeeRateInline(admin.TabularInline):
    model = FeeRate
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "code", "phone"]
    list_filter = ["region"]
    search_fields = ["name", "code", "address"]
    inlines = [FeeRateInline]


class FeeRateForm(forms.ModelForm):
    class Meta:
        model = FeeRate
        fields = ["office", "rate_per_m2", "effective_from", "note"]

    def clean_effective_from(self):
        value = self.cleaned_data["effective_from"]
        validate_sane_date(value)
        return value


@admin.register(FeeRate)
class FeeRateAdmin(SimpleHistoryAdmin):
    form = FeeRateForm
    list_display = ["office", "rate_per_m2", "effective_from", "note"]
    list_filter = ["office"]


@admin.register(StaffProfile)
class StaffProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "display_name", "office", "region", "phone"]
    list_filter = ["office", "region", "user__groups"]
    search_fields = ["user__username", "display_name", "phone"]
    filter_horizontal = ["offices"]
    autocomplete_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(KeepsCaseFigures, SimpleHistoryAdmin):
    list_display = ["name", "office", "status", "start_date", "target_date", "arrears_through"]
    list_filter = ["status", "office"]
    search_fields = ["name", "office__name"]
    date_hierarchy = "start_date"
    fieldsets = [
        (None, {"fields": ["office", "name", "status", "goal"]}),
        (_("Dates"), {"fields": ["start_date", "target_date", "arrears_from", "arrears_through"]}),
        (
            _("Scoring"),
            {
                "fields": [
                    "assessment_months",
                    "monthly_minimum",
                    "points_at_minimum",
                    "points_per_extra",
                    "penalty_per_missing",
                ]
            },
        ),
    ]

    def affected_cases(self, objs):
        # Its months (arrears_from, arrears_through) bound every case's figures.
        return Case.objects.filter(campaign__in=[o.pk for o in objs])


@admin.register(Case)
class CaseAdmin(KeepsCaseFigures, SimpleHistoryAdmin):
    list_display = [
        "household",
        "campaign",
        "team",
        "responsible",
        "category",
        "status",
        "planned_date",
    ]
    list_filter = ["campaign__office", "campaign", "status", "category", "team"]
    search_fields = ["household__unit_code", "household__owners__name", "reason"]
    list_select_related = ["household", "campaign", "team", "responsible"]
    autocomplete_fields = ["household", "responsible"]
    readonly_fields = ["cleared_at", "created_at"]

    def affected_cases(self, objs):
        return Case.objects.filter(pk__in=[o.pk for o in objs])


@admin.register(DebtPeriod)
class DebtPeriodAdmin(KeepsCaseFigures, SimpleHistoryAdmin):
    list_display = ["household", "month", "amount_due", "amount_paid"]
    list_filter = ["household__office", "month"]
    search_fields = ["household__unit_code"]
    list_select_related = ["household"]
    autocomplete_fields = ["household"]
    # What was paid is the sum of allocations; only payments and reversals change it.
    readonly_fields = ["amount_paid"]
    date_hierarchy = "month"

    def affected_cases(self, objs):
        # Read before a change too: a month moved to another household changes both.
        pks = [o.pk for o in objs]
        return Case.objects.filter(household__debt_periods__in=pks)


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["period", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


class PaymentAddForm(forms.ModelForm):
    confirm_excess = forms.BooleanField(
        label=_("The amount is more than the household owes: keep the excess as its credit"),
        required=False,
    )

    class Meta:
        model = Payment
        fields = ["household", "case", "amount", "paid_at", "method", "receipt_no", "note"]

    def clean_paid_at(self):
        value = self.cleaned_data["paid_at"]
        validate_sane_date(value)  # year 1 or 9999 would overflow when stored
        return value

    def clean(self):
        """What payment_record would refuse, said on the form rather than as an error page."""
        data = super().clean()
        household, amount = data.get("household"), data.get("amount")
        if household is None:
            return data
        key = receipt_key(data.get("receipt_no") or "")
        if (
            key
            and Payment.objects.filter(
                office_id=household.office_id, kind=Payment.Kind.PAYMENT, receipt_key=key
            ).exists()
        ):
            self.add_error(None, duplicate_receipt_error(data["receipt_no"].strip()))
        owed = household_balance(household)
        if amount and amount > owed and not data.get("confirm_excess"):
            self.add_error(None, excess_unconfirmed_error(amount=amount, owed=owed))
        if not self.errors:
            # payment_record's own checks, said on the form: raised from save_model they are a 500.
            try:
                payments._validate(
                    amount=data["amount"], paid_at=data["paid_at"], method=data["method"]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin):
    list_display = [
        "paid_at",
        "household",
        "kind",
        "amount",
        "allocated",
        "method",
        "receipt_no",
        "recorded_by",
    ]
    list_filter = ["office", "kind", "method"]
    search_fields = ["household__unit_code", "receipt_no", "note"]
    list_select_related = ["household", "recorded_by"]
    date_hierarchy = "paid_at"
    autocomplete_fields = ["household", "case"]
    inlines = [PaymentAllocationInline]
    form = PaymentAddForm

    def get_changeform_initial_data(self, request):
        return {"paid_at": timezone.now()}

    def get_inlines(self, request, obj):
        # On the add form there are no allocations yet: payment_record writes them.
        return self.inlines if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in Payment._meta.fields]

    def save_model(self, request, obj, form, change):
        # Allocation and the case's status go through the same service as everywhere else.
        data = form.cleaned_data
        saved = payment_record(
            household=data["household"],
            amount=data["amount"],
            paid_at=data["paid_at"],
            method=data["method"],
            receipt_no=data["receipt_no"],
            case=data["case"],
            note=data["note"],
            by=request.user,
            confirm_excess=data.get("confirm_excess", False),
        )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        """Allocations were written by payment_record."""


@admin.register(Clearance)
class ClearanceAdmin(ReadOnlyAdmin):
    list_display = ["case", "team", "cleared_at", "payment", "revoked_at"]
    list_filter = ["team__campaign", "team"]
    list_select_related = ["case__household", "case__campaign", "team", "payment__household"]


@admin.register(PromiseToPay)
class PromiseToPayAdmin(ReadOnlyAdmin):
    list_display = ["case", "amount", "due_date", "recorded_by", "team", "recorded_at"]
    list_select_related = ["case__household", "case__campaign", "recorded_by", "team"]
    search_fields = ["case__household__unit_code"]


@admin.register(DifficultIssue)
class DifficultIssueAdmin(SimpleHistoryAdmin):
    list_display = ["title", "case", "status", "raised_by", "raised_at", "resolved_at"]
    list_filter = ["status", "case__campaign__office"]
    search_fields = ["title", "description", "case__household__unit_code"]
    list_select_related = ["case__household", "case__campaign", "raised_by"]
    autocomplete_fields = ["case"]
    # The team credited with raising it is set when it is raised (arrears.credited).
    readonly_fields = ["team"]
