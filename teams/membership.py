"""Who is in a team now, and removing a member so that no case is left in her name.

Access to a team's cases comes from current membership only (arrears.scoping). Removing a
member hands each of her open cases in that team to a current member (or to nobody: the
team leader then takes it), in the same transaction as the removal. Each change is kept
by the case's history exactly like a change made on the case page (who, when, from whom to
whom), and the membership's own history keeps when she was in the team and who removed her.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from arrears.models import Case
from teams.models import TeamMember

DONE_STATUSES = (Case.Status.CLEARED, Case.Status.CLOSED)
REMOVAL_REASON = "removed from the team"  # history_change_reason on the cases it touches


def open_cases_of(membership: TeamMember) -> QuerySet[Case]:
    """The member's open cases in that team: the ones someone else must take over."""
    return (
        Case.objects.filter(team_id=membership.team_id, responsible_id=membership.user_id)
        .exclude(status__in=DONE_STATUSES)
        .order_by("household__unit_code", "pk")
    )


def cases_with_departed_responsible(teams: QuerySet) -> QuerySet[Case]:
    """Open cases of `teams` whose responsible person is not a member of the case's team
    (removed in the administration, or named by an import): to be handed to someone."""
    member = TeamMember.objects.filter(
        team_id=OuterRef("team_id"), user_id=OuterRef("responsible_id")
    )
    return (
        Case.objects.filter(team__in=teams, responsible__isnull=False)
        .exclude(status__in=DONE_STATUSES)
        .exclude(Exists(member))
    )


def responsible_is_member(case: Case) -> bool:
    """False when the case names a responsible person who is not in its team now."""
    if case.responsible_id is None:
        return True
    return TeamMember.objects.filter(team_id=case.team_id, user_id=case.responsible_id).exists()


@dataclass(frozen=True)
class Removal:
    membership_id: int
    reassigned: int  # cases handed to another member
    to_nobody: int  # cases left for the team leader


def team_member_remove(
    *, membership: TeamMember, handovers: dict[int, object | None], by
) -> Removal:
    """Remove `membership` and hand over each of the member's open cases in the team.

    `handovers` maps every open case id (see `open_cases_of`) to a current member of the
    team other than the one leaving, or None (nobody: the team leader takes it). A case that
    was given to her after the form was shown, or a name that is not a member, refuses the
    whole removal: nothing is saved.
    """
    with transaction.atomic():
        membership = (
            TeamMember.objects.select_for_update()
            .filter(pk=membership.pk)
            .select_related("team")
            .first()
        )
        if membership is None:
            raise ValidationError(
                _("This person is no longer in the team: someone removed them already."),
                code="gone",
            )
        cases = list(open_cases_of(membership).select_for_update())
        if {c.pk for c in cases} != set(handovers):
            raise ValidationError(
                _(
                    "The cases in this person's name changed while you were choosing; "
                    "check the list again and save."
                ),
                code="cases_changed",
            )
        stay = set(
            TeamMember.objects.filter(team_id=membership.team_id)
            .exclude(pk=membership.pk)
            .values_list("user_id", flat=True)
        )
        for person in handovers.values():
            if person is not None and person.pk not in stay:
                raise ValidationError(
                    _(
                        "Choose a member who stays in the team, or nobody (the team leader takes it)."
                    ),
                    code="not_member",
                )
        to_nobody = 0
        for case in cases:
            person = handovers[case.pk]
            case.responsible = person
            to_nobody += person is None
            case._history_user = by
            case._change_reason = REMOVAL_REASON
            case.save(update_fields=["responsible"])
        membership._history_user = by
        membership._change_reason = REMOVAL_REASON
        pk = membership.pk
        membership.delete()
    return Removal(membership_id=pk, reassigned=len(cases) - to_nobody, to_nobody=to_nobody)


@dataclass(frozen=True)
class PastMember:
    user_id: int
    team_id: int
    left_at: object
    removed_by_id: int | None


def past_members(team_ids, *, since, current=None) -> list[PastMember]:
    """Who left these teams at or after `since` and is not back in the same team: reports
    for a window they worked in still credit them. `current` is the set of (team id, user
    id) memberships now, when the caller has them; one query, two without it."""
    if current is None:
        current = set(
            TeamMember.objects.filter(team_id__in=team_ids).values_list("team_id", "user_id")
        )
    removals = (
        TeamMember.history.filter(team_id__in=team_ids, history_type="-", history_date__gte=since)
        .order_by("history_date", "history_id")
        .values_list("team_id", "user_id", "history_date", "history_user_id")
    )
    latest = {}
    for team_id, user_id, when, by_id in removals:
        if (team_id, user_id) not in current:
            latest[team_id, user_id] = PastMember(user_id, team_id, when, by_id)
    return list(latest.values())
