"""The plan's scoring rules as plain functions (DESIGN.md §4). Every number is a setting.

Each team must clear at least `monthly_minimum` households a month. Reaching it gives every
member `points_at_minimum`; each household beyond it `points_per_extra` more; a team below it
loses `penalty_per_missing` per member for each missing household — but only once the month
is over: during the month a team below the minimum simply has not earned anything yet.
A monthly minimum of 0 asks for nothing, so there is nothing to reach: clearing nothing
earns nothing (and costs nothing), and every household cleared earns `points_per_extra`.

Months are grouped into assessment cycles of `cycle_months` (the campaign's
`assessment_months`, 3 in the plan), counted from the campaign's first month: a campaign
that starts on 10 June has the cycle June–August, then September–November. A cycle's
points are the sum of its months' points; the campaign's are the sum of its cycles'.

What counts is a *clearance*: the moment a case became fully paid, credited to the team that
held the case then. A clearance does not count when
- it was revoked (the payment that cleared the case was reversed) by the time of scoring:
  only confirmed payments earn;
- a contact attempt on that case broke the contact policy before it was cleared: contact
  that breaks the rules never earns anything.
- the case was cleared by an upheld dispute's waiver (issue 17.3): the waiver lowered what
  was due until nothing was left, and the payment the clearance names paid nothing to
  arrears (`waived`). Money never collected earns nothing: no clearance, and no amount
  collected (collection is what payments paid to arrears, arrears.collection). A payment that
  pays the rest after a waiver still earns as any payment does.
Months are calendar months in the office's time zone (Asia/Shanghai): a case cleared at
23:59 on the last day of a month counts for that month.

Disputes (issue 17.3): a team is not penalised for a month in which its case was paused by an
open dispute — the minimum counts only undisputed cases. Precisely:
- a case is *paused in a month* when a dispute on its household was open (recorded, its
  written answer not yet delivered) at any moment of that month: from the dispute's
  recorded moment (included) to the answer's delivery (excluded). A dispute recorded at 23:59
  on the month's last day pauses the case for that month; answered at 00:01 on the next
  month's first day, for that month too; answered at 00:00 exactly, not. Any moment, not
  "at the month's end": a case paused for three weeks and answered on the 30th still took
  those weeks from the team, and the minimum is judged on the month as a whole.
  Weeks have no minimum (the weekly leaderboard shows clearances, collection and the points
  of the months so far), so a pause counts per month only.
- a team's minimum for a month is then the campaign's minimum, but never more than the
  team's undisputed cases still to clear: its cases (as assigned when scored) not closed and
  not cleared before the month began, less those paused in it. A team of two cases with
  one paused still owes 1 household (the other one); a team whose every case left to clear
  was paused owes none and loses nothing. Without a paused case the minimum stands as set.
"""

import datetime
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.conf import settings


@dataclass(frozen=True)
class ScoringPolicy:
    monthly_minimum: int = 1
    points_at_minimum: int = 20
    points_per_extra: int = 20
    penalty_per_missing: int = 20
    cycle_months: int = 3

    @classmethod
    def from_campaign(cls, campaign) -> "ScoringPolicy":
        return cls(
            monthly_minimum=campaign.monthly_minimum,
            points_at_minimum=campaign.points_at_minimum,
            points_per_extra=campaign.points_per_extra,
            penalty_per_missing=campaign.penalty_per_missing,
            # A cycle of 0 months cannot be: each month is then its own cycle.
            cycle_months=max(campaign.assessment_months, 1),
        )


@dataclass(frozen=True)
class ClearanceFact:
    case_id: int
    team_id: int | None
    cleared_at: datetime.datetime
    revoked_at: datetime.datetime | None = None
    breached_before: bool = False  # a policy breach on the case before it was cleared
    responsible_id: int | None = None
    waived: bool = False  # cleared by an upheld dispute's waiver, not by money


