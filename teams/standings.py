"""Leaderboards and the monthly assessment of a campaign, from database aggregates.

Seven queries (one more when someone has left a team, one more when there are disputes)
whatever the number of cases, teams or campaigns (`load_facts_of` loads several campaigns in
one pass): the teams with their members, the clearances (with whether a breach preceded each
and whether an upheld dispute's waiver made it), net collections grouped by team and day and
by person and day, the people who left a team (its membership history), the disputes on the
campaigns' households and, when there are some, the campaigns' cases (a month's minimum
counts only undisputed cases: teams.scoring).
Everything else is arithmetic in teams.scoring.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import DateTimeField, Exists, F, OuterRef, Subquery, Sum, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from arrears.backdating import backdated_q, is_backdated, scoring_moment
from arrears.collection import collected
from arrears.models import BackdateApproval, Campaign, Case, Clearance, Payment
from arrears.money import ZERO
from households.models import IS_BREACH, ContactAttempt, Dispute, DisputeEvent
from teams.membership import past_members
from teams.models import Team
from teams.scoring import (
    CaseFact,
    ClearanceFact,
    Cycle,
    ScoringPolicy,
    Standing,
    TeamTotals,
    add_months,
    assessment_cycles,
    campaign_months,
    counts,
    cycle_number,
    month_of,
    rank,
    score_campaign,
    score_cycles,
    score_month,
)

WEEK, MONTH, CYCLE, CAMPAIGN = "week", "month", "cycle", "campaign"


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


def cycle_start(campaign: Campaign, day: datetime.date) -> datetime.date:
    """The first day of the assessment cycle `day` falls in: the campaign's start date for
    the first cycle, the first day of the cycle's first month after it."""
    start = campaign.start_date
    if day < start:
        return start
    length = ScoringPolicy.from_campaign(campaign).cycle_months
    number = cycle_number(day, start=start, length=length)
    return max(start, add_months(start.replace(day=1), (number - 1) * length))


def period_for(kind: str, campaign: Campaign, now: datetime.datetime) -> Period:
    if kind == WEEK:
        return last_week(now)
    if kind == MONTH:
        first = timezone.localtime(now).date().replace(day=1)
        return Period(MONTH, _midnight(first), now)
    if kind == CYCLE:
        return Period(CYCLE, _midnight(cycle_start(campaign, timezone.localtime(now).date())), now)
    return Period(CAMPAIGN, _midnight(campaign.start_date), now)


@dataclass(frozen=True)
class BackdatedClearance:
    """A clearance whose payment was dated more than BACKDATE_DAYS before it was entered."""

    fact: ClearanceFact  # as scored: cleared_at is the moment it counts
    unit: str
    dated_at: datetime.datetime
    entered_at: datetime.datetime
    approved: bool  # the office manager let it count when it is dated

    @property
    def counts_in(self) -> datetime.date:
        return month_of(self.fact.cleared_at)


@dataclass
class Facts:
    campaign: Campaign
    policy: ScoringPolicy
    teams: list[Team]
    clearances: list[ClearanceFact]
    team_days: dict[tuple[int, datetime.date], Decimal]
    person_days: dict[tuple[int, datetime.date], Decimal]
    members: dict[int, list] = field(default_factory=dict)  # team id → users
    # team id → (user, when they left): people removed from the team since the campaign
    # began, so that a report of a window they worked in still credits them.
    past: dict[int, list] = field(default_factory=dict)
    backdated: list["BackdatedClearance"] = field(default_factory=list)
    # The campaign's cases with the disputes on their households (empty without disputes):
    # a month's minimum counts only undisputed cases.
    cases: list[CaseFact] = field(default_factory=list)

    @property
    def team_ids(self) -> list[int]:
        return [t.pk for t in self.teams]


def load_facts(campaign: Campaign) -> Facts:
    return load_facts_of([campaign])[campaign.pk]


