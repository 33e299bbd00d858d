"""The 18:00 team reports, the director's morning brief and the Monday 16:00 meeting pack.

Plain functions over the database (DESIGN.md §3). `day_figures` counts a day's work for every
office and team of a set of offices in five grouped queries, so a report costs the same
whatever the number of cases or teams. The `produce_*` functions store one Summary per kind,
scope and date (producing again replaces it) and tell the people who read it, once. The
Monday pack is stored once per reader's scope (the region's copy for its director, one per
office for its office managers, one per operations manager for the offices in their charge),
each assembled from one-office packs, so no copy can hold an office outside its scope.

Windows: the 18:00 report of a day covers what was *recorded* since the previous cut-off —
from the region's daily time (18:00 unless the region keeps another) the day before to the
same time on the day (`report_window`). Attempts and payments count by when they were entered
(`recorded_at`), not by the date they name, so every attempt and payment falls in exactly one
daily report, however late it is typed in: one dated before the window is listed as "entered
late" (and marked backdated beyond settings.BACKDATE_DAYS). The morning brief reports the same
window as the day's 18:00 reports; the Monday pack the seven windows of the week before. Every
stored summary states its window (`data["window"]`).
"""

import datetime
import json
import logging
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from arrears.backdating import backdated_q, is_backdated
from arrears.collection import collected
from arrears.credited import case_team_at
from arrears.models import (
    Campaign,
    Case,
    Clearance,
    DifficultIssue,
    Office,
    Payment,
    PromiseToPay,
    Region,
    Role,
    SchedulerStart,
    StaffProfile,
    Summary,
)
from arrears.money import ZERO
from arrears.people import person_name
from arrears.selectors import TO_CLASSIFY
from escalation.limitation import EXPIRED
from escalation.limitation_records import near_limit
from escalation.models import Instalment
from escalation.watch import escalation_watch
from households.contact_policy import CONVERSATION_OUTCOMES, OWNER_PERSONS
from households.dispute_figures import dispute_figures, totals_of
from households.models import IS_BREACH, ContactAttempt, Dispute
from summaries.delivery import deliver_all
from summaries.windows import (
    report_window,
    scheduled_times,
    window_data,
)
from teams.models import Team
from teams.standings import WEEK, leaderboard, load_facts_of

log = logging.getLogger(__name__)


@dataclass
class Figures:
    """One day's (or week's) work of a team, an office or a region."""

    attempts: int = 0
    owners_reached: int = 0
    promises_made: int = 0
    promised_amount: Decimal = ZERO
    promises_due: int = 0
    instalments_due: int = 0  # of payment plans, followed like promises
    payments: int = 0
    collected: Decimal = ZERO
    cleared: int = 0
    new_issues: int = 0
    open_issues: int = 0
    breaches: int = 0
    backdated: int = 0  # attempts and payments dated > BACKDATE_DAYS before they were entered
    exemptions: int = 0  # rules set aside (owner's request, call-back, walk-in), for review

    def add(self, other: "Figures") -> "Figures":
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def minus(self, other: "Figures") -> "Figures":
        return Figures(
            **{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)}
        )

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self) if f.name != "open_issues")


def _first_day_from(moment: datetime.datetime) -> datetime.date:
    """The first local date that starts at or after `moment`."""
    local = timezone.localtime(moment)
    if local.time() == datetime.time.min:
        return local.date()
    return local.date() + datetime.timedelta(days=1)


def _add(into: dict, key, **values) -> None:
    figures = into[key]
    for name, value in values.items():
        setattr(figures, name, getattr(figures, name) + (value or 0))


