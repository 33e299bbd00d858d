"""Letters, plans and legal actions are written by the services (which log the contact
attempts and keep the ledger right), so the admin only reads them."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from arrears.admin import ReadOnlyAdmin
from escalation.models import Instalment, LegalAction, LegalStep, Letter, PaymentPlan, Waiver


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    pass


@admin.register(Letter)
class LetterAdmin(ReadOnlyHistoryAdmin):
    list_display = ["reference", "case", "kind", "dated", "deadline", "status", "delivered_on"]
    list_filter = ["kind", "status", "method"]
    search_fields = ["reference", "case__household__unit_code", "tracking_number"]
    date_hierarchy = "dated"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


class InstalmentInline(ReadOnlyInline):
    model = Instalment


@admin.register(PaymentPlan)
class PaymentPlanAdmin(ReadOnlyHistoryAdmin):
    list_display = ["case", "agreed_on", "total", "recorded_by"]
    search_fields = ["case__household__unit_code"]
    inlines = [InstalmentInline]


class LegalStepInline(ReadOnlyInline):
    model = LegalStep


@admin.register(LegalAction)
class LegalActionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["case", "route", "stage", "claimed", "awarded", "opened_at"]
    list_filter = ["route", "stage"]
    search_fields = ["case__household__unit_code", "docket_number"]
    inlines = [LegalStepInline]


@admin.register(Waiver)
class WaiverAdmin(ReadOnlyHistoryAdmin):
    list_display = ["case", "basis", "amount", "status", "requested_by", "decided_by"]
    list_filter = ["basis", "status"]