def load_facts_of(campaigns) -> dict[int, Facts]:
    """Campaign id → Facts of each campaign, in the same six (or seven) queries for any
    number of campaigns: a workbook or a Monday pack of twenty offices costs what one does."""
    campaigns = list(campaigns)
    ids = [c.pk for c in campaigns]
    teams_of: dict[int, list[Team]] = defaultdict(list)
    for team in (
        Team.objects.filter(campaign_id__in=ids)
        .prefetch_related("memberships__user__staff_profile")
        .order_by("code", "pk")
    ):
        teams_of[team.campaign_id].append(team)
    # A breach voids a clearance unless its attempt was withdrawn by a correcting entry.
    breach_before = (
        ContactAttempt.objects.effective()
        .filter(case=OuterRef("case"), occurred_at__lte=OuterRef("cleared_at"))
        .filter(IS_BREACH)  # marked when logged, or an exemption the review found a breach
    )
    # Cleared by an upheld dispute's waiver (issue 17.3): the case has an approved waiver of
    # a dispute decided before the clearing payment was entered, and that payment paid nothing
    # to arrears (only the waiver's lowering of what was due left nothing owed). The waiver is
    # escalation's (above this app): named through the case's relation, not imported.
    waived_before = Case.objects.filter(
        pk=OuterRef("case"),
        waivers__status="approved",  # escalation.models.Waiver.Status.APPROVED
        waivers__dispute__isnull=False,
        waivers__decided_at__lte=OuterRef("payment__recorded_at"),
    )
    rows = (
        Clearance.objects.filter(case__campaign_id__in=ids)
        .annotate(
            breached=Exists(breach_before),
            approved=Exists(BackdateApproval.objects.filter(payment=OuterRef("payment"))),
            waiver_before=Exists(waived_before),
        )
        .values(
            "case__campaign_id",
            "case_id",
            "team_id",
            "cleared_at",
            "revoked_at",
            "breached",
            "responsible_id",
            "approved",
            "payment__recorded_at",
            "case__household__unit_code",
            "waiver_before",
            "payment__allocated",
        )
        .order_by("pk")
    )
    clearances: dict[int, list] = defaultdict(list)
    backdated: dict[int, list] = defaultdict(list)
    for row in rows:
        campaign_id = row["case__campaign_id"]
        # A clearance counts when its payment is dated, unless the payment was backdated
        # (补录) and the office manager did not approve the earlier month: then it counts
        # when it was entered, and no date typed into a form can reach a closed month.
        dated, entered = row["cleared_at"], row["payment__recorded_at"]
        moment = scoring_moment(dated=dated, recorded=entered, approved=row["approved"])
        fact = ClearanceFact(
            case_id=row["case_id"],
            team_id=row["team_id"],
            cleared_at=moment,
            revoked_at=row["revoked_at"],
            breached_before=row["breached"],
            responsible_id=row["responsible_id"],
            waived=row["waiver_before"] and not row["payment__allocated"],
        )
        clearances[campaign_id].append(fact)
        if is_backdated(dated, entered):
            backdated[campaign_id].append(
                BackdatedClearance(
                    fact=fact,
                    unit=row["case__household__unit_code"],
                    dated_at=dated,
                    entered_at=entered,
                    approved=row["approved"],
                )
            )
    signed = collected()  # what went to debt periods: an excess is credit, not collection
    # Money counts on the day it is dated, or, backdated and not approved, the day it was
    # entered: the same rule as clearances, so a typed date cannot move a team up the board.
    unapproved = backdated_q("paid_at") & ~Exists(
        BackdateApproval.objects.filter(payment=OuterRef("pk"))
    )
    counted_at = Switch(
        When(unapproved, then=F("recorded_at")), default=F("paid_at"), output_field=DateTimeField()
    )
    payments = Payment.objects.filter(team__campaign_id__in=ids).annotate(day=TruncDate(counted_at))
    team_days: dict[int, dict] = defaultdict(dict)
    for row in (
        payments.values("team__campaign_id", "team_id", "day").annotate(net=Sum(signed)).order_by()
    ):
        team_days[row["team__campaign_id"]][row["team_id"], row["day"]] = row["net"]
    person_days: dict[int, dict] = defaultdict(dict)
    for row in (
        payments.filter(credited_to__isnull=False)
        .values("team__campaign_id", "credited_to_id", "day")
        .annotate(net=Sum(signed))
        .order_by()
    ):
        person_days[row["team__campaign_id"]][row["credited_to_id"], row["day"]] = row["net"]
    past = _past_members(teams_of, {c.pk: _midnight(c.start_date) for c in campaigns})
    cases = _case_facts(ids)
    return {
        c.pk: Facts(
            campaign=c,
            policy=ScoringPolicy.from_campaign(c),
            teams=teams_of[c.pk],
            clearances=clearances[c.pk],
            team_days=team_days[c.pk],
            person_days=person_days[c.pk],
            members={t.pk: [m.user for m in t.memberships.all()] for t in teams_of[c.pk]},
            backdated=backdated[c.pk],
            past=past.get(c.pk, {}),
            cases=cases.get(c.pk, []),
        )
        for c in campaigns
    }


