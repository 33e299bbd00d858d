"""Leaderboards and the monthly assessment of a campaign, from database aggregates.

Five queries whatever the number of cases or teams: the teams with their members, the
clearances (with whether a breach preceded each), and net collections grouped by team and
day and by person and day. Everything else is arithmetic in teams.scoring.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import DecimalField, Exists, F, OuterRef, Sum, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from arrears.models import Campaign, Clearance, Payment
from households.models import IS_BREACH, ContactAttempt

from .models import Team
from .scoring import (
    ClearanceFact,
    ScoringPolicy,
    Standing,
    campaign_months,
    counts,
    month_of,
    rank,
    score_campaign,
    score_month,
)

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
WEEK, MONTH, CAMPAIGN = "week", "month", "campaign"


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.datetime
    end: datetime.datetime  # exclusive

    def contains(self, moment: datetime.datetime) -> bool:
        return self.start <= moment < self.end

    def contains_day(self, day: datetime.date) -> bool:
        return timezone.localtime(self.start).date() <= day < _local_date_end(self.end)


def _local_date_end(end: datetime.datetime) -> datetime.date:
    local = timezone.localtime(end)
    return (
        local.date()
        if local.time() == datetime.time.min
        else local.date() + datetime.timedelta(days=1)
    )


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def last_week(now: datetime.datetime) -> Period:
    """Monday to Monday of the week before `now`'s week: what is published on Mondays."""
    today = timezone.localtime(now).date()
    this_monday = today - datetime.timedelta(days=today.weekday())
    return Period(WEEK, _midnight(this_monday - datetime.timedelta(days=7)), _midnight(this_monday))


def period_for(kind: str, campaign: Campaign, now: datetime.datetime) -> Period:
    if kind == WEEK:
        return last_week(now)
    if kind == MONTH:
        first = timezone.localtime(now).date().replace(day=1)
        return Period(MONTH, _midnight(first), now)
    return Period(CAMPAIGN, _midnight(campaign.start_date), now)


@dataclass
class Facts:
    campaign: Campaign
    policy: ScoringPolicy
    teams: list[Team]
    clearances: list[ClearanceFact]
    team_days: dict[tuple[int, datetime.date], Decimal]
    person_days: dict[tuple[int, datetime.date], Decimal]
    members: dict[int, list] = field(default_factory=dict)  # team id → users

    @property
    def team_ids(self) -> list[int]:
        return [t.pk for t in self.teams]


def load_facts(campaign: Campaign) -> Facts:
    teams = list(
        Team.objects.filter(campaign=campaign)
        .prefetch_related("memberships__user__staff_profile")
        .order_by("code")
    )
    breach_before = ContactAttempt.objects.filter(
        case=OuterRef("case"), occurred_at__lte=OuterRef("cleared_at")
    ).filter(IS_BREACH)  # marked when logged, or an exemption the review found a breach
    clearances = [
        ClearanceFact(
            case_id=row["case_id"],
            team_id=row["team_id"],
            cleared_at=row["cleared_at"],
            revoked_at=row["revoked_at"],
            breached_before=row["breached"],
            responsible_id=row["responsible_id"],
        )
        for row in Clearance.objects.filter(case__campaign=campaign)
        .annotate(breached=Exists(breach_before))
        .values("case_id", "team_id", "cleared_at", "revoked_at", "breached", "responsible_id")
    ]
    signed = Switch(
        When(kind=Payment.Kind.REVERSAL, then=-F("amount")), default=F("amount"), output_field=MONEY
    )
    payments = Payment.objects.filter(team__campaign=campaign).annotate(day=TruncDate("paid_at"))
    team_days = {
        (row["team_id"], row["day"]): row["net"]
        for row in payments.values("team_id", "day").annotate(net=Sum(signed)).order_by()
    }
    person_days = {
        (row["credited_to_id"], row["day"]): row["net"]
        for row in payments.filter(credited_to__isnull=False)
        .values("credited_to_id", "day")
        .annotate(net=Sum(signed))
        .order_by()
    }
    return Facts(
        campaign=campaign,
        policy=ScoringPolicy.from_campaign(campaign),
        teams=teams,
        clearances=clearances,
        team_days=team_days,
        person_days=person_days,
        members={t.pk: [m.user for m in t.memberships.all()] for t in teams},
    )


def _points(facts: Facts, period: Period, as_of: datetime.datetime) -> dict[int, int]:
    """Points per member of each team: for a month, that month's; otherwise the campaign's
    months up to `as_of` (what the standings say at the end of the period)."""
    if period.kind == MONTH:
        month = timezone.localtime(period.start).date()
        scores = score_month(
            facts.policy, facts.clearances, team_ids=facts.team_ids, month=month, as_of=as_of
        )
        return {s.team_id: s.points_per_member for s in scores}
    months = campaign_months(facts.campaign.start_date, timezone.localtime(as_of).date())
    totals = score_campaign(
        facts.policy, facts.clearances, team_ids=facts.team_ids, months=months, as_of=as_of
    )
    return {team_id: t.points_per_member for team_id, t in totals.items()}


def _cleared_in(facts: Facts, period: Period, as_of: datetime.datetime, key: str) -> dict:
    result: dict = defaultdict(int)
    for fact in facts.clearances:
        if period.contains(fact.cleared_at) and counts(fact, as_of):
            result[getattr(fact, key)] += 1
    return result


