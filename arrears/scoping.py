"""What each user may see: the one scoping layer every view and export goes through.

The core's records are scoped here; `households.scoping` and `teams.scoping` scope their own
records on the same `Scope` (offices, and the teams a collector belongs to).

Views never filter by office or team themselves; they start from these querysets, so a
user who types another office's URL gets 404 from `get_object_or_404(scoped_qs, ...)`.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from arrears.models import Campaign, Case, DifficultIssue, Office, Payment, Role, Summary
from arrears.roles import role_of

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


def in_offices(qs: QuerySet, scope: Scope, field: str) -> QuerySet:
    """`qs` narrowed to the offices of `scope` through `field` (nothing narrowed for all)."""
    if scope.everything:
        return qs
    return qs.filter(**{f"{field}__in": scope.office_ids})


def offices(user) -> QuerySet[Office]:
    return in_offices(Office.objects.select_related("region"), scope_of(user), "pk")


def campaigns(user) -> QuerySet[Campaign]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return Campaign.objects.none()
    return in_offices(Campaign.objects.select_related("office"), scope, "office")


def cases(user) -> QuerySet[Case]:
    """Collectors and leaders: the cases of the teams they are members of now.

    Access comes from current membership only: being named a case's responsible person
    gives none (a person removed from the team, by the team page or the administration,
    loses the team's cases at once, even where her name is still on one)."""
    scope = scope_of(user)
    if not scope.sees_cases:
        return Case.objects.none()
    qs = in_offices(Case.objects.all(), scope, "campaign__office")
    if scope.team_bound:
        # The teams the user is a member of now (a membership row exists; history keeps the
        # past ones). One membership per team and user, so the join never duplicates a case.
        qs = qs.filter(team__memberships__user_id=scope.user_id)
    return qs


def payments(user) -> QuerySet[Payment]:
    scope = scope_of(user)
    if not scope.sees_cases:
        return Payment.objects.none()
    qs = in_offices(Payment.objects.all(), scope, "office")
    if scope.team_bound:
        qs = qs.filter(household__in=cases(user).values("household_id"))
    return qs


def difficult_issues(user) -> QuerySet[DifficultIssue]:
    return DifficultIssue.objects.filter(case__in=cases(user))


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
        return qs.filter(kind=Summary.Kind.DAILY_TEAM, team__memberships__user_id=scope.user_id)
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
