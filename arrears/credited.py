"""Who gets the credit for a piece of work: the team that held the case when it was done.

Every record of work keeps its team from the moment it was recorded: payments (`team`,
`credited_to`), clearances (`team`, `responsible`), contact attempts (`team`, `made_by`),
promises (`team`, `recorded_by`) and difficult issues (`team`, `raised_by`). Moving a case to
another team later (teams.assignment) moves none of it: reports and leaderboards count each
record under its own team. A correcting entry (ContactAttempt.corrects) is credited to the
team of the attempt it withdraws.

Where a report needs the case itself as it stood at a past moment (its team, responsible
person, status at the end of last week), `case_team_at` and `cases_as_of` read the case's
history (simple_history's HistoricalCase), falling back to the case as it is now when it has
no history before that moment (cases written in bulk keep none).

`backfill_attempts` and `backfill_promises_and_issues` fill the team of records written before
they kept one (migrations households 0005 and arrears 0008), from the same history at each
record's own time (a move recorded at the very same instant counts as made already, as it
does for an attempt logged live after it); a record with no case, or whose case had no team
then, keeps none.
"""

import datetime

from django.apps import apps
from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import Exists, OuterRef, Subquery, When

# The case fields a report shows as they stood at a moment (the history keeps them all).
AS_OF_FIELDS = ("team_id", "responsible_id", "status", "category", "planned_date", "plan_note")


def case_team_now(case_id: int | None) -> int | None:
    """The team holding the case now, read from the database (not from a case loaded before a
    manager moved it): what a record written now is credited to."""
    if case_id is None:
        return None
    Case = apps.get_model("arrears", "Case")
    return Case.objects.filter(pk=case_id).values_list("team_id", flat=True).first()


def _history_before(case_ref: str, moment, registry=apps, *, inclusive: bool):
    history = registry.get_model("arrears", "HistoricalCase").objects.filter(id=OuterRef(case_ref))
    when = (
        history.filter(history_date__lte=moment)
        if inclusive
        else history.filter(history_date__lt=moment)
    )
    return when.order_by("-history_date", "-history_id")


def case_team_at(
    case_ref: str, moment, registry=apps, *, inclusive: bool = False, field: str = "team_id"
):
    """An expression: the team (or another `field`) of the case `case_ref` (a field path of
    the outer row, such as "case_id" or "plan__case_id") as it stood just before `moment` (a
    datetime, or an OuterRef of the outer row; at `moment` too when `inclusive`); the case's
    value now when the history holds nothing that early: the earliest record it holds (the
    case written with a record's date before its own, as a generated region is), else the case
    as it is (a case written in bulk, with no history at all)."""
    before = _history_before(case_ref, moment, registry, inclusive=inclusive)
    earliest = (
        registry.get_model("arrears", "HistoricalCase")
        .objects.filter(id=OuterRef(case_ref))
        .order_by("history_date", "history_id")
    )
    current = (
        registry.get_model("arrears", "Case")
        .objects.filter(pk=OuterRef(case_ref))
        .values(field)[:1]
    )
    return Switch(
        When(Exists(before), then=Subquery(before.values(field)[:1])),
        When(Exists(earliest), then=Subquery(earliest.values(field)[:1])),
        default=Subquery(current),
    )


def changed_since(cases, moment: datetime.datetime):
    """The ids (a subquery) of `cases` whose history has a record at or after `moment`."""
    History = apps.get_model("arrears", "HistoricalCase")
    return History.objects.filter(history_date__gte=moment, id__in=cases.values("pk")).values("id")


def cases_as_of(cases, moment: datetime.datetime) -> tuple[dict[int, dict], set[int]]:
    """What of `cases` (a queryset) changed at or after `moment`: (case id → its AS_OF_FIELDS
    as they stood just before `moment`, ids of cases that did not exist yet).

    Two queries over the history written since `moment`, so a report of last week reads only
    the cases that changed since; every other case stands as it is now."""
    History = apps.get_model("arrears", "HistoricalCase")
    changed = changed_since(cases, moment)
    then: dict[int, dict] = {}
    rows = (
        History.objects.filter(id__in=changed, history_date__lt=moment)
        .order_by("id", "history_date", "history_id")
        .values("id", "history_type", *AS_OF_FIELDS)
    )
    for row in rows.iterator(chunk_size=2000):
        if row.pop("history_type") == "-":
            then.pop(row["id"], None)
        else:
            then[row.pop("id")] = row
    later = set(changed.filter(history_type="+").values_list("id", flat=True))
    return then, {pk for pk in later if pk not in then}


# --- filling the records written before they kept their team ------------------------------


def _fill(model, case_field: str, moment_field: str, registry) -> None:
    """Set the team of every row of `model` that has none but has a case: the case's team at
    the row's own time (its history up to and including that moment), else its team now."""
    rows = model.objects.filter(team__isnull=True, **{f"{case_field}__isnull": False})
    rows.update(team_id=case_team_at(case_field, OuterRef(moment_field), registry, inclusive=True))


def backfill_attempts(registry=apps, schema_editor=None) -> None:
    """Migration households 0005: every attempt's team at the time it was recorded; then each
    correcting entry takes the team of the attempt it corrects (oldest first, so a
    correction of a correction follows the original)."""
    Attempt = registry.get_model("households", "ContactAttempt")
    _fill(Attempt, "case_id", "recorded_at", registry)
    corrections = Attempt.objects.filter(corrects__isnull=False).order_by("recorded_at", "pk")
    for pk, original in corrections.values_list("pk", "corrects_id"):
        team = Attempt.objects.filter(pk=original).values_list("team_id", flat=True).first()
        Attempt.objects.filter(pk=pk).update(team_id=team)


def backfill_promises_and_issues(registry=apps, schema_editor=None) -> None:
    """Migration arrears 0008: each promise takes its attempt's team where it has one (its
    case's team when it was recorded otherwise); each issue its case's team when raised."""
    Promise = registry.get_model("arrears", "PromiseToPay")
    Attempt = registry.get_model("households", "ContactAttempt")
    Promise.objects.filter(team__isnull=True, attempt__isnull=False).update(
        team_id=Subquery(Attempt.objects.filter(pk=OuterRef("attempt_id")).values("team_id")[:1])
    )
    _fill(Promise, "case_id", "recorded_at", registry)
    Issue = registry.get_model("arrears", "DifficultIssue")
    _fill(Issue, "case_id", "raised_at", registry)
    # The issues' own history (they are edited when resolved) names the same team.
    registry.get_model("arrears", "HistoricalDifficultIssue").objects.filter(
        team__isnull=True
    ).update(team_id=Subquery(Issue.objects.filter(pk=OuterRef("id")).values("team_id")[:1]))
