from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from arrears.admin import ReadOnlyAdmin
from households.models import (
    ContactAttempt,
    ContactPolicy,
    DisputeRoute,
    ExemptionReview,
    Household,
    OnSiteTip,
    Owner,
    WrittenOnlyWithdrawal,
)


class OwnerInline(admin.TabularInline):
    model = Owner
    extra = 0


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = [
        "unit_code",
        "office",
        "building",
        "occupancy",
        "area_m2",
        "written_contact_only",
    ]
    list_filter = ["office", "occupancy", "written_contact_only", "building"]
    search_fields = ["unit_code", "owners__name", "owners__phone"]
    # Set on the case page; lifted only with the owner's written withdrawal (issue 11.2).
    readonly_fields = ["written_contact_only", "written_only_since", "written_only_reason"]
    inlines = [OwnerInline]


@admin.register(Owner)
class OwnerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "household", "relation", "phone"]
    search_fields = ["name", "phone", "household__unit_code"]
    list_select_related = ["household"]


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "household",
        "channel",
        "person_contacted",
        "outcome",
        "made_by",
        "team",
        "breaches",
        "exemptions",
    ]
    list_filter = ["channel", "outcome", "household__office"]
    search_fields = ["household__unit_code", "notes", "next_step"]
    list_select_related = ["household", "made_by", "team"]
    date_hierarchy = "occurred_at"


@admin.register(ExemptionReview)
class ExemptionReviewAdmin(ReadOnlyAdmin):
    list_display = ["reviewed_at", "attempt", "decision", "breaches", "reviewed_by"]
    list_filter = ["decision", "attempt__household__office"]
    list_select_related = ["attempt__household", "reviewed_by"]


@admin.register(ContactPolicy)
class ContactPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["office", "allowed_from", "allowed_until", "calls_per_day", "calls_per_7_days"]


@admin.register(OnSiteTip)
class OnSiteTipAdmin(ReadOnlyAdmin):
    list_display = ["reported_at", "household", "kind", "reported_by"]
    list_filter = ["kind", "household__office"]
    search_fields = ["household__unit_code", "note"]
    list_select_related = ["household", "reported_by"]


@admin.register(WrittenOnlyWithdrawal)
class WrittenOnlyWithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "household", "withdrawn_on", "request_since", "recorded_by"]
    list_select_related = ["household", "recorded_by"]


@admin.register(DisputeRoute)
class DisputeRouteAdmin(SimpleHistoryAdmin):
    """Where an office's service complaints go and how many days each department has; a
    cause with no row uses households.disputes.DEFAULT_ROUTES."""

    list_display = ["office", "cause", "department", "days"]
    list_filter = ["office", "department"]
    list_select_related = ["office"]