def _case_facts(campaign_ids) -> dict[int, list[CaseFact]]:
    """Campaign id → its cases with the disputes on their households, when any of them has a
    dispute (one query for the disputes; one more for the cases when there are some)."""
    answered = (
        DisputeEvent.objects.filter(dispute=OuterRef("pk"), kind=DisputeEvent.Kind.ANSWER_DELIVERED)
        .order_by("happened_at")
        .values("happened_at")[:1]
    )
    spans: dict[int, list] = defaultdict(list)
    for case_id, recorded, answered_at in (
        Dispute.objects.filter(household__cases__campaign_id__in=campaign_ids)
        .annotate(answered_at=Subquery(answered))
        .values_list("household__cases__id", "recorded_at", "answered_at")
        .order_by()
    ):
        spans[case_id].append((recorded, answered_at))
    if not spans:
        return {}
    result: dict[int, list[CaseFact]] = defaultdict(list)
    for case_id, campaign_id, team_id, status in Case.objects.filter(
        campaign_id__in=campaign_ids
    ).values_list("pk", "campaign_id", "team_id", "status"):
        result[campaign_id].append(
            CaseFact(
                case_id=case_id,
                team_id=team_id,
                closed=status == Case.Status.CLOSED,
                disputes=tuple(spans.get(case_id, ())),
            )
        )
    return result


def _past_members(teams_of: dict[int, list[Team]], since: dict) -> dict[int, dict[int, list]]:
    """Campaign id → team id → (user, when they left), for people removed from a team since
    its campaign began. Two queries: the membership history's removals and the people."""
    from django.contrib.auth import get_user_model

    teams = [t for its_teams in teams_of.values() for t in its_teams]
    if not teams:
        return {}
    current = {(t.pk, m.user_id) for t in teams for m in t.memberships.all()}
    campaign_of = {t.pk: t.campaign_id for t in teams}
    gone = [
        p
        for p in past_members([t.pk for t in teams], since=min(since.values()), current=current)
        if p.left_at >= since[campaign_of[p.team_id]]
    ]
    if not gone:
        return {}
    users = (
        get_user_model().objects.select_related("staff_profile").in_bulk({p.user_id for p in gone})
    )
    result: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for p in gone:
        if p.user_id in users:
            result[campaign_of[p.team_id]][p.team_id].append((users[p.user_id], p.left_at))
    return {c: dict(by_team) for c, by_team in result.items()}


