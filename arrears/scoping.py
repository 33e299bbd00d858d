"""What each user may see: the one scoping layer every view and export goes through.

Views never filter by office or team themselves; they start from these querysets, so a
user who types another office's URL gets 404 from `get_object_or_404(scoped_qs, ...)`.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from arrears.models import Campaign, Case, DifficultIssue, Office, Payment, Role, Summary
from arrears.roles import role_of
from households.models import ContactAttempt, Household, OnSiteTip
from teams.models import Team

OFFICE_WIDE = {Role.OFFICE_MANAGER, Role.OPERATIONS_MANAGER, Role.REGIONAL_DIRECTOR}
TEAM_BOUND = {Role.COLLECTOR, Role.TEAM_LEADER}


@dataclass(frozen=True)
class Scope:
    role: str | None
    office_ids: frozenset[int] | None  # None: every office
    user_id: int | None = None

    @property
    def everything(self) -> bool:
        return self.office_ids is None

    @property
    def team_bound(self) -> bool:
        return self.role in TEAM_BOUND

    @property
    def sees_cases(self) -> bool:
        return self.role is not None and self.role != Role.SITE_STAFF


NOTHING = Scope(role=None, office_ids=frozenset())


def scope_of(user) -> Scope:
    """The scope of a user, computed once per request object."""
    if not user.is_authenticated:
        return NOTHING
    cached = getattr(user, "_arrears_scope", None)
    if cached is not None:
        return cached
    role = role_of(user)
    profile = getattr(user, "staff_profile", None)
    if role == Role.ADMINISTRATOR:
        scope = Scope(role=role, office_ids=None, user_id=user.pk)
    elif role is None or profile is None:
        scope = NOTHING
    elif role == Role.REGIONAL_DIRECTOR:
        ids = Office.objects.filter(region_id=profile.region_id).values_list("pk", flat=True)
        scope = Scope(role=role, office_ids=frozenset(ids), user_id=user.pk)
    elif role == Role.OPERATIONS_MANAGER:
        ids = profile.offices.values_list("pk", flat=True)
        scope = Scope(role=role, office_ids=frozenset(ids), user_id=user.pk)
    else:
        ids = {profile.office_id} if profile.office_id else set()
        scope = Scope(role=role, office_ids=frozenset(ids), user_id=user.pk)
    user._arrears_scope = scope
    return scope


def _in_offices(qs: QuerySet, scope: Scope, field: str) -> QuerySet:
    if scope.everything:
        return qs
    return qs.filter(**{f"{field}__in": scope.office_ids})


def offices(user) -> QuerySet[Office]:
    return _in_offices(Office.objects.select_related("region"), scope_of(user), "pk")


def campaigns(user) -> QuerySet[Campaign]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return Campaign.objects.none()
    return _in_offices(Campaign.objects.select_related("office"), scope, "office")


def cases(user) -> QuerySet[Case]:
    """Collectors and leaders: the cases of the teams they are members of now.

    Access comes from current membership only: being named a case's responsible person
    gives none (a person removed from the team, by the team page or the administration,
    loses the team's cases at once, even where her name is still on one)."""
    scope = scope_of(user)
    if not scope.sees_cases:
        return Case.objects.none()
    qs = _in_offices(Case.objects.all(), scope, "campaign__office")
    if scope.team_bound:
        # A subquery, not a join, so rows are never duplicated and aggregates stay right.
        qs = qs.filter(team__in=_my_teams(scope))
    return qs


def _my_teams(scope: Scope) -> QuerySet:
    """The teams the user is a member of now (a membership row exists; history keeps the
    past ones)."""
    return Team.objects.filter(memberships__user_id=scope.user_id).values("pk")


def households(user) -> QuerySet[Household]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return Household.objects.none()
    qs = _in_offices(Household.objects.all(), scope, "office")
    if scope.team_bound:
        qs = qs.filter(pk__in=cases(user).values("household_id"))
    return qs


def teams(user) -> QuerySet[Team]:
    """Everyone in an office sees its teams (the ranking is public inside the office)."""
    scope = scope_of(user)
    if not scope.sees_cases:
        return Team.objects.none()
    return _in_offices(Team.objects.select_related("campaign"), scope, "campaign__office")


def payments(user) -> QuerySet[Payment]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return Payment.objects.none()
    qs = _in_offices(Payment.objects.all(), scope, "office")
    if scope.team_bound:
        qs = qs.filter(household__in=households(user))
    return qs


def contact_attempts(user) -> QuerySet[ContactAttempt]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return ContactAttempt.objects.none()
    qs = _in_offices(ContactAttempt.objects.all(), scope, "household__office")
    if scope.team_bound:
        qs = qs.filter(household__in=households(user))
    return qs


def difficult_issues(user) -> QuerySet[DifficultIssue]:
    return DifficultIssue.objects.filter(case__in=cases(user))


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
    qs = _in_offices(Household.objects.all(), scope, "office")
    return (
        qs.filter(pk__in=open_cases.values("household_id"))
        .order_by("unit_code")
        .values("pk", "unit_code")
    )


def summaries(user) -> QuerySet[Summary]:
    """Team reports for the team's people; team reports, office summaries and the office's
    copy of the Monday pack for the office's managers; team reports and office summaries of
    their offices, the consolidated report and their own copy of the pack for an operations
    manager; everything of the region for its director.

    The Monday pack is stored once per reader's scope (issue 12): a copy holds only the
    offices of its scope, and each reader is shown their own copy only: the office's to its
    office managers, theirs to an operations manager, the region's to its director."""
    scope = scope_of(user)
    qs = Summary.objects.select_related("region", "office", "team")
    if scope.everything:
        return qs
    if scope.role is None or scope.role == Role.SITE_STAFF:
        return qs.none()
    if scope.team_bound:
        my_teams = Team.objects.filter(memberships__user_id=scope.user_id).values("pk")
        return qs.filter(kind=Summary.Kind.DAILY_TEAM, team__in=my_teams)
    daily = Q(kind__in=[Summary.Kind.DAILY_TEAM, Summary.Kind.DAILY_OFFICE])
    in_offices = Q(office_id__in=scope.office_ids)
    if scope.role == Role.OFFICE_MANAGER:
        return qs.filter(in_offices & (daily | Q(kind=Summary.Kind.WEEKLY_PACK)))
    if scope.role == Role.OPERATIONS_MANAGER:
        return qs.filter((in_offices & daily) | Q(recipient_id=scope.user_id))
    # The regional director: everything of the region, and of the pack the region's copy (the
    # offices' and the operations managers' copies are parts of it).
    regions = Office.objects.filter(pk__in=scope.office_ids).values("region_id")
    a_readers_copy = Q(kind=Summary.Kind.WEEKLY_PACK) & (
        Q(office__isnull=False) | Q(recipient__isnull=False)
    )
    return qs.filter(region__in=regions).exclude(a_readers_copy)
