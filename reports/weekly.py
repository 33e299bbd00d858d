"""The weekly Excel report the regional director downloads (DESIGN.md §6).

One workbook for a set of offices (a region, or an operations manager's offices) and a week
(Monday to Sunday): a summary per office, the team leaderboard, the case detail, the week's
payments, open difficult issues, the week's breaches, and a chart of collection per office.
Large sheets stream from `iterator()` queries; the case detail's month ranges come from a
merge of two ordered streams (cases and unpaid months by household), so memory stays flat.
"""

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.chart import BarChart, Reference

from arrears.collection import collected
from arrears.ledger import ledger_ranges
from arrears.models import (
    Campaign,
    Case,
    Clearance,
    DebtorCategory,
    DebtPeriod,
    DifficultIssue,
    Payment,
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

    def _unpaid_months(self) -> Iterator[tuple[int, list]]:
        """(household id, [(month, due, paid), …]) for every household of the cases, in
        household order."""
        rows = (
            DebtPeriod.objects.filter(
                household__cases__campaign__in=self.campaigns, amount_paid__lt=F("amount_due")
            )
            .order_by("household_id", "month")
            .values_list("household_id", "month", "amount_due", "amount_paid")
            .distinct()
            .iterator(chunk_size=CHUNK)
        )
        current, months = None, []
        for household_id, month, due, paid in rows:
            if household_id != current:
                if current is not None:
                    yield current, months
                current, months = household_id, []
            months.append((month, due, paid))
        if current is not None:
            yield current, months

    def case_sheet(self) -> Sheet:
        first_owner = Owner.objects.filter(household=OuterRef("household")).order_by(
            "relation", "pk"
        )
        next_step = ContactAttempt.objects.filter(household=OuterRef("household")).order_by(
            "-occurred_at", "-pk"
        )
        cases = (
            with_case_figures(Case.objects.filter(campaign__in=self.campaigns))
            .annotate(
                owner_name=Subquery(first_owner.values("name")[:1]),
                next_step_date=Subquery(next_step.values("next_step_date")[:1]),
            )
            .order_by("household_id", "campaign_id")
        )

        # Labels once per sheet: get_*_display() rebuilds and translates the choices per call.
        categories = {k: str(v) for k, v in DebtorCategory.choices}
        statuses = {k: str(v) for k, v in Case.Status.choices}

        def rows():
            months = self._unpaid_months()
            pending = next(months, None)
            for case in cases.iterator(chunk_size=CHUNK):
                while pending is not None and pending[0] < case.household_id:
                    pending = next(months, None)
                unpaid = (
                    pending[1] if pending is not None and pending[0] == case.household_id else []
                )
                campaign = case.campaign
                window = [
                    m
                    for m in unpaid
                    if m[0] <= campaign.arrears_through
                    and (campaign.arrears_from is None or m[0] >= campaign.arrears_from)
                ]
                yield [
                    campaign.office.name,
                    case.household.unit_code,
                    case.owner_name or "",
                    categories.get(case.category, case.category),
                    "; ".join(str(r) for r in ledger_ranges(window)),
                    money(case.owed),
                    money(case.paid),
                    money(case.balance),
                    _local(case.last_contact_at),
                    case.planned_date or case.next_step_date,
                    case.plan_note,
                    statuses.get(case.status, case.status),
                    case.team.code if case.team else "",
                    person_name(case.responsible),
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
            .select_related("case__household", "case__campaign__office", "raised_by__staff_profile")
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
            .select_related("household__office", "made_by__staff_profile", "exemption_review")
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
            ],
            rows(),
        )