@dataclass(frozen=True)
class CaseFact:
    """A case for the minimum: its team now, whether it is closed, and when disputes on its
    household were open ((recorded, answered or None), the answer excluded)."""

    case_id: int
    team_id: int | None
    closed: bool = False
    disputes: tuple[tuple[datetime.datetime, datetime.datetime | None], ...] = ()

    def paused_during(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        """A dispute was open at some moment of [start, end)."""
        return any(
            recorded < end and (answered is None or answered > start)
            for recorded, answered in self.disputes
        )


@dataclass(frozen=True)
class MonthScore:
    team_id: int
    month: datetime.date  # first day
    cleared: int  # clearances that count
    excluded: int  # clearances that do not count (breach before clearing)
    minimum: int
    closed: bool  # the month is over at the time of scoring
    points_per_member: int
    paused: int = 0  # the team's cases left to clear that an open dispute paused this month

    @property
    def met(self) -> bool:
        return self.cleared >= self.minimum

    @property
    def has_minimum(self) -> bool:
        """A minimum of 0 asks for nothing: there is nothing to meet or miss."""
        return self.minimum > 0

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
    if fact.cleared_at > as_of or fact.breached_before or fact.waived:
        return False
    return fact.revoked_at is None or fact.revoked_at > as_of


def points_for(policy: ScoringPolicy, cleared: int, *, closed: bool) -> int:
    """Points for each member of a team that cleared `cleared` households in a month."""
    if policy.monthly_minimum == 0:
        # Nothing to reach, so no reward for reaching it: each household is an extra one.
        return cleared * policy.points_per_extra
    if cleared >= policy.monthly_minimum:
        return (
            policy.points_at_minimum + (cleared - policy.monthly_minimum) * policy.points_per_extra
        )
    if not closed:
        return 0
    return -(policy.monthly_minimum - cleared) * policy.penalty_per_missing


def month_start(month: datetime.date, tz: datetime.tzinfo | None = None) -> datetime.datetime:
    return datetime.datetime.combine(month.replace(day=1), datetime.time.min, tzinfo=tz or _zone())


def _cleared_by(case_ids: set[int], clearances: Iterable[ClearanceFact], moment) -> set[int]:
    """The cases among `case_ids` standing cleared at `moment` (a clearance before it, not
    revoked by then; one voided by a breach or a waiver still cleared the case)."""
    return {
        f.case_id
        for f in clearances
        if f.case_id in case_ids
        and f.cleared_at < moment
        and (f.revoked_at is None or f.revoked_at > moment)
    }


def minimums(
    policy: ScoringPolicy,
    cases: Sequence[CaseFact],
    clearances: Sequence[ClearanceFact],
    *,
    team_ids: Sequence[int],
    month: datetime.date,
    tz: datetime.tzinfo | None = None,
) -> dict[int, tuple[int, int]]:
    """Team id → (the month's minimum, its cases paused in the month): the campaign's
    minimum, never more than the team's undisputed cases left to clear (module docstring)."""
    tz = tz or _zone()
    start, end = month_start(month, tz), month_end(month, tz)
    result = dict.fromkeys(team_ids, (policy.monthly_minimum, 0))
    if not any(c.disputes for c in cases):
        return result
    done = _cleared_by({c.case_id for c in cases}, clearances, start)
    left: dict[int, list[CaseFact]] = {}
    for case in cases:
        if case.team_id in result and not case.closed and case.case_id not in done:
            left.setdefault(case.team_id, []).append(case)
    for team_id, its_cases in left.items():
        paused = sum(c.paused_during(start, end) for c in its_cases)
        if paused:
            minimum = min(policy.monthly_minimum, len(its_cases) - paused)
            result[team_id] = (minimum, paused)
    return result


def score_month(
    policy: ScoringPolicy,
    clearances: Iterable[ClearanceFact],
    *,
    team_ids: Sequence[int],
    month: datetime.date,
    as_of: datetime.datetime,
    tz: datetime.tzinfo | None = None,
    cases: Sequence[CaseFact] = (),
) -> list[MonthScore]:
    """Each team's score for one calendar month, as known at `as_of`. `cases` (with their
    disputes) lower a team's minimum for a month its cases were paused in; without them the
    minimum is the campaign's."""
    tz = tz or _zone()
    month = month.replace(day=1)
    clearances = list(clearances)
    closed = as_of >= month_end(month, tz)
    cleared = dict.fromkeys(team_ids, 0)
    excluded = dict.fromkeys(team_ids, 0)
    for fact in clearances:
        if fact.team_id not in cleared or month_of(fact.cleared_at, tz) != month:
            continue
        if fact.cleared_at > as_of or (fact.revoked_at is not None and fact.revoked_at <= as_of):
            continue
        if fact.waived:
            continue  # not collected: neither counted nor a breach
        if fact.breached_before:
            excluded[fact.team_id] += 1
        else:
            cleared[fact.team_id] += 1
    asked = minimums(policy, cases, clearances, team_ids=team_ids, month=month, tz=tz)
    return [
        MonthScore(
            team_id=team_id,
            month=month,
            cleared=cleared[team_id],
            excluded=excluded[team_id],
            minimum=asked[team_id][0],
            closed=closed,
            points_per_member=points_for(
                replace(policy, monthly_minimum=asked[team_id][0]), cleared[team_id], closed=closed
            ),
            paused=asked[team_id][1],
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
    cases: Sequence[CaseFact] = (),
) -> dict[int, TeamTotals]:
    """Totals per team over several months (points summed month by month)."""
    per_team: dict[int, list[MonthScore]] = {t: [] for t in team_ids}
    for month in months:
        for score in score_month(
            policy, clearances, team_ids=team_ids, month=month, as_of=as_of, tz=tz, cases=cases
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


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, month: datetime.date) -> int:
    """How many months `month` is after `first` (0 for the same month)."""
    return (month.year - first.year) * 12 + month.month - first.month


@dataclass(frozen=True)
class Cycle:
    """One assessment cycle: `number` 1 starts in the campaign's first month."""

    number: int
    months: tuple[datetime.date, ...]  # every month of the cycle inside the campaign

    @property
    def first_month(self) -> datetime.date:
        return self.months[0]

    @property
    def last_month(self) -> datetime.date:
        return self.months[-1]


def cycle_number(month: datetime.date, *, start: datetime.date, length: int) -> int:
    """The cycle (1, 2, …) that `month` falls in, for cycles of `length` months from the
    month of `start`. A month before the campaign's first month has no cycle."""
    if length < 1:
        raise ValueError("an assessment cycle has at least one month")
    offset = months_between(start.replace(day=1), month.replace(day=1))
    if offset < 0:
        raise ValueError("the month is before the campaign starts")
    return offset // length + 1


def assessment_cycles(start: datetime.date, end: datetime.date, *, length: int) -> list[Cycle]:
    """The campaign's months from `start` to `end` (both included) in cycles of `length`
    months counted from `start`'s month; the last cycle is shorter when the campaign ends
    inside it."""
    cycles: dict[int, list[datetime.date]] = {}
    for month in campaign_months(start, end):
        cycles.setdefault(cycle_number(month, start=start, length=length), []).append(month)
    return [Cycle(number, tuple(months)) for number, months in cycles.items()]


@dataclass(frozen=True)
class CycleScore:
    """A team's months of one cycle that have begun, and their totals."""

    team_id: int
    cycle: Cycle
    months: tuple[MonthScore, ...]

    @property
    def cleared(self) -> int:
        return sum(s.cleared for s in self.months)

    @property
    def excluded(self) -> int:
        return sum(s.excluded for s in self.months)

    @property
    def points_per_member(self) -> int:
        return sum(s.points_per_member for s in self.months)

    @property
    def closed(self) -> bool:
        """Every month of the cycle is over."""
        return len(self.months) == len(self.cycle.months) and all(s.closed for s in self.months)


def score_cycles(
    policy: ScoringPolicy,
    clearances: Sequence[ClearanceFact],
    *,
    team_ids: Sequence[int],
    cycles: Sequence[Cycle],
    as_of: datetime.datetime,
    tz: datetime.tzinfo | None = None,
    cases: Sequence[CaseFact] = (),
) -> list[tuple[Cycle, list[CycleScore]]]:
    """Each team's score per cycle, for the cycles that have begun at `as_of`: only the
    months that have begun are scored (a month not yet begun is neither met nor missed)."""
    tz = tz or _zone()
    current = month_of(as_of, tz)
    result = []
    for cycle in cycles:
        begun = [m for m in cycle.months if m <= current]
        if not begun:
            continue
        totals = score_campaign(
            policy, clearances, team_ids=team_ids, months=begun, as_of=as_of, tz=tz, cases=cases
        )
        result.append((cycle, [CycleScore(t, cycle, totals[t].months) for t in team_ids]))
    return result


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