def _points(facts: Facts, period: Period, as_of: datetime.datetime) -> dict[int, int]:
    """Points per member of each team: for a month, that month's; for a cycle, its months'
    so far; otherwise the campaign's months up to `as_of` (what the standings say at the end
    of the period)."""
    if period.kind == MONTH:
        month = timezone.localtime(period.start).date()
        scores = score_month(
            facts.policy,
            facts.clearances,
            team_ids=facts.team_ids,
            month=month,
            as_of=as_of,
            cases=facts.cases,
        )
        return {s.team_id: s.points_per_member for s in scores}
    first = timezone.localtime(period.start).date() if period.kind == CYCLE else None
    months = campaign_months(first or facts.campaign.start_date, timezone.localtime(as_of).date())
    totals = score_campaign(
        facts.policy,
        facts.clearances,
        team_ids=facts.team_ids,
        months=months,
        as_of=as_of,
        cases=facts.cases,
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
    left_at: datetime.datetime | None = None  # removed from the team (during the period)


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
        # Someone removed during or after the period was in the team for some of it: what
        # they cleared and collected stays theirs (membership history, issue 12.4).
        for user, left_at in facts.past.get(team.pk, []):
            if left_at >= period.start:
                rows.append(
                    MemberRow(
                        user,
                        team,
                        cleared.get(user.pk, 0),
                        collected.get(user.pk, ZERO),
                        points.get(team.pk, 0),
                        left_at=left_at,
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
    score: object  # a MonthScore, a CycleScore or the campaign's TeamTotals
    members: tuple
    # The team's backdated clearances (补录) that count in this month or are dated in it.
    backdated: tuple = ()


@dataclass(frozen=True)
class CycleAssessment:
    cycle: Cycle
    totals: list[AssessmentRow]  # each team's CycleScore
    months: list[tuple[datetime.date, list[AssessmentRow]]]  # newest first

    @property
    def closed(self) -> bool:
        return all(row.score.closed for row in self.totals)


@dataclass(frozen=True)
class Assessment:
    cycles: list[CycleAssessment]  # newest first
    totals: list[AssessmentRow]  # each team's TeamTotals over the campaign so far


def assessment(facts: Facts, *, now: datetime.datetime | None = None) -> Assessment:
    """Cycle by cycle (the campaign's `assessment_months`), month by month inside each: which
    teams met the minimum and the points each member gets, with each cycle's totals and the
    campaign's."""
    now = now or timezone.now()
    campaign = facts.campaign
    cycles = assessment_cycles(
        campaign.start_date, campaign.target_date, length=facts.policy.cycle_months
    )
    teams = {t.pk: t for t in facts.teams}

    def row(team_id, score, month=None):
        # A month's row lists the team's backdated clearances dated in it or counted in it.
        backdated = ()
        if month is not None:
            backdated = tuple(
                b
                for b in facts.backdated
                if b.fact.team_id == team_id and month in (b.counts_in, month_of(b.dated_at))
            )
        return AssessmentRow(
            teams[team_id], score, tuple(facts.members.get(team_id, [])), backdated
        )

    result, campaign_months_by_team = [], {t: [] for t in facts.team_ids}
    for cycle, scores in score_cycles(
        facts.policy,
        facts.clearances,
        team_ids=facts.team_ids,
        cycles=cycles,
        as_of=now,
        cases=facts.cases,
    ):
        months = []
        for index in reversed(range(len(scores[0].months) if scores else 0)):
            month_scores = [s.months[index] for s in scores]
            month = month_scores[0].month
            months.append((month, [row(m.team_id, m, month) for m in month_scores]))
        for score in scores:
            campaign_months_by_team[score.team_id].extend(score.months)
        result.append(CycleAssessment(cycle, [row(s.team_id, s) for s in scores], months))
    totals = [
        row(
            team_id,
            TeamTotals(
                team_id=team_id,
                cleared=sum(m.cleared for m in months),
                points_per_member=sum(m.points_per_member for m in months),
                months=tuple(months),
            ),
        )
        for team_id, months in campaign_months_by_team.items()
    ]
    return Assessment(cycles=list(reversed(result)), totals=totals)
