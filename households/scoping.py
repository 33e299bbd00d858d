"""What each user may see of households, contact attempts and on-site tips (see arrears.scoping)."""

from django.db.models import QuerySet

from arrears.models import Campaign, Case, Role
from arrears.scoping import cases, in_offices, scope_of
from households.models import ContactAttempt, Dispute, Household, OnSiteTip


def households(user) -> QuerySet[Household]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return Household.objects.none()
    qs = in_offices(Household.objects.all(), scope, "office")
    if scope.team_bound:
        qs = qs.filter(pk__in=cases(user).values("household_id"))
    return qs


def contact_attempts(user) -> QuerySet[ContactAttempt]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return ContactAttempt.objects.none()
    qs = in_offices(ContactAttempt.objects.all(), scope, "household__office")
    if scope.team_bound:
        qs = qs.filter(household__in=households(user))
    return qs


def disputes(user) -> QuerySet[Dispute]:
    """The disputes of the households the user may see (a collector's and a leader's: those
    of their teams' cases)."""
    return Dispute.objects.filter(household__in=households(user))


def tips(user) -> QuerySet[OnSiteTip]:
    """Site staff see the tips they sent; case workers see tips on their households."""
    scope = scope_of(user)
    if scope.role == Role.SITE_STAFF:
        return OnSiteTip.objects.filter(reported_by_id=scope.user_id)
    return OnSiteTip.objects.filter(household__in=households(user))


def target_units(user) -> QuerySet:
    """For gate and patrol staff: the unit codes of households with an open case in a
    running campaign of their office, and nothing else (no names, phones or amounts)."""
    scope = scope_of(user)
    if scope.role not in {Role.SITE_STAFF, Role.ADMINISTRATOR}:
        return Household.objects.none().values("pk", "unit_code")
    open_cases = Case.objects.filter(campaign__status=Campaign.Status.RUNNING).exclude(
        status__in=[Case.Status.CLEARED, Case.Status.CLOSED]
    )
    qs = in_offices(Household.objects.all(), scope, "office")
    return (
        qs.filter(pk__in=open_cases.values("household_id"))
        .order_by("unit_code")
        .values("pk", "unit_code")
    )