def _collected_in(days: dict, period: Period) -> dict:
    result: dict = defaultdict(lambda: ZERO)
    for (key, day), net in days.items():
        if period.contains_day(day):
            result[key] += net
    return result


@dataclass(frozen=True)
class Row:
    standing: Standing
    team: Team
    change: int | None  # places gained since the previous publication (+ up, − down)
    members: tuple = ()


@dataclass(frozen=True)
class MemberRow:
    user: object
    team: Team
    cleared: int
    collected: Decimal
    points: int


def _team_standings(facts: Facts, period: Period, as_of: datetime.datetime) -> list[Standing]:
    cleared = _cleared_in(facts, period, as_of, "team_id")
    collected = _collected_in(facts.team_days, period)
    points = _points(facts, period, as_of)
    return rank(
        Standing(t.pk, cleared.get(t.pk, 0), collected.get(t.pk, ZERO), points.get(t.pk, 0))
        for t in facts.teams
    )


def leaderboard(facts: Facts, kind: str, *, now: datetime.datetime | None = None) -> list[Row]:
    now = now or timezone.now()
    period = period_for(kind, facts.campaign, now)
    as_of = min(period.end, now)
    standings = _team_standings(facts, period, as_of)
    previous = {}
    if kind == WEEK:
        before = Period(WEEK, period.start - datetime.timedelta(days=7), period.start)
        previous = {s.key: s.rank for s in _team_standings(facts, before, before.end)}
    teams = {t.pk: t for t in facts.teams}
    return [
        Row(
            standing=s,
            team=teams[s.key],
            change=(previous[s.key] - s.rank) if s.key in previous else None,
        )
        for s in standings
    ]


def member_rows(
    facts: Facts, kind: str, *, team_ids=None, now: datetime.datetime | None = None
) -> list[MemberRow]:
    """Per person: what they cleared and collected in the period, and their team's points."""
    now = now or timezone.now()
    period = period_for(kind, facts.campaign, now)
    as_of = min(period.end, now)
    cleared = _cleared_in(facts, period, as_of, "responsible_id")
    collected = _collected_in(facts.person_days, period)
    points = _points(facts, period, as_of)
    rows = []
    for team in facts.teams:
        if team_ids is not None and team.pk not in team_ids:
            continue
        for user in facts.members.get(team.pk, []):
            rows.append(
                MemberRow(
                    user,
                    team,
                    cleared.get(user.pk, 0),
                    collected.get(user.pk, ZERO),
                    points.get(team.pk, 0),
                )
            )
    return sorted(rows, key=lambda r: (-r.points, -r.cleared, -r.collected, r.team.code))


def cumulative_collection(facts: Facts, *, now: datetime.datetime | None = None) -> dict:
    """Chart data: each team's cumulative net collection per day since the campaign began."""
    now = now or timezone.now()
    start = facts.campaign.start_date
    end = min(timezone.localtime(now).date(), facts.campaign.target_date)
    days = (
        [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]
        if end >= start
        else []
    )
    series = []
    for team in facts.teams:
        running, values = ZERO, []
        for day in days:
            running += facts.team_days.get((team.pk, day), ZERO)
            values.append(float(running))
        series.append({"label": str(team), "data": values})
    return {"labels": [d.strftime("%m-%d") for d in days], "series": series}


def monthly_clearances(facts: Facts, *, now: datetime.datetime | None = None) -> dict:
    """Chart data: households cleared per team per month, with the monthly minimum."""
    now = now or timezone.now()
    months = campaign_months(
        facts.campaign.start_date, min(timezone.localdate(now), facts.campaign.target_date)
    )
    series = []
    for team in facts.teams:
        per_month = defaultdict(int)
        for fact in facts.clearances:
            if fact.team_id == team.pk and not fact.breached_before and counts(fact, now):
                per_month[month_of(fact.cleared_at)] += 1
        series.append({"label": str(team), "data": [per_month.get(m, 0) for m in months]})
    return {
        "labels": [m.strftime("%Y-%m") for m in months],
        "series": series,
        "minimum": facts.policy.monthly_minimum,
    }


@dataclass(frozen=True)
class AssessmentRow:
    team: Team
    score: object  # MonthScore
    members: tuple


def assessment(
    facts: Facts, *, now: datetime.datetime | None = None
) -> list[tuple[datetime.date, list[AssessmentRow]]]:
    """Month by month: which teams met the minimum and the points each member gets."""
    now = now or timezone.now()
    months = campaign_months(
        facts.campaign.start_date, min(timezone.localdate(now), facts.campaign.target_date)
    )
    teams = {t.pk: t for t in facts.teams}
    result = []
    for month in reversed(months):
        scores = score_month(
            facts.policy, facts.clearances, team_ids=facts.team_ids, month=month, as_of=now
        )
        result.append(
            (
                month,
                [
                    AssessmentRow(teams[s.team_id], s, tuple(facts.members.get(s.team_id, [])))
                    for s in scores
                ],
            )
        )
    return result


def running_campaign_for(user_office_ids) -> Campaign | None:
    qs = Campaign.objects.filter(status=Campaign.Status.RUNNING)
    if user_office_ids is not None:
        qs = qs.filter(office_id__in=user_office_ids)
    return qs.order_by("-start_date").first()