def day_figures(
    start: datetime.datetime, end: datetime.datetime, office_ids
) -> dict[tuple[int, int | None], Figures]:
    """(office id, team id or None) → Figures for [start, end): six queries in all.

    Attempts, payments and clearances count by when they were recorded, so that consecutive
    windows never count one twice nor lose one entered late; promises and instalments are due
    on the dates that begin inside the window (the day itself, for an 18:00 report).

    Each attempt, promise, payment, clearance and issue counts under the team it was
    credited to when recorded (arrears.credited), not the team holding its case now: after
    a re-split the work stays with the team that did it. Instalments of payment plans, which
    record no team, go to the team that held the case at the window's end."""
    office_ids = list(office_ids)
    result: dict = defaultdict(Figures)
    attempts = (
        ContactAttempt.objects.filter(
            recorded_at__gte=start, recorded_at__lt=end, household__office_id__in=office_ids
        )
        .values("household__office_id", "team_id")
        .annotate(
            n=Count("pk"),
            reached=Count(
                "pk",
                filter=Q(person_contacted__in=OWNER_PERSONS, outcome__in=CONVERSATION_OUTCOMES),
            ),
            breaches_n=Count("pk", filter=IS_BREACH),
            backdated_n=Count("pk", filter=backdated_q("occurred_at")),
            exemptions_n=Count("pk", filter=~Q(exemptions=[])),
        )
        .order_by()
    )
    for row in attempts:
        _add(
            result,
            (row["household__office_id"], row["team_id"]),
            attempts=row["n"],
            owners_reached=row["reached"],
            breaches=row["breaches_n"],
            backdated=row["backdated_n"],
            exemptions=row["exemptions_n"],
        )
    made = Q(recorded_at__gte=start, recorded_at__lt=end)
    # Due within the period: one day for the 18:00 report, seven for the Monday pack.
    due = Q(due_date__gte=_first_day_from(start), due_date__lt=_first_day_from(end))
    promises = (
        PromiseToPay.objects.filter(made | due, case__campaign__office_id__in=office_ids)
        .values("case__campaign__office_id", "team_id")
        .annotate(
            made_n=Count("pk", filter=made),
            made_amount=Sum("amount", filter=made),
            due_n=Count("pk", filter=due),
        )
        .order_by()
    )
    for row in promises:
        _add(
            result,
            (row["case__campaign__office_id"], row["team_id"]),
            promises_made=row["made_n"],
            promised_amount=row["made_amount"],
            promises_due=row["due_n"],
        )
    instalments = (
        Instalment.objects.filter(due, plan__case__campaign__office_id__in=office_ids)
        # Instalments are followed by the team that holds the case at the window's end.
        .annotate(held_by=case_team_at("plan__case_id", end))
        .values("plan__case__campaign__office_id", "held_by")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in instalments:
        _add(
            result,
            (row["plan__case__campaign__office_id"], row["held_by"]),
            instalments_due=row["n"],
        )
    signed = collected()  # what went to debt periods: an excess is credit, not collection
    payments = (
        Payment.objects.filter(
            recorded_at__gte=start, recorded_at__lt=end, office_id__in=office_ids
        )
        .values("office_id", "team_id")
        .annotate(
            n=Count("pk", filter=Q(kind=Payment.Kind.PAYMENT)),
            net=Sum(signed),
            backdated_n=Count("pk", filter=Q(kind=Payment.Kind.PAYMENT) & backdated_q("paid_at")),
        )
        .order_by()
    )
    for row in payments:
        _add(
            result,
            (row["office_id"], row["team_id"]),
            payments=row["n"],
            collected=row["net"],
            backdated=row["backdated_n"],
        )
    clearances = (
        Clearance.objects.filter(
            payment__recorded_at__gte=start,
            payment__recorded_at__lt=end,
            revoked_at__isnull=True,
            case__campaign__office_id__in=office_ids,
        )
        .values("case__campaign__office_id", "team_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in clearances:
        _add(result, (row["case__campaign__office_id"], row["team_id"]), cleared=row["n"])
    new = Q(raised_at__gte=start, raised_at__lt=end)
    still_open = Q(raised_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
    issues = (
        DifficultIssue.objects.filter(new | still_open, case__campaign__office_id__in=office_ids)
        .values("case__campaign__office_id", "team_id")
        .annotate(new_n=Count("pk", filter=new), open_n=Count("pk", filter=still_open))
        .order_by()
    )
    for row in issues:
        _add(
            result,
            (row["case__campaign__office_id"], row["team_id"]),
            new_issues=row["new_n"],
            open_issues=row["open_n"],
        )
    return result


def roll_up(figures: dict, key=lambda k: k[0]) -> dict:
    """Sum (office, team) figures by office (or any other key of the pair)."""
    totals: dict = defaultdict(Figures)
    for pair, value in figures.items():
        totals[key(pair)].add(value)
    return totals


def _json(data) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _running_offices(region=None):
    qs = (
        Office.objects.filter(campaigns__status=Campaign.Status.RUNNING)
        .distinct()
        .select_related("region")
    )
    if region is not None:
        qs = qs.filter(region=region)
    return list(qs.order_by("region__name", "name"))


def _day_lists(start, end, office_ids):
    """The window's new difficult issues, breaches and flagged notes, and the attempts and
    payments entered late (dated before the window), for the office summary (three queries)."""
    issues = (
        DifficultIssue.objects.filter(
            raised_at__gte=start, raised_at__lt=end, case__campaign__office_id__in=office_ids
        )
        .select_related("case__household", "case__campaign", "raised_by__staff_profile", "team")
        .order_by("raised_at")
    )
    attempts = list(
        ContactAttempt.objects.filter(
            IS_BREACH | ~Q(flagged_terms=[]) | Q(occurred_at__lt=start),
            recorded_at__gte=start,
            recorded_at__lt=end,
            household__office_id__in=office_ids,
        )
        .select_related("household", "made_by__staff_profile", "exemption_review", "team")
        .order_by("occurred_at", "pk")
    )
    payments = (
        Payment.objects.filter(
            recorded_at__gte=start,
            recorded_at__lt=end,
            paid_at__lt=start,
            office_id__in=office_ids,
        )
        .select_related("household", "recorded_by__staff_profile")
        .order_by("paid_at", "pk")
    )
    breaches = [a for a in attempts if a.all_breaches or a.flagged_terms]
    late = [
        {
            "office": a.household.office_id,
            "kind": "attempt",
            "unit": a.household.unit_code,
            "what": str(a.get_channel_display()),
            "at": timezone.localtime(a.occurred_at),
            "entered": timezone.localtime(a.recorded_at),
            "by": person_name(a.made_by),
            "backdated": is_backdated(a.occurred_at, a.recorded_at),
        }
        for a in attempts
        if a.occurred_at < start
    ] + [
        {
            "office": p.office_id,
            "kind": p.kind,
            "unit": p.household.unit_code,
            "what": f"¥{p.signed_amount:,.2f}",
            "at": timezone.localtime(p.paid_at),
            "entered": timezone.localtime(p.recorded_at),
            "by": person_name(p.recorded_by),
            "backdated": is_backdated(p.paid_at, p.recorded_at),
        }
        for p in payments
    ]
    late.sort(key=lambda e: (e["at"], e["unit"]))
    return list(issues), breaches, late


def _by_window(day: datetime.date, offices: list[Office]) -> dict:
    """(start, end) → the offices whose regions cut off at the same time."""
    windows: dict = defaultdict(list)
    for office in offices:
        windows[report_window(day, office.region)].append(office)
    return windows


def daily_reports(day: datetime.date, offices: list[Office]) -> dict:
    """Everything the 18:00 job stores for `day`: per team, per office, per operations manager
    and region (keyed by (user id, region id)).

    Each office's report covers its region's window (`report_window`): what was recorded from
    the cut-off the day before to the cut-off on `day`. Offices of regions that share a
    cut-off are counted together, so the cost does not grow with the number of offices."""
    office_ids = [o.pk for o in offices]
    figures: dict = {}
    issues, attempts, late = [], [], []
    window_of: dict[int, dict] = {}
    for (start, end), group in _by_window(day, offices).items():
        ids = [o.pk for o in group]
        figures.update(day_figures(start, end, ids))
        more_issues, more_attempts, more_late = _day_lists(start, end, ids)
        issues += more_issues
        attempts += more_attempts
        late += more_late
        for office in group:
            window_of[office.pk] = window_data(start, end)
    by_office = roll_up(figures)
    teams = list(
        Team.objects.filter(
            campaign__office_id__in=office_ids, campaign__status=Campaign.Status.RUNNING
        )
        .select_related("campaign")
        .order_by("code")
    )
    reports = {"team": {}, "office": {}, "operations": {}}
    for team in teams:
        reports["team"][team.pk] = {
            "team": str(team),
            "office": team.campaign.office_id,
            "day": day,
            "window": window_of[team.campaign.office_id],
            "figures": asdict(figures.get((team.campaign.office_id, team.pk), Figures())),
        }
    for office in offices:
        rows = [
            {"team": str(t), "figures": asdict(figures.get((office.pk, t.pk), Figures()))}
            for t in teams
            if t.campaign.office_id == office.pk
        ]
        unassigned = figures.get((office.pk, None))
        if unassigned and not unassigned.is_empty:
            rows.append({"team": "—", "figures": asdict(unassigned)})
        total = by_office.get(office.pk, Figures())
        reports["office"][office.pk] = {
            "office": office.name,
            "day": day,
            "window": window_of[office.pk],
            "teams": rows,
            "totals": asdict(total),
            "empty": total.is_empty,
            "new_issues": [
                {
                    "unit": i.case.household.unit_code,
                    "title": i.title,
                    "by": person_name(i.raised_by),
                    "team": i.team.code if i.team else "",
                }
                for i in issues
                if i.case.campaign.office_id == office.pk
            ],
            "breaches": [
                {
                    "unit": a.household.unit_code,
                    "at": timezone.localtime(a.occurred_at),
                    "by": person_name(a.made_by),
                    "team": a.team.code if a.team else "",
                    "rules": a.all_breaches,
                    "flags": a.flagged_terms,
                    "backdated": is_backdated(a.occurred_at, a.recorded_at),
                }
                for a in attempts
                if a.household.office_id == office.pk
            ],
            "entered_late": [
                {k: v for k, v in e.items() if k != "office"}
                for e in late
                if e["office"] == office.pk
            ],
        }
    overseers = (
        StaffProfile.objects.filter(
            user__groups__name=Role.OPERATIONS_MANAGER, user__is_active=True, offices__in=office_ids
        )
        .prefetch_related("offices")
        .select_related("user")
        .distinct()
    )
    for profile in overseers:
        charge = {x.pk for x in profile.offices.all()}
        # One report per region: a region's director reads the report filed under it, so it
        # holds only that region's offices (a manager may oversee offices of two regions).
        by_region: dict[int, list[Office]] = {}
        for o in offices:
            if o.pk in charge:
                by_region.setdefault(o.region_id, []).append(o)
        for region_id, mine in by_region.items():
            total = Figures()
            for o in mine:
                total.add(by_office.get(o.pk, Figures()))
            reports["operations"][(profile.user_id, region_id)] = {
                "day": day,
                "window": window_of[mine[0].pk],
                "manager": person_name(profile.user),
                "totals": asdict(total),
                "empty": total.is_empty,
                "region_id": region_id,
                "offices": [
                    {
                        "office": o.name,
                        "window": window_of[o.pk],
                        "figures": asdict(by_office.get(o.pk, Figures())),
                    }
                    for o in mine
                ],
            }
    return reports


def morning_brief(day: datetime.date, region: Region) -> dict:
    """The director's brief on `day` (usually yesterday): every office, the region, the change.

    It covers the same window as the day's 18:00 reports, so its figures are theirs summed;
    the change is against the window before."""
    offices = _running_offices(region)
    office_ids = [o.pk for o in offices]
    start, end = report_window(day, region)
    today = roll_up(day_figures(start, end, office_ids))
    before = roll_up(
        day_figures(*report_window(day - datetime.timedelta(days=1), region), office_ids)
    )
    region_today, region_before = Figures(), Figures()
    rows = []
    for office in offices:
        now_f, then_f = today.get(office.pk, Figures()), before.get(office.pk, Figures())
        region_today.add(now_f)
        region_before.add(then_f)
        rows.append(
            {"office": office.name, "figures": asdict(now_f), "change": asdict(now_f.minus(then_f))}
        )
    return {
        "region": region.name,
        "day": day,
        "window": window_data(start, end),
        "offices": rows,
        "totals": asdict(region_today),
        "change": asdict(region_today.minus(region_before)),
        "empty": region_today.is_empty,
    }


def weekly_pack(monday: datetime.date, region: Region, offices=None) -> dict:
    """The Monday 16:00 meeting pack of `offices` (by default every running office of the
    region): the week before `monday` and the week after it.

    A pack is only ever assembled from packs of one office each (`office_packs`), so what it
    holds is exactly what those offices' packs hold: no section can carry another office's
    rows, whatever sections are added later (issue 12)."""
    offices = _running_offices(region) if offices is None else offices
    parts = office_packs(monday, region, offices)
    return pack_merge(monday, region, [parts[o.pk] for o in offices])


# A pack lists the first PACK_TOP rows of each list (per office, then of the offices it
# merges) and counts them all (`counts`): the region's pack stays a page, not every case.
PACK_TOP = 20

# How each list of a merged pack is ordered: the first PACK_TOP rows are the most urgent.
PACK_ORDER = {
    "plans_due": lambda r: (r["date"], r["office"], r["unit"]),
    "overdue": lambda r: (r["date"], r["office"], r["unit"]),
    "open_issues": lambda r: (-r["age_days"], r["office"], r["unit"]),
    "breaches": lambda r: r["at"],
    "limitation": lambda r: (r["limit"], r["office"], r["unit"]),
    "legal_ready": lambda r: r["deadline"],
    "letters_to_chase": lambda r: r["sent_on"],
    "legal_open": lambda r: (r["office"], r["unit"]),
    "waivers_pending": lambda r: (r["office"], r["unit"]),
    "plans_behind": lambda r: (r["office"], r["unit"]),
    "orders_overdue": lambda r: (-r["days"], r["office"], r["unit"]),
}


def _merge(key, values):
    if key == "counts":  # how many rows each list has in all, of every office merged
        names = list(dict.fromkeys(k for v in values for k in v))
        return {k: sum(v.get(k, 0) for v in values) for k in names}
    if all(isinstance(v, dict) for v in values):
        keys = list(dict.fromkeys(k for v in values for k in v))
        return {k: _merge(k, [v[k] for v in values if k in v]) for k in keys}
    if all(isinstance(v, list) for v in values):
        merged = [row for v in values for row in v]
        if key in PACK_ORDER:
            return sorted(merged, key=PACK_ORDER[key])[:PACK_TOP]
        return merged
    return values[0]  # the region's own values (its name, the Monday, the window): all equal


def pack_merge(monday: datetime.date, region: Region, parts: list[dict]) -> dict:
    """The pack of several offices from their own packs: lists joined and ordered, the week's
    figures totalled. No query: each reader's copy reuses the offices' packs."""
    if not parts:
        parts = [_empty_pack(monday, region)]
    pack = _merge("", parts)
    totals = Figures()
    for section in pack["offices"]:
        totals.add(Figures(**section["week"]))
    pack["totals"] = asdict(totals)
    # Open disputes (issue 17.3): each office's row, and the sum of those merged.
    pack["disputes_total"] = totals_of(pack.get("disputes", []))
    return pack


def _pack_week(monday: datetime.date, region: Region):
    """The week the pack looks back on, its seven 18:00 windows, and the meeting's moment."""
    # Last week's figures are its seven 18:00 reports: from the cut-off on the Sunday before
    # last to the cut-off last Sunday.
    week_start = report_window(monday - datetime.timedelta(days=7), region)[0]
    week_end = report_window(monday - datetime.timedelta(days=1), region)[1]
    # Everything is as it stood at the meeting, however late the pack is produced.
    now = timezone.make_aware(datetime.datetime.combine(monday, datetime.time(16, 0)))
    return week_start, week_end, now


def _empty_pack(monday: datetime.date, region: Region) -> dict:
    week_start, week_end, _now = _pack_week(monday, region)
    return {
        "limitation": [],
        "escalation": {name: [] for name in ESCALATION_LISTS},
        "region": region.name,
        "monday": monday,
        "week_from": monday - datetime.timedelta(days=7),
        "week_to": monday - datetime.timedelta(days=1),
        "window": window_data(week_start, week_end),
        "offices": [],
        "plans_due": [],
        "overdue": [],
        "open_issues": [],
        "breaches": [],
        "office_ids": [],
        "counts": {},
        "disputes": [],
        "orders_overdue": [],
    }


ESCALATION_LISTS = (
    "legal_ready",
    "letters_to_chase",
    "legal_open",
    "waivers_pending",
    "plans_behind",
)


def _top(rows: list[dict], name: str) -> list[dict]:
    return sorted(rows, key=PACK_ORDER[name])[:PACK_TOP]


def _ranked(qs, office: str, *order):
    """The first PACK_TOP rows of `qs` per office (`office` names the office's field), in
    `order`: one query for every office."""
    return qs.annotate(
        pack_rank=Window(RowNumber(), partition_by=F(office), order_by=[*order, "pk"])
    ).filter(pack_rank__lte=PACK_TOP)


def _counted(qs, office: str) -> dict[int, int]:
    return {row[office]: row["n"] for row in qs.values(office).annotate(n=Count("pk")).order_by()}


def office_packs(monday: datetime.date, region: Region, offices: list[Office]) -> dict[int, dict]:
    """Office id → that office's part of the Monday pack, for every office in one pass: a
    fixed number of queries whatever the number of offices, and each row goes to the pack
    of its own case's (or household's) office and to no other."""
    office_ids = [o.pk for o in offices]
    week_start, week_end, now = _pack_week(monday, region)
    packs = {o.pk: {**_empty_pack(monday, region), "office_ids": [o.pk]} for o in offices}
    week = roll_up(day_figures(week_start, week_end, office_ids))
    campaigns = list(
        Campaign.objects.filter(office_id__in=office_ids, status=Campaign.Status.RUNNING)
        .select_related("office")
        .order_by("office__name", "pk")
    )
    standing = Q(cleared_at__lt=now) & (Q(revoked_at__isnull=True) | Q(revoked_at__gte=now))
    case_counts = list(
        Case.objects.filter(campaign__in=campaigns)
        .values("campaign__office_id")
        .annotate(cases=Count("pk"), unclassified=Count("pk", filter=TO_CLASSIFY))
        .order_by()
    )
    cases_per_office = {row["campaign__office_id"]: row["cases"] for row in case_counts}
    # Its own category: open cases still to classify (待分类), a task for the meeting.
    unclassified = {row["campaign__office_id"]: row["unclassified"] for row in case_counts}
    cleared_per_office = {
        row["case__campaign__office_id"]: row["cleared"]
        for row in Clearance.objects.filter(standing, case__campaign__in=campaigns)
        .values("case__campaign__office_id")
        .annotate(cleared=Count("case", distinct=True))
        .order_by()
    }
    collected_total = {
        row["office_id"]: row["net"]
        for row in Payment.objects.filter(case__campaign__in=campaigns, paid_at__lt=now)
        .values("office_id")
        .annotate(net=Sum(collected()))
        .order_by()
    }
    facts = load_facts_of(campaigns)
    for campaign in campaigns:
        office = campaign.office
        board = leaderboard(facts[campaign.pk], WEEK, now=now)
        packs[office.pk]["offices"].append(
            {
                "office": office.name,
                "campaign": campaign.name,
                "target_date": campaign.target_date,
                "days_left": (campaign.target_date - monday).days,
                "cases": cases_per_office.get(office.pk, 0),
                "cleared": cleared_per_office.get(office.pk, 0),
                "unclassified": unclassified.get(office.pk, 0),
                "collected_to_date": collected_total.get(office.pk, ZERO),
                "week": asdict(week.get(office.pk, Figures())),
                "leaderboard": [
                    {
                        "rank": r.standing.rank,
                        "team": str(r.team),
                        "cleared": r.standing.cleared,
                        "collected": r.standing.collected,
                        "points": r.standing.points,
                        "change": r.change,
                    }
                    for r in board
                ],
            }
        )
    next_week = monday + datetime.timedelta(days=7)
    cleared_then = Clearance.objects.filter(standing, case=OuterRef("pk"))
    open_cases = (
        Case.objects.filter(campaign__in=campaigns)
        .exclude(status=Case.Status.CLOSED)
        .exclude(Exists(cleared_then))
    )
    lists: dict[str, list[tuple[int, dict]]] = defaultdict(list)  # name → (office id, row)
    counts: dict[str, dict[int, int]] = {}

    office_of_case = "campaign__office_id"
    plans_due = open_cases.filter(planned_date__gte=monday, planned_date__lt=next_week)
    counts["plans_due"] = _counted(plans_due, office_of_case)
    # The teams as they stood at the meeting, however late the pack is produced.
    team_codes = dict(Team.objects.filter(campaign__in=campaigns).values_list("pk", "code"))
    held_then = case_team_at("pk", now)
    # The responsible person then, named in the same query (person_name's rule).
    person_then = get_user_model().objects.filter(pk=OuterRef("responsible_then"))
    for c in (
        _ranked(plans_due, office_of_case, "planned_date", "household__unit_code")
        .annotate(
            held_by=held_then, responsible_then=case_team_at("pk", now, field="responsible_id")
        )
        .annotate(
            responsible_shown=Subquery(person_then.values("staff_profile__display_name")[:1]),
            responsible_login=Subquery(person_then.values(get_user_model().USERNAME_FIELD)[:1]),
        )
        .select_related("household", "campaign__office")
    ):
        lists["plans_due"].append(
            (
                c.campaign.office_id,
                {
                    "office": c.campaign.office.name,
                    "unit": c.household.unit_code,
                    "case": c.pk,
                    "date": c.planned_date,
                    "team": team_codes.get(c.held_by, ""),
                    "responsible": c.responsible_shown or c.responsible_login or "",
                },
            )
        )
    overdue = open_cases.filter(planned_date__lt=monday)
    counts["overdue"] = _counted(overdue, office_of_case)
    for c in (
        _ranked(overdue, office_of_case, "planned_date", "household__unit_code")
        .annotate(held_by=held_then)
        .select_related("household", "campaign__office")
    ):
        lists["overdue"].append(
            (
                c.campaign.office_id,
                {
                    "office": c.campaign.office.name,
                    "unit": c.household.unit_code,
                    "case": c.pk,
                    "date": c.planned_date,
                    "days": (monday - c.planned_date).days,
                    "team": team_codes.get(c.held_by, ""),
                },
            )
        )
    issues = DifficultIssue.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=now),
        case__campaign__in=campaigns,
        raised_at__lt=now,
    )
    counts["open_issues"] = _counted(issues, "case__campaign__office_id")
    for i in _ranked(issues, "case__campaign__office_id", "raised_at").select_related(
        "case__household", "case__campaign__office", "raised_by__staff_profile", "team"
    ):
        lists["open_issues"].append(
            (
                i.case.campaign.office_id,
                {
                    "office": i.case.campaign.office.name,
                    "unit": i.case.household.unit_code,
                    "case": i.case_id,
                    "title": i.title,
                    "by": person_name(i.raised_by),
                    "team": i.team.code if i.team else "",
                    "age_days": (monday - timezone.localtime(i.raised_at).date()).days,
                },
            )
        )
    breaches = ContactAttempt.objects.filter(
        recorded_at__gte=week_start,
        recorded_at__lt=week_end,
        household__office_id__in=office_ids,
    ).filter(IS_BREACH)
    counts["breaches"] = _counted(breaches, "household__office_id")
    for a in _ranked(breaches, "household__office_id", "occurred_at").select_related(
        "household__office", "made_by__staff_profile", "exemption_review", "team"
    ):
        lists["breaches"].append(
            (
                a.household.office_id,
                {
                    "office": a.household.office.name,
                    "unit": a.household.unit_code,
                    "case": a.case_id,
                    "at": timezone.localtime(a.occurred_at),
                    "by": person_name(a.made_by),
                    "team": a.team.code if a.team else "",
                    "rules": a.all_breaches,
                },
            )
        )
    # Open disputes as they stood at the meeting: by age, cause and amount held up, and the
    # work orders past their due date (households.dispute_figures, as the Disputes page).
    disputes = dispute_figures(
        Dispute.objects.filter(household__office_id__in=office_ids), offices=offices, at=now
    )
    for figures in disputes.offices:
        packs[figures.office_id]["disputes"] = [figures.as_data()]
    counts["orders_overdue"] = {f.office_id: f.orders_overdue for f in disputes.offices}
    for r in (r for r in disputes.rows if r.overdue):
        office = r.dispute.household.office
        lists["orders_overdue"].append(
            (
                office.pk,
                {
                    "office": office.name,
                    "unit": r.dispute.household.unit_code,
                    "case": r.dispute.case_id,
                    "department": r.work_order.department,
                    "due": r.work_order.due_date,
                    "days": r.overdue_days,
                    "cause": r.cause,
                },
            )
        )
    watched = _limitation_watch(open_cases, monday)
    counts["limitation"] = watched.pop("counts")
    lists["limitation"] = watched.pop("rows")
    counts["limitation_expired"] = watched.pop("expired")
    office_by_case = dict(open_cases.values_list("pk", "campaign__office_id"))
    escalation = escalation_watch(open_cases, monday)
    for name in ESCALATION_LISTS:
        rows = [(office_by_case[r["case"]], r) for r in escalation[name]]
        counts[name] = defaultdict(int)
        for office_id, _row in rows:
            counts[name][office_id] += 1
        lists[name] = rows
    for office_id, pack in packs.items():
        for name in [*PACK_ORDER]:
            mine = _top([row for o, row in lists[name] if o == office_id], name)
            if name in ESCALATION_LISTS:
                pack["escalation"][name] = mine
            else:
                pack[name] = mine
        pack["counts"] = {name: counts[name].get(office_id, 0) for name in counts}
    return packs


def _limitation_watch(open_cases, monday) -> dict:
    """Cases with months within 90 days of their limitation date, or past it: the first
    PACK_TOP of each office by their earliest limit, and how many there are per office."""
    near = near_limit(open_cases.values("household_id"), today=monday)
    # every open case's row (a few ints), rather than thousands of ids sent back as parameters
    rows = sorted(
        (near[household_id].limit, office_id, unit, case_id, household_id)
        for case_id, office_id, household_id, unit in open_cases.values_list(
            "pk", "campaign__office_id", "household_id", "household__unit_code"
        )
        if household_id in near
    )
    counts: dict[int, int] = defaultdict(int)
    expired: dict[int, int] = defaultdict(int)
    top: dict[int, list] = defaultdict(list)
    for _limit, office_id, _unit, case_id, household_id in rows:
        counts[office_id] += 1
        expired[office_id] += near[household_id].state == EXPIRED
        if len(top[office_id]) < PACK_TOP:
            top[office_id].append(case_id)
    chosen = {
        c.pk: c
        for c in Case.objects.filter(
            pk__in=[pk for ids in top.values() for pk in ids]
        ).select_related("household", "campaign__office", "team")
    }
    listed = []
    for office_id, ids in top.items():
        for case_id in ids:
            case = chosen[case_id]
            limit = near[case.household_id]
            listed.append(
                (
                    office_id,
                    {
                        "office": case.campaign.office.name,
                        "unit": case.household.unit_code,
                        "case": case.pk,
                        "team": case.team.code if case.team else "",
                        "state": limit.state,
                        "limit": limit.limit,
                        "months": limit.months,
                    },
                )
            )
    return {"rows": listed, "counts": counts, "expired": expired}


# --- storing and telling people -------------------------------------------------------------


def summary_store(
    *, kind, scope, for_date, region, data, by, office=None, team=None, recipient=None
):
    """Store (or replace) one summary. Returns (summary, created)."""
    return Summary.objects.update_or_create(
        kind=kind,
        scope=scope,
        for_date=for_date,
        defaults={
            "region": region,
            "office": office,
            "team": team,
            "recipient": recipient,
            "data": _json(data),
            "generated_at": timezone.now(),
            "generated_by": by,
        },
    )


REPLACED = ["region", "office", "team", "recipient", "data", "generated_at", "generated_by"]


def summaries_store(*, summaries: list[Summary], by: str) -> list[Summary]:
    """Store (or replace) many summaries in one statement (an upsert on kind, scope and
    date), and tell their readers unless it is a manager's "run now". Call inside a
    transaction. A replaced summary keeps its `notified_at`: nobody is told twice."""
    now = timezone.now()
    for summary in summaries:
        summary.data = _json(summary.data)
        summary.generated_at, summary.generated_by = now, by
    stored = Summary.objects.bulk_create(
        summaries,
        update_conflicts=True,
        unique_fields=["kind", "scope", "for_date"],
        update_fields=REPLACED,
    )
    if not by.startswith(RUN_NOW):
        deliver_all(stored)
    return stored


# Scheduled runs and commands tell people; a manager's "run now" does not (it would send half
# a day): the scheduled run later tells them, once.
RUN_NOW = "run now"


def _pause():
    # Spreads a large region's work over time; also lets tests catch a worker mid-task.
    seconds = getattr(settings, "SUMMARY_SCOPE_PAUSE_SECONDS", 0)
    if seconds:
        time.sleep(seconds)


def produce_daily(
    *, day: datetime.date, by: str = "schedule", region: Region | None = None, office_ids=None
) -> list[Summary]:
    """The 18:00 reports, in three steps (the teams', the offices', the operations
    managers'), each stored and told in one transaction with a fixed number of queries."""
    offices = _running_offices(region)
    if office_ids is not None:
        offices = [o for o in offices if o.pk in set(office_ids)]
    reports = daily_reports(day, offices)
    offices_by_id = {o.pk: o for o in offices}
    teams = Team.objects.in_bulk(list(reports["team"]))
    steps = [
        [
            Summary(
                kind=Summary.Kind.DAILY_TEAM,
                scope=f"team:{team_id}",
                for_date=day,
                region=offices_by_id[data["office"]].region,
                office=offices_by_id[data["office"]],
                team=teams[team_id],
                data=data,
            )
            for team_id, data in reports["team"].items()
        ],
        [
            Summary(
                kind=Summary.Kind.DAILY_OFFICE,
                scope=f"office:{office_id}",
                for_date=day,
                region=offices_by_id[office_id].region,
                office=offices_by_id[office_id],
                data=data,
            )
            for office_id, data in reports["office"].items()
        ],
    ]
    if office_ids is None:
        # A consolidated report needs every office in the manager's charge: a run for some
        # offices only (a manager's "run now") leaves it to the full run.
        users = {
            p.user_id: p.user
            for p in StaffProfile.objects.filter(
                user_id__in=[user_id for user_id, _region_id in reports["operations"]]
            ).select_related("user")
        }
        regions = {o.region_id: o.region for o in offices}
        steps.append(
            [
                Summary(
                    kind=Summary.Kind.DAILY_OPERATIONS,
                    scope=f"operations:{user_id}:region:{region_id}",
                    for_date=day,
                    region=regions[data["region_id"]],
                    recipient=users[user_id],
                    data=data,
                )
                for (user_id, region_id), data in reports["operations"].items()
            ]
        )
    stored = []
    for step in steps:
        if not step:
            continue
        if stored:
            _pause()
        with transaction.atomic():
            stored += summaries_store(summaries=step, by=by)
    return stored


def _produce_per_region(
    kind, for_date, compute, *, by: str, region: Region | None
) -> list[Summary]:
    """One summary per region (the given one, or every region with a running campaign)."""
    regions = (
        [region]
        if region
        else list(Region.objects.filter(offices__in=_running_offices()).distinct())
    )
    stored = []
    for r in regions:
        summary = Summary(
            kind=kind,
            scope=f"region:{r.pk}",
            for_date=for_date,
            region=r,
            data=compute(for_date, r),
        )
        with transaction.atomic():
            stored += summaries_store(summaries=[summary], by=by)
    return stored


def produce_brief(
    *, day: datetime.date, by: str = "schedule", region: Region | None = None
) -> list[Summary]:
    return _produce_per_region(Summary.Kind.MORNING_BRIEF, day, morning_brief, by=by, region=region)


def produce_weekly(
    *, monday: datetime.date, by: str = "schedule", region: Region | None = None
) -> list[Summary]:
    """The Monday pack, one copy per reader's scope (issue 12): the region's for its director,
    one per office for the office's managers, one per operations manager for the offices of
    the region in their charge. Each copy is assembled from the packs of its own offices only,
    so a reader's copy cannot hold an office outside their scope; each office's pack is
    computed once and reused by every copy that includes it."""
    monday = monday - datetime.timedelta(days=monday.weekday())
    regions = (
        [region]
        if region
        else list(Region.objects.filter(offices__in=_running_offices()).distinct())
    )
    stored = []
    for r in regions:
        stored += _produce_packs(monday, r, by=by)
    return stored


def pack_copies(region: Region, offices: list[Office]) -> list[tuple[str, dict, list[Office]]]:
    """(scope, who it is for, its offices) of every copy of the region's Monday pack."""
    copies = [(f"region:{region.pk}", {}, offices)]
    copies += [(f"office:{o.pk}", {"office": o}, [o]) for o in offices]
    ids = {o.pk for o in offices}
    overseers = (
        StaffProfile.objects.filter(
            user__groups__name=Role.OPERATIONS_MANAGER, user__is_active=True, offices__in=ids
        )
        .prefetch_related("offices")
        .select_related("user")
        .distinct()
        .order_by("user_id")
    )
    for profile in overseers:
        theirs = {o.pk for o in profile.offices.all()}
        copies.append(
            (
                f"operations:{profile.user_id}:region:{region.pk}",
                {"recipient": profile.user},
                [o for o in offices if o.pk in theirs],
            )
        )
    return copies


def _produce_packs(monday: datetime.date, region: Region, *, by: str) -> list[Summary]:
    offices = _running_offices(region)
    parts = office_packs(monday, region, offices)
    copies = []
    for scope, reader, its_offices in pack_copies(region, offices):
        data = pack_merge(monday, region, [parts[o.pk] for o in its_offices])
        if reader:  # a copy names its offices (the region's copy names the region)
            data["office"] = "、".join(o.name for o in its_offices)
        copies.append(
            Summary(
                kind=Summary.Kind.WEEKLY_PACK,
                scope=scope,
                for_date=monday,
                region=region,
                data=data,
                **reader,
            )
        )
    with transaction.atomic():
        stored = summaries_store(summaries=copies, by=by)
        # A copy of this Monday whose reader no longer has offices here must not stay
        # readable.
        Summary.objects.filter(
            kind=Summary.Kind.WEEKLY_PACK, region=region, for_date=monday
        ).exclude(pk__in=[s.pk for s in stored]).delete()
    return stored


def _missing_office_summaries(region: Region, day: datetime.date) -> bool:
    """Whether some running office of the region has no 18:00 summary for `day`, or the day
    was only produced by a manager's "run now" (which told nobody)."""
    office_ids = {o.pk for o in _running_offices(region)}
    done = set(
        Summary.objects.filter(
            kind=Summary.Kind.DAILY_OFFICE, region=region, for_date=day, notified_at__isnull=False
        ).values_list("office_id", flat=True)
    )
    return bool(office_ids - done)


def scheduler_started(now: datetime.datetime) -> datetime.datetime:
    """When the scheduled summaries first ran on this installation: recorded by the first
    catch-up (which beat runs every few minutes from its start), kept across restarts."""
    start, _created = SchedulerStart.objects.get_or_create(
        name="summaries", defaults={"started_at": now}
    )
    return start.started_at


def _last_due(now: datetime.datetime, at: datetime.time) -> datetime.date:
    """The most recent day whose `at` has come: today from `at` on, yesterday before it."""
    today = now.date()
    due = timezone.make_aware(datetime.datetime.combine(today, at))
    return today if due <= now else today - datetime.timedelta(days=1)


def catch_up(now: datetime.datetime | None = None) -> list[Summary]:
    """Produce, for each kind, the most recent summary whose time has come if it is not stored
    yet (or, for the 18:00 reports, if nobody was told of it).

    Runs every few minutes from beat: a summary missed while the broker or a worker was down,
    or one due at a region's own hour, is produced on the next run. Only the last one missed:
    after an outage of several days, the 18:00 reports of the last day, the last brief and the
    last Monday pack, never the days before them; and never a summary for a day before the
    scheduler first ran on this installation (`scheduler_started`): a fresh install does not
    e-mail the reports of the days before it existed.
    """
    now = timezone.localtime(now or timezone.now())
    first_day = timezone.localdate(scheduler_started(now))
    produced = []
    for region in Region.objects.filter(offices__in=_running_offices()).distinct():
        times = scheduled_times(region)
        day = _last_due(now, times[Summary.Kind.DAILY_OFFICE])
        if day >= first_day and _missing_office_summaries(region, day):
            produced += produce_daily(day=day, by="catch-up", region=region)
        reported = _last_due(now, times[Summary.Kind.MORNING_BRIEF]) - datetime.timedelta(days=1)
        if (
            reported >= first_day
            and not Summary.objects.filter(
                kind=Summary.Kind.MORNING_BRIEF, region=region, for_date=reported
            ).exists()
        ):
            produced += produce_brief(day=reported, by="catch-up", region=region)
        monday = now.date() - datetime.timedelta(days=now.weekday())
        due_pack = timezone.make_aware(
            datetime.datetime.combine(monday, times[Summary.Kind.WEEKLY_PACK])
        )
        if now < due_pack:
            monday -= datetime.timedelta(days=7)
        if (
            monday >= first_day
            and not Summary.objects.filter(
                kind=Summary.Kind.WEEKLY_PACK, region=region, for_date=monday
            ).exists()
        ):
            produced += produce_weekly(monday=monday, by="catch-up", region=region)
    return produced
