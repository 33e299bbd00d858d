import datetime

import django_tables2 as tables
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableQuerysetData

from arrears.models import Case, DebtorCategory
from arrears.people import person_name
from arrears.promises import BROKEN, LABELS, PENDING
from arrears.templatetags.desk import cny
from desk.case_queries import (
    BROKEN_PROMISE,
    CONTACT_ALLOWED,
    CONTACT_BLOCKED,
    DONE,
    PLAN_REACHED,
    PROMISE_DUE,
)
from escalation.limitation import EXPIRED, NEAR
from escalation.limitation_records import earliest_limit, worst_state
from households.contact import ALLOWED, DISPUTED_STATE, LATER, NOT_SOON, WRITTEN_ONLY_STATE
from households.contact_policy import WRITTEN_ONLY

# The footer cell too, or the totals row shifts under the wrong columns on a phone.
PHONE_HIDDEN = {
    "th": {"class": "d-none d-md-table-cell"},
    "td": {"class": "d-none d-md-table-cell"},
    "tf": {"class": "d-none d-md-table-cell"},
}
# The contact-now badges: allowed, allowed later today or on a later day, not by this channel.
BADGE_CSS = {
    ALLOWED: "text-bg-success",
    LATER: "text-bg-warning",
    WRITTEN_ONLY_STATE: "text-bg-secondary",
    NOT_SOON: "text-bg-secondary",
    # Paused by an open dispute until its written answer is delivered (issue 17.2).
    DISPUTED_STATE: "text-bg-warning",
}
MONEY = {"th": {"class": "text-end"}, "td": {"class": "money"}, "tf": {"class": "money"}}
# Shown on the phone's cards only: the desktop table says it by its order.
PHONE_ONLY = {
    "th": {"class": "d-md-none"},
    "td": {"class": "d-md-none"},
    "tf": {"class": "d-md-none"},
}
# What to do next, from the case's place in the order (desk.case_queries.cases_to_work).
NEXT_STEP = {
    BROKEN_PROMISE: _("Follow up the broken promise or plan"),
    PROMISE_DUE: _("Promise due today"),
    PLAN_REACHED: _("Planned date reached"),
    CONTACT_ALLOWED: _("Make contact"),
    CONTACT_BLOCKED: _("No contact now: written steps only"),
    DONE: _("Nothing: cleared or closed"),
}


class PageByKeys(TableQuerysetData):
    """A case list's data, paged in two steps: the page's ids first, from a query that
    carries only the sort keys (a few bytes per case in scope), then the page's rows with
    everything they show. In one step PostgreSQL carries every column of every case in
    scope through the sort, twice as slow for a director's 15,000 cases (bench/README.md).
    `count` is the number of rows when the caller has it already (from the totals)."""

    def __init__(self, data, *, count: int | None = None):
        super().__init__(data)
        self._length = count

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        ids = list(self.data.values_list("pk", flat=True)[key])
        rows = {row.pk: row for row in self.data.filter(pk__in=ids).order_by()}
        return [rows[pk] for pk in ids]


class MoneyColumn(tables.Column):
    def __init__(self, *args, total_key=None, **kwargs):
        kwargs.setdefault("attrs", MONEY)
        self.total_key = total_key
        super().__init__(*args, **kwargs)

    def render(self, value):
        return cny(value)

    def render_footer(self, bound_column, table):
        totals = getattr(table, "totals", None) or {}
        return cny(totals.get(self.total_key)) if self.total_key else ""


class DayColumn(tables.Column):
    """A date or a moment (in local time) in Django's date format. django-tables2's
    DateColumn compiles a template for every cell it renders."""

    def __init__(self, *args, format: str, **kwargs):
        self.format = format
        super().__init__(*args, **kwargs)

    def render(self, value):
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value)
        return dateformat.format(value, self.format)


