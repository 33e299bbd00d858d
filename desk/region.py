"""The regional director's desk (issue 16, item 10): each office's progress against its
campaign's target, the week's and the campaign's figures, and a trend of the weekly
collection, each in a fixed number of queries whatever the number of offices.

Progress against the target: a campaign sets out to collect its households' arrears (the
case figures' `owed`) between its start and target dates. Its progress is what it has
collected (paid to arrears, net of reversals) over what was owed; "expected by today" is the
share of the time from start to target that has passed, so an office behind its target is
one whose progress is below it.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from arrears.collection import collected as collected_expression
from arrears.models import Campaign, Case, Payment
from arrears.money import ZERO

TREND_WEEKS = 10
CHART_WIDTH, CHART_HEIGHT, CHART_BOTTOM = 1000, 240, 44  # the SVG's own units (viewBox)


@dataclass
class Progress:
    """An office's running campaigns taken together."""

    names: list[str] = field(default_factory=list)
    owed: Decimal = ZERO
    collected: Decimal = ZERO
    start: datetime.date | None = None
    target: datetime.date | None = None
    rate: float = 0.0  # collected / owed, 0–1
    expected: float = 0.0  # the share of the time to the target passed, 0–1

    @property
    def behind(self) -> bool:
        return self.rate + 1e-9 < self.expected

    @property
    def percent(self) -> int:
        return round(self.rate * 100)

    @property
    def expected_percent(self) -> int:
        return round(self.expected * 100)

    @property
    def bar(self) -> float:
        """The bar's width in the progress SVG (0–100)."""
        return round(min(self.rate, 1.0) * 100, 1)


def campaign_progress(offices: QuerySet, *, today: datetime.date) -> dict[int, Progress]:
    """office id → Progress of its running campaigns (three queries: the campaigns, then
    their cases and their payments each in one grouped pass; a subquery per campaign read the
    case table once per campaign)."""
    campaigns = list(
        Campaign.objects.filter(office__in=offices, status=Campaign.Status.RUNNING).order_by(
            "office_id", "start_date", "pk"
        )
    )
    ids = [c.pk for c in campaigns]
    owed = {
        row["campaign"]: row["owed"]
        for row in Case.objects.filter(campaign__in=ids)
        .values("campaign")
        .annotate(owed=Sum("owed"))
        .order_by()
    }
    # What went to debt periods, net of reversals: an excess is credit, not collection.
    collected = {
        row["case__campaign"]: row["net"]
        for row in Payment.objects.filter(case__campaign__in=ids)
        .values("case__campaign")
        .annotate(net=Sum(collected_expression()))
        .order_by()
    }
    result: dict[int, Progress] = {}
    for campaign in campaigns:
        p = result.setdefault(campaign.office_id, Progress())
        p.names.append(campaign.name)
        p.owed += owed.get(campaign.pk) or ZERO
        p.collected += collected.get(campaign.pk) or ZERO
        p.start = min(filter(None, [p.start, campaign.start_date]))
        p.target = max(filter(None, [p.target, campaign.target_date]))
    for p in result.values():
        p.rate = float(p.collected / p.owed) if p.owed else 0.0
        span = (p.target - p.start).days
        passed = (today - p.start).days
        p.expected = 1.0 if span <= 0 else min(max(passed / span, 0.0), 1.0)
    return result


@dataclass
class Bar:
    label: str  # the week's Monday, MM-DD
    title: str  # the tooltip: the week and the amount
    value: Decimal
    x: float
    y: float
    width: float
    height: float

    @property
    def label_y(self) -> float:
        return round(self.y - 6, 1)


def weekly_trend(
    offices: QuerySet, *, this_monday: datetime.date, weeks: int = TREND_WEEKS
) -> tuple[list[Bar], dict[int, list[Decimal]]]:
    """The last `weeks` weeks (this one included) of collection: the region's bars for the
    chart, and each office's amounts, oldest first (one query)."""
    mondays = [this_monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    start = timezone.make_aware(datetime.datetime.combine(mondays[0], datetime.time.min))
    rows = (
        Payment.objects.filter(office__in=offices, paid_at__gte=start)
        .annotate(week=TruncWeek("paid_at", tzinfo=timezone.get_current_timezone()))
        .values("office_id", "week")
        .annotate(net=Sum(collected_expression()))
        .order_by()
    )
    index = {monday: i for i, monday in enumerate(mondays)}
    per_office: dict[int, list[Decimal]] = {}
    region = [ZERO] * weeks
    for row in rows:
        week = row["week"]
        day = timezone.localtime(week).date() if isinstance(week, datetime.datetime) else week
        i = index.get(day)
        if i is None:
            continue
        amount = Decimal(row["net"] or 0)
        per_office.setdefault(row["office_id"], [ZERO] * weeks)[i] += amount
        region[i] += amount
    return _bars(mondays, region), per_office


def _bars(mondays, values) -> list[Bar]:
    top = max([v for v in values if v > 0], default=Decimal(1))
    plot = CHART_HEIGHT - CHART_BOTTOM
    slot = CHART_WIDTH / len(values)
    bars = []
    for i, (monday, value) in enumerate(zip(mondays, values, strict=True)):
        height = float(max(value, ZERO) / top) * (plot - 34)  # room for the value above
        bars.append(
            Bar(
                label=f"{monday:%m-%d}",
                title=f"{monday:%Y-%m-%d}",
                value=value,
                x=round(i * slot + slot * 0.1, 1),
                y=round(plot - height, 1),
                width=round(slot * 0.8, 1),
                height=round(height, 1),
            )
        )
    return bars


def sparkline(values: list[Decimal], width: int = 100, height: int = 24) -> str:
    """An SVG polyline's points for an office's weeks (its own scale)."""
    if not values:
        return ""
    top = max(max(values), Decimal(1))
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{round(i * step, 1)},{round(height - 2 - float(max(v, ZERO) / top) * (height - 4), 1)}"
        for i, v in enumerate(values)
    )
