"""The plan's scoring rules as plain functions (DESIGN.md §4). Every number is a setting.

Each team must clear at least `monthly_minimum` households a month. Reaching it gives every
member `points_at_minimum`; each household beyond it `points_per_extra` more; a team below it
loses `penalty_per_missing` per member for each missing household — but only once the month
is over: during the month a team below the minimum simply has not earned anything yet.

What counts is a *clearance*: the moment a case became fully paid, credited to the team that
held the case then. A clearance does not count when
- it was revoked (the payment that cleared the case was reversed) by the time of scoring:
  only confirmed payments earn;
- a contact attempt on that case broke the contact policy before it was cleared: contact
  that breaks the rules never earns anything.
Months are calendar months in the office's time zone (Asia/Shanghai): a case cleared at
23:59 on the last day of a month counts for that month.
"""

import datetime
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class ScoringPolicy:
    monthly_minimum: int = 1
    points_at_minimum: int = 20
    points_per_extra: int = 20
    penalty_per_missing: int = 20

    @classmethod
    def from_campaign(cls, campaign) -> "ScoringPolicy":
        return cls(
            monthly_minimum=campaign.monthly_minimum,
            points_at_minimum=campaign.points_at_minimum,
            points_per_extra=campaign.points_per_extra,
            penalty_per_missing=campaign.penalty_per_missing,
        )


@dataclass(frozen=True)
class ClearanceFact:
    case_id: int
    team_id: int | None
    cleared_at: datetime.datetime
    revoked_at: datetime.datetime | None = None
    breached_before: bool = False  # a policy breach on the case before it was cleared
    responsible_id: int | None = None


@dataclass(frozen=True)
class MonthScore:
    team_id: int
    month: datetime.date  # first day
    cleared: int  # clearances that count
    excluded: int  # clearances that do not count (breach before clearing)
    minimum: int
    closed: bool  # the month is over at the time of scoring
    points_per_member: int

    @property
    def met(self) -> bool:
        return self.cleared >= self.minimum

    @property
    def missing(self) -> int:
        return max(self.minimum - self.cleared, 0)

    @property
    def extra(self) -> int:
        return max(self.cleared - self.minimum, 0)


@dataclass(frozen=True)
class TeamTotals:
    team_id: int
    cleared: int = 0
    points_per_member: int = 0
    months: tuple[MonthScore, ...] = field(default_factory=tuple)


def _zone() -> datetime.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime.datetime, tz: datetime.tzinfo | None = None) -> datetime.date:
    """The first day of the local calendar month `moment` falls in."""
    if moment.tzinfo is None:
        raise ValueError("scoring needs timezone-aware datetimes")
    return moment.astimezone(tz or _zone()).date().replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_end(month: datetime.date, tz: datetime.tzinfo | None = None) -> datetime.datetime:
    """The first moment of the following month, local time: the month is over from then."""
    return datetime.datetime.combine(next_month(month), datetime.time.min, tzinfo=tz or _zone())


def counts(fact: ClearanceFact, as_of: datetime.datetime) -> bool:
    """Whether a clearance earns, judged at `as_of`."""
    if fact.cleared_at > as_of or fact.breached_before:
        return False
    return fact.revoked_at is None or fact.revoked_at > as_of


def points_for(policy: ScoringPolicy, cleared: int, *, closed: bool) -> int:
    """Points for each member of a team that cleared `cleared` households in a month."""
    if cleared >= policy.monthly_minimum:
        return (
            policy.points_at_minimum + (cleared - policy.monthly_minimum) * policy.points_per_extra
        )
    if not closed:
        return 0
    return -(policy.monthly_minimum - cleared) * policy.penalty_per_missing


def score_month(
    policy: ScoringPolicy,
    clearances: Iterable[ClearanceFact],
    *,
    team_ids: Sequence[int],
    month: datetime.date,
    as_of: datetime.datetime,
    tz: datetime.tzinfo | None = None,
) -> list[MonthScore]:
    """Each team's score for one calendar month, as known at `as_of`."""
    tz = tz or _zone()
    month = month.replace(day=1)
    closed = as_of >= month_end(month, tz)
    cleared = dict.fromkeys(team_ids, 0)
    excluded = dict.fromkeys(team_ids, 0)
    for fact in clearances:
        if fact.team_id not in cleared or month_of(fact.cleared_at, tz) != month:
            continue
        if fact.cleared_at > as_of or (fact.revoked_at is not None and fact.revoked_at <= as_of):
            continue
        if fact.breached_before:
            excluded[fact.team_id] += 1
        else:
            cleared[fact.team_id] += 1
    return [
        MonthScore(
            team_id=team_id,
            month=month,
            cleared=cleared[team_id],
            excluded=excluded[team_id],
            minimum=policy.monthly_minimum,
            closed=closed,
            points_per_member=points_for(policy, cleared[team_id], closed=closed),
        )
        for team_id in team_ids
    ]


def campaign_months(start: datetime.date, until: datetime.date) -> list[datetime.date]:
    """The calendar months from the campaign's start to `until`, both included."""
    months, month = [], start.replace(day=1)
    while month <= until.replace(day=1):
        months.append(month)
        month = next_month(month)
    return months


def score_campaign(
    policy: ScoringPolicy,
    clearances: Sequence[ClearanceFact],
    *,
    team_ids: Sequence[int],
    months: Sequence[datetime.date],
    as_of: datetime.datetime,
    tz: datetime.tzinfo | None = None,
) -> dict[int, TeamTotals]:
    """Totals per team over several months (points summed month by month)."""
    per_team: dict[int, list[MonthScore]] = {t: [] for t in team_ids}
    for month in months:
        for score in score_month(
            policy, clearances, team_ids=team_ids, month=month, as_of=as_of, tz=tz
        ):
            per_team[score.team_id].append(score)
    return {
        team_id: TeamTotals(
            team_id=team_id,
            cleared=sum(s.cleared for s in scores),
            points_per_member=sum(s.points_per_member for s in scores),
            months=tuple(scores),
        )
        for team_id, scores in per_team.items()
    }


@dataclass(frozen=True)
class Standing:
    key: int  # a team or a person
    cleared: int
    collected: object  # Decimal
    points: int
    rank: int = 0


def rank(rows: Iterable[Standing]) -> list[Standing]:
    """Order by points, then households cleared, then amount collected; equal rows share a
    rank (1, 2, 2, 4)."""
    ordered = sorted(rows, key=lambda r: (-r.points, -r.cleared, -r.collected, r.key))
    ranked, previous, position = [], None, 0
    for index, row in enumerate(ordered, start=1):
        signature = (row.points, row.cleared, row.collected)
        if signature != previous:
            position, previous = index, signature
        ranked.append(Standing(row.key, row.cleared, row.collected, row.points, position))
    return ranked
