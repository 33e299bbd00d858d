"""The weekly Excel report the regional director downloads (DESIGN.md §6).

One workbook for a set of offices (a region, or an operations manager's offices) and a week
(Monday to Sunday): a summary per office, the team leaderboard, the case detail, the week's
payments, open difficult issues, the week's breaches, and a chart of collection per office.
Large sheets stream from `iterator()` queries; the case detail's month ranges come from a
merge of two ordered streams (cases and unpaid months by household), so memory stays flat.

The workbook of a past week shows that week: each case as it stood at the week's end (its
history; the payments dated after it taken off), and the week's attempts, issues and payments
under the team credited when they were recorded (arrears.credited), not the case's team now.
"""

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import (
    Count,
    DateTimeField,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.chart import BarChart, Reference

from arrears.collection import collected
from arrears.credited import cases_as_of, changed_since
from arrears.ledger import ledger_ranges
from arrears.models import (
    Campaign,
    Case,
    Clearance,
    DebtorCategory,
    DebtPeriod,
    DifficultIssue,
    Payment,
    PaymentAllocation,
    Region,
)
from arrears.people import person_name
from arrears.selectors import TO_CLASSIFY, with_case_figures
from households.contact_policy import make_breach
from households.models import IS_BREACH, ContactAttempt, Owner
from reports.exporters import (
    DATE,
    DATETIME,
    INTEGER,
    MONEY,
    PERCENT,
    Chart,
    Column,
    Exporter,
    Sheet,
    TitleBlock,
    money,
    payment_sheet,
)
from reports.weeks import moment_label, week_label
from teams.models import Team
from teams.standings import WEEK, leaderboard, load_facts_of

SIGNED = collected()  # what went to debt periods: an excess is credit, not collection
CHUNK = 2000


def _local(moment):
    return timezone.localtime(moment) if moment else None


class WeeklyReport(Exporter):
    identifier = "weekly_report"

    def __init__(self, *, offices, week_of: datetime.date, name: str = ""):
        self.offices = list(offices.order_by("name") if hasattr(offices, "order_by") else offices)
        self.office_ids = [o.pk for o in self.offices]
        self.monday = week_of - datetime.timedelta(days=week_of.weekday())
        self.start = timezone.make_aware(datetime.datetime.combine(self.monday, datetime.time.min))
        self.end = self.start + datetime.timedelta(days=7)
        self.name = name
        self.campaigns = list(
            Campaign.objects.filter(office_id__in=self.office_ids, status=Campaign.Status.RUNNING)
            .select_related("office")
            .order_by("office__name")
        )

    @property
    def verbose_name(self):
        return _("Weekly report")

    def filename(self) -> str:
        return f"weekly-report-{self.name or 'offices'}-{self.monday:%Y-%m-%d}.xlsx"

    def sheets(self) -> Iterator[Sheet]:
        block = self.title_block()
        for make in (
            self.summary_sheet,
            self.leaderboard_sheet,
            self.case_sheet,
            self.payments_sheet,
            self.issues_sheet,
            self.breaches_sheet,
        ):
            sheet = make()
            # Each sheet says what it is, for whom and which week, and ends on its totals.
            sheet.title_block = TitleBlock(
                title=f"{block.title} — {sheet.title}",
                lines=block.lines,
                heading=f"{block.title} — {sheet.title}",
                subheading=block.subheading,
            )
            sheet.totals = True
            yield sheet

    def title_block(self) -> TitleBlock:
        """The lines every sheet starts with, in the reader's language (one query)."""
        regions = Region.objects.filter(offices__in=self.office_ids).distinct().order_by("name")
        week = week_label(self.monday)
        return TitleBlock(
            title=_("Weekly report"),
            lines=(
                (_("Region"), "、".join(r.name for r in regions)),
                (_("Offices"), "、".join(o.name for o in self.offices)),
                (_("Week"), week),
                (_("Generated at"), moment_label(timezone.now())),
            ),
            subheading=week,
        )

    # --- per office -----------------------------------------------------------------------

    def _net_by_office(self, **window) -> dict:
        rows = (
            Payment.objects.filter(case__campaign__in=self.campaigns, **window)
            .values("office_id")
            .annotate(net=Sum(SIGNED))
            .order_by()
        )
        return {r["office_id"]: r["net"] or Decimal("0") for r in rows}

    def summary_sheet(self) -> Sheet:
        owed = {
            r["household__cases__campaign__office_id"]: r["due"]
            for r in DebtPeriod.objects.filter(
                household__cases__campaign__in=self.campaigns,
                month__lte=F("household__cases__campaign__arrears_through"),
            )
            .values("household__cases__campaign__office_id")
            .annotate(due=Sum("amount_due"))
            .order_by()
        }
        this_week = self._net_by_office(paid_at__gte=self.start, paid_at__lt=self.end)
        last_week = self._net_by_office(
            paid_at__gte=self.start - datetime.timedelta(days=7), paid_at__lt=self.start
        )
        so_far = self._net_by_office(paid_at__lt=self.end)
        standing = Q(cleared_at__lt=self.end) & (
            Q(revoked_at__isnull=True) | Q(revoked_at__gte=self.end)
        )
        cleared = {
            r["case__campaign__office_id"]: r["n"]
            for r in Clearance.objects.filter(standing, case__campaign__in=self.campaigns)
            .values("case__campaign__office_id")
            .annotate(n=Count("case", distinct=True))
            .order_by()
        }
        cases, to_classify = {}, {}
        for r in (
            Case.objects.filter(campaign__in=self.campaigns)
            .values("campaign__office_id")
            .annotate(n=Count("pk"), unclassified=Count("pk", filter=TO_CLASSIFY))
            .order_by()
        ):
            cases[r["campaign__office_id"]] = r["n"]
            to_classify[r["campaign__office_id"]] = r["unclassified"]
        self._count_as_of_end(cases, to_classify)
        # The workbook's window is the calendar week, by the date money was paid (an
        # accountant's week); the Monday pack's figures are the week's 18:00 windows instead.
        counted_by = _("payments by the date paid; breaches by the time of the attempt")
        rows = []
        for campaign in self.campaigns:
            office_id = campaign.office_id
            start_owed = owed.get(office_id, Decimal("0"))
            collected = so_far.get(office_id, Decimal("0"))
            rows.append(
                [
                    campaign.office.name,
                    campaign.name,
                    money(start_owed),
                    money(this_week.get(office_id, 0)),
                    money(this_week.get(office_id, 0) - last_week.get(office_id, 0)),
                    money(collected),
                    cleared.get(office_id, 0),
                    cases.get(office_id, 0),
                    float(collected / start_owed) if start_owed else None,
                    campaign.target_date,
                    _local(self.start),
                    _local(self.end),
                    counted_by,
                    to_classify.get(office_id, 0),
                ]
            )

        def chart(ws, header_row, last_row):
            bars = BarChart()
            bars.title = _("Collection per office")
            bars.y_axis.title = "¥"
            bars.add_data(
                Reference(ws, min_col=4, max_col=4, min_row=header_row, max_row=last_row),
                titles_from_data=True,
            )
            bars.add_data(
                Reference(ws, min_col=6, max_col=6, min_row=header_row, max_row=last_row),
                titles_from_data=True,
            )
            bars.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row))
            bars.width, bars.height = 18, 9
            return bars

        return Sheet(
            _("Summary"),
            [
                Column(_("Office"), width=16),
                Column(_("Campaign"), width=18, wrap=True),
                Column(_("Arrears at the start"), MONEY, 16, total=True),
                Column(_("Collected this week"), MONEY, 16, total=True),
                Column(_("Change from last week"), MONEY, 16, total=True),
                Column(_("Collected so far"), MONEY, 16, total=True),
                Column(_("Households cleared"), INTEGER, 12, total=True),
                Column(_("Cases"), INTEGER, 8, total=True),
                Column(_("Collection rate"), PERCENT, 12),
                Column(_("Target date"), DATE, 12),
                Column(_("Week from"), DATETIME, 16),
                Column(_("Week to (not included)"), DATETIME, 16),
                Column(_("Counted by"), width=24, wrap=True),
                # Its own category: open cases whose ledger did not say (arrears.playbooks).
                Column(_("Open cases not yet classified"), INTEGER, 14, total=True),
            ],
            rows,
            charts=[Chart(chart, anchor=None)],  # below the totals
            # The totals' collection rate is the total collected over the total owed.
            total_ratios={8: (5, 2)},
        )

    def _as_of_end(self) -> tuple[dict[int, dict], set[int]]:
        """The cases changed since the end of the week, as they stood then (cases_as_of):
        read once for the summary and the case sheet."""
        if not hasattr(self, "_cases_then"):
            cases = Case.objects.filter(campaign__in=self.campaigns)
            then, not_yet = cases_as_of(cases, self.end)
            if then:
                # Cleared is by the date paid, as the workbook counts households cleared: a
                # payment dated in the week but typed in after it cleared the case then.
                standing = Q(cleared_at__lt=self.end) & (
                    Q(revoked_at__isnull=True) | Q(revoked_at__gte=self.end)
                )
                for case_id in Clearance.objects.filter(
                    standing, case__in=changed_since(cases, self.end)
                ).values_list("case_id", flat=True):
                    if case_id in then:
                        then[case_id]["status"] = Case.Status.CLEARED
            self._cases_then = then, not_yet
        return self._cases_then

    def _count_as_of_end(self, cases: dict, to_classify: dict) -> None:
        """Correct today's counts per office (cases, open ones to classify) to the end of the
        week, as the case sheet lists them: one query over the cases changed since."""
        then, not_yet = self._as_of_end()
        if not then and not not_yet:
            return

        def unclassified(status, category):
            return category == DebtorCategory.UNCLASSIFIED and status not in (
                Case.Status.CLEARED,
                Case.Status.CLOSED,
            )

        changed = Case.objects.filter(
            pk__in=changed_since(Case.objects.filter(campaign__in=self.campaigns), self.end)
        ).values_list("pk", "campaign__office_id", "status", "category")
        for pk, office_id, status, category in changed:
            if pk not in then and pk not in not_yet:
                continue  # no history before the end: counted as it is now
            cases[office_id] = cases.get(office_id, 0) - 1
            to_classify[office_id] = to_classify.get(office_id, 0) - unclassified(status, category)
            if pk in then:
                cases[office_id] += 1
                to_classify[office_id] += unclassified(then[pk]["status"], then[pk]["category"])

    def leaderboard_sheet(self) -> Sheet:
        def rows():
            facts = load_facts_of(self.campaigns)  # one pass for every office's campaign
            for campaign in self.campaigns:
                for row in leaderboard(facts[campaign.pk], WEEK, now=self.end):
                    s = row.standing
                    yield [
                        campaign.office.name,
                        s.rank,
                        str(row.team),
                        s.cleared,
                        money(s.collected),
                        s.points,
                        row.change,
                    ]

        return Sheet(
            _("Leaderboard"),
            [
                Column(_("Office"), width=16),
                Column(_("Rank"), INTEGER, 8),
                Column(_("Team"), width=10),
                Column(_("Households cleared"), INTEGER, 12, total=True),
                Column(_("Collected"), MONEY, 16, total=True),
                Column(_("Points per member"), INTEGER, 12),
                Column(_("Since last week"), INTEGER, 12),
            ],
            rows(),
        )

    # --- the case detail --------------------------------------------------------------------

    def _allocated_later(self):
        return PaymentAllocation.objects.filter(
            payment__office_id__in=self.office_ids, payment__paid_at__gte=self.end
        )

    def _paid_later(self) -> dict[int, tuple[int, datetime.date, Decimal]]:
        """Debt period id → (household id, month, amount) that payments dated at or after the
        week's end (reversals negative) put on it: taken off, the ledger stands as it did at
        the end of the week. One query over the payments since then (none for this week)."""
        later: dict[int, tuple[int, datetime.date, Decimal]] = {}
        rows = self._allocated_later().values_list(
            "period_id", "period__household_id", "period__month", "amount"
        )
        for period_id, household_id, month, amount in rows.iterator(chunk_size=CHUNK):
            before = later.get(period_id, (household_id, month, Decimal("0")))[2]
            later[period_id] = (household_id, month, before + amount)
        return later

    def _unpaid_months(self, later: dict) -> Iterator[tuple[int, list]]:
        """(household id, [(month, due, paid), …]) for every household of the cases, in
        household order: the months unpaid at the end of the week (`later`: _paid_later)."""
        rows = (
            DebtPeriod.objects.filter(
                Q(amount_paid__lt=F("amount_due"))
                | Q(pk__in=self._allocated_later().values("period_id")),
                household__cases__campaign__in=self.campaigns,
            )
            .order_by("household_id", "month")
            .values_list("household_id", "month", "amount_due", "amount_paid", "pk")
            .distinct()
            .iterator(chunk_size=CHUNK)
        )
        current, months = None, []
        for household_id, month, due, paid_now, period_id in rows:
            paid = paid_now - later[period_id][2] if period_id in later else paid_now
            if paid >= due:
                continue
            if household_id != current:
                if current is not None:
                    yield current, months
                current, months = household_id, []
            months.append((month, due, paid))
        if current is not None:
            yield current, months

    def case_sheet(self) -> Sheet:
        """Every case as it stood at the end of the week: team, responsible person, status,
        category and plan from the case's history (arrears.credited.cases_as_of); paid,
        balance and unpaid months without the payments dated after the week; the last
        contact and next step of the attempts made before its end. A case created after the
        week is not listed. For the week in progress, that is the case as it is now."""
        end = self.end
        first_owner = Owner.objects.filter(household=OuterRef("household")).order_by(
            "relation", "pk"
        )
        attempts_then = ContactAttempt.objects.filter(
            household=OuterRef("household"), occurred_at__lt=end
        )
        next_step = attempts_then.order_by("-occurred_at", "-pk")
        last_contact = (
            attempts_then.order_by().values("household").annotate(v=Max("occurred_at")).values("v")
        )
        of_campaigns = Case.objects.filter(campaign__in=self.campaigns)
        cases = (
            with_case_figures(of_campaigns)
            .annotate(
                owner_name=Subquery(first_owner.values("name")[:1]),
                next_step_date=Subquery(next_step.values("next_step_date")[:1]),
                # The kept figure when it is before the end (nearly always): no subquery.
                contact_then=Switch(
                    When(last_contact_at__isnull=True, then=Value(None)),
                    When(last_contact_at__lt=end, then=F("last_contact_at")),
                    default=Subquery(last_contact[:1]),
                    output_field=DateTimeField(),
                ),
            )
            .order_by("household_id", "campaign_id")
        )
        then, not_yet = self._as_of_end()
        teams = dict(Team.objects.filter(campaign__in=self.campaigns).values_list("pk", "code"))
        people = (
            get_user_model()
            .objects.filter(pk__in={row["responsible_id"] for row in then.values()})
            .select_related("staff_profile")
            .in_bulk()
        )
        later = self._paid_later()
        paid_later: dict[int, list] = {}
        for household_id, month, amount in later.values():
            paid_later.setdefault(household_id, []).append((month, amount))

        # Labels once per sheet: get_*_display() rebuilds and translates the choices per call.
        categories = {k: str(v) for k, v in DebtorCategory.choices}
        statuses = {k: str(v) for k, v in Case.Status.choices}

        def in_campaign(month, campaign):
            return month <= campaign.arrears_through and (
                campaign.arrears_from is None or month >= campaign.arrears_from
            )

        def rows():
            months = self._unpaid_months(later)
            pending = next(months, None)
            for case in cases.iterator(chunk_size=CHUNK):
                if case.pk in not_yet:
                    continue
                while pending is not None and pending[0] < case.household_id:
                    pending = next(months, None)
                unpaid = (
                    pending[1] if pending is not None and pending[0] == case.household_id else []
                )
                campaign = case.campaign
                window = [m for m in unpaid if in_campaign(m[0], campaign)]
                paid = case.paid - sum(
                    (
                        a
                        for m, a in paid_later.get(case.household_id, ())
                        if in_campaign(m, campaign)
                    ),
                    Decimal("0"),
                )
                state = then.get(case.pk)
                if state is None:
                    team = case.team.code if case.team else ""
                    responsible = case.responsible
                    status, category = case.status, case.category
                    planned, plan_note = case.planned_date, case.plan_note
                else:
                    team = teams.get(state["team_id"], "")
                    responsible = people.get(state["responsible_id"])
                    status, category = state["status"], state["category"]
                    planned, plan_note = state["planned_date"], state["plan_note"]
                yield [
                    campaign.office.name,
                    case.household.unit_code,
                    case.owner_name or "",
                    categories.get(category, category),
                    "; ".join(str(r) for r in ledger_ranges(window)),
                    money(case.owed),
                    money(paid),
                    money(case.owed - paid),
                    _local(case.contact_then),
                    planned or case.next_step_date,
                    plan_note,
                    statuses.get(status, status),
                    team,
                    person_name(responsible),
                ]

        return Sheet(
            _("Cases"),
            [
                Column(_("Office"), width=14),
                Column(_("Unit"), width=11),
                Column(_("Owner"), width=10, wrap=True),
                Column(_("Category"), width=12, wrap=True),
                Column(_("Unpaid months"), width=26, wrap=True),
                Column(_("Owed"), MONEY, 13, total=True),
                Column(_("Paid"), MONEY, 13, total=True),
                Column(_("Balance"), MONEY, 13, total=True),
                Column(_("Last contact"), DATETIME, 15),
                Column(_("Next planned date"), DATE, 12),
                Column(_("Plan note"), width=18, wrap=True),
                Column(_("Status"), width=10, wrap=True),
                Column(_("Team"), width=6),
                Column(_("Responsible"), width=10, wrap=True),
            ],
            rows(),
            # A4 landscape, at most two pages wide; office and unit repeat on the second.
            fit_width=2,
            repeat_columns=2,
        )

    # --- the week's events ------------------------------------------------------------------

    def payments_sheet(self) -> Sheet:
        payments = (
            Payment.objects.filter(
                office_id__in=self.office_ids, paid_at__gte=self.start, paid_at__lt=self.end
            )
            .select_related("office", "household", "team", "recorded_by__staff_profile")
            .order_by("paid_at", "pk")
        )
        return payment_sheet(payments, title=_("Payments this week"), with_office=True)

    def issues_sheet(self) -> Sheet:
        issues = (
            DifficultIssue.objects.filter(
                Q(resolved_at__isnull=True) | Q(resolved_at__gte=self.end),
                case__campaign__in=self.campaigns,
                raised_at__lt=self.end,
            )
            .select_related(
                "case__household", "case__campaign__office", "raised_by__staff_profile", "team"
            )
            .order_by("raised_at")
        )
        end_day = (self.end - datetime.timedelta(seconds=1)).date()

        def rows():
            for i in issues.iterator(chunk_size=CHUNK):
                raised = _local(i.raised_at)
                yield [
                    i.case.campaign.office.name,
                    i.case.household.unit_code,
                    i.title,
                    i.description,
                    person_name(i.raised_by),
                    raised,
                    (end_day - raised.date()).days,
                    i.team.code if i.team else "",  # the team that raised it, wherever it is now
                ]

        return Sheet(
            _("Open difficult issues"),
            [
                Column(_("Office"), width=14),
                Column(_("Unit"), width=11),
                Column(_("Title"), width=24, wrap=True),
                Column(_("Description"), width=40, wrap=True),
                Column(_("Raised by"), width=10),
                Column(_("Raised at"), DATETIME, 16),
                Column(_("Days open"), INTEGER, 9),
                Column(_("Team"), width=6),
            ],
            rows(),
        )

    def breaches_sheet(self) -> Sheet:
        attempts = (
            ContactAttempt.objects.filter(
                household__office_id__in=self.office_ids,
                occurred_at__gte=self.start,
                occurred_at__lt=self.end,
            )
            .filter(IS_BREACH)
            .select_related(
                "household__office", "made_by__staff_profile", "exemption_review", "team"
            )
            .order_by("occurred_at")
        )

        def rows():
            for a in attempts.iterator(chunk_size=CHUNK):
                yield [
                    _local(a.occurred_at),
                    a.household.office.name,
                    a.household.unit_code,
                    a.get_channel_display(),
                    person_name(a.made_by),
                    "; ".join(str(make_breach(code).message) for code in a.all_breaches),
                    a.team.code if a.team else "",  # the team credited when it was made
                ]

        return Sheet(
            _("Breaches this week"),
            [
                Column(_("When"), DATETIME, 16),
                Column(_("Office"), width=14),
                Column(_("Unit"), width=11),
                Column(_("Channel"), width=14),
                Column(_("Made by"), width=10),
                Column(_("Rules broken"), width=50, wrap=True),
                Column(_("Team"), width=6),
            ],
            rows(),
        )