class CaseTable(tables.Table):
    # Shown to those who may issue letters for several cases at once (see _case_table).
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "input": {"name": "case", "form": "letter-batch", "aria-label": _("Select")},
            "th__input": {"aria-label": _("Select all on this page"), "data-select-all": "case"},
        },
    )
    unit = tables.Column(accessor="household__unit_code", verbose_name=_("Unit"), footer=_("Total"))
    category = tables.Column(verbose_name=_("Category"), attrs=PHONE_HIDDEN)
    status = tables.Column(verbose_name=_("Status"))
    unpaid_months = tables.Column(
        verbose_name=_("Months owed"),
        attrs={"td": {"class": "text-end"}},
    )
    owed = MoneyColumn(
        verbose_name=_("Owed"),
        total_key="owed",
        attrs={
            **MONEY,
            **{k: v for k, v in PHONE_HIDDEN.items() if k != "th"},
            "th": {"class": "text-end d-none d-md-table-cell"},
            "tf": {"class": "money d-none d-md-table-cell"},
        },
    )
    balance = MoneyColumn(verbose_name=_("Balance"), total_key="balance")
    oldest_unpaid = DayColumn(format="Y-m", verbose_name=_("Oldest unpaid"), attrs=PHONE_HIDDEN)
    team = tables.Column(accessor="team__code", verbose_name=_("Team"), attrs=PHONE_HIDDEN)
    responsible = tables.Column(
        verbose_name=_("Responsible"), attrs=PHONE_HIDDEN, order_by=("responsible__username",)
    )
    planned_date = DayColumn(format="m-d", verbose_name=_("Planned"))
    promise = tables.Column(
        accessor="promise_due", verbose_name=_("Promise"), order_by=("promise_due",)
    )
    last_contact_at = DayColumn(
        format="m-d H:i", verbose_name=_("Last contact"), attrs=PHONE_HIDDEN
    )
    # Placed right after the balance (see Meta.sequence): on a phone both show unscrolled.
    contact_now = tables.Column(empty_values=(), orderable=False, verbose_name=_("Contact now"))
    limitation = tables.Column(
        empty_values=(), orderable=False, verbose_name=_("Limitation"), attrs=PHONE_HIDDEN
    )
    next_step = tables.Column(
        accessor="priority",
        orderable=False,
        verbose_name=_("Next step"),
        attrs=PHONE_ONLY,
    )

    class Meta:
        model = Case
        fields = []
        sequence = (
            "select",
            "unit",
            "category",
            "status",
            "unpaid_months",
            "owed",
            "balance",
            "next_step",
            "contact_now",
            "oldest_unpaid",
            "team",
            "responsible",
            "planned_date",
            "promise",
            "last_contact_at",
        )
        # .case-table: on a phone each row is a card (static/css/desk.css), from the same cells.
        attrs = {
            "class": "table table-sm table-hover align-middle case-table",
            "data-testid": "case-table",
        }
        empty_text = _("No cases match these filters.")
        row_attrs = {"data-unit": lambda record: record.household.unit_code}

    def __init__(self, *args, availability=None, **kwargs):
        self.availability = availability or {}
        self.limitation = {}
        super().__init__(*args, **kwargs)
        # Each cell names its column, for the card's labels on a phone (the header is hidden
        # there). The columns are this table's own copies: the class's stay as they are.
        for bound in self.columns:
            attrs = dict(bound.column.attrs)
            attrs["td"] = {**attrs.get("td", {}), "data-label": bound.verbose_name}
            bound.column.attrs = attrs

    def get_column_class_names(self, classes_set, bound_column):
        """Every cell, header and footer cell says its column (c-balance …): the cards'
        layout places them by it, and the tests find a column by it."""
        classes = super().get_column_class_names(classes_set, bound_column)
        classes.add(f"c-{bound_column.name}")
        return classes

    def render_next_step(self, value, record):
        text = NEXT_STEP.get(value, "")
        if value == PLAN_REACHED and record.planned_date:
            return format_html("{} ({})", text, record.planned_date.strftime("%m-%d"))
        return text

    def render_unit(self, value, record):
        return format_html(
            '<a class="unit-code text-nowrap" href="{}">{}</a><div class="small text-body-secondary d-md-none">{}</div>',
            reverse("case-detail", args=[record.pk]),
            value,
            self.render_category(record),
        )

    def render_category(self, record):
        # Not yet classified stands out: its first step is to find out (arrears.playbooks).
        if record.category == DebtorCategory.UNCLASSIFIED:
            return format_html(
                '<span class="badge text-bg-warning" data-testid="unclassified">{}</span>',
                record.get_category_display(),
            )
        return record.get_category_display()

    def render_status(self, record):
        css = {
            Case.Status.CLEARED: "text-bg-success",
            Case.Status.PARTLY_PAID: "text-bg-info",
            Case.Status.PROMISED: "text-bg-primary",
            Case.Status.LEGAL: "text-bg-dark",
        }.get(record.status, "text-bg-secondary")
        return format_html('<span class="badge {}">{}</span>', css, record.get_status_display())

    def render_responsible(self, value):
        return person_name(value)

    def render_promise(self, value, record):
        state = record.promise_state
        css = {BROKEN: "text-danger fw-semibold", PENDING: ""}.get(state, "text-success")
        return format_html(
            '<span class="{}">{} {}</span>', css, value.strftime("%m-%d"), LABELS.get(state, "")
        )

    def render_contact_now(self, record):
        """Call, message and visit as three short badges; the whole answer in the title."""
        answers = self.availability.get(record.household_id)
        if answers is None:
            return "—"
        if answers.written_only:  # one badge says it for all three
            return format_html(
                '<span class="contact-badges"><span class="badge {}" data-answer="all" '
                'data-state="{}" title="{}">{}</span></span>',
                BADGE_CSS[WRITTEN_ONLY_STATE],
                WRITTEN_ONLY_STATE,
                next(r.message for r in answers.call.reasons if r.code == WRITTEN_ONLY),
                _("written only"),
            )
        return format_html(
            '<span class="contact-badges">{}</span>',
            format_html_join(
                "",
                '<span class="badge {}" data-answer="{}" data-state="{}" title="{}">{} {}'
                '<span class="visually-hidden">: {}</span></span>',
                (
                    (
                        BADGE_CSS[a.state],
                        a.key,
                        a.state,
                        f"{a.label}: {a.text}",
                        a.label,
                        a.short,
                        a.text,
                    )
                    for a in answers.items()
                ),
            ),
        )

    def render_limitation(self, record):
        clocks = self.limitation.get(record.household_id, [])
        if not clocks:
            return "—"
        state, limit = worst_state(clocks), earliest_limit(clocks)
        if state == EXPIRED:
            return format_html('<span class="badge text-bg-danger">{}</span>', _("legal review"))
        css = "text-danger fw-semibold" if state == NEAR else "text-body-secondary"
        return format_html('<span class="{}">{}</span>', css, limit.strftime("%Y-%m-%d"))
