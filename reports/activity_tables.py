import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from arrears.models import Payment
from arrears.people import person_name
from arrears.templatetags.desk import cny
from households.models import ContactAttempt
from households.templatetags.policy import breach_message

ATTRS = {"class": "table table-sm table-hover align-middle"}


class PaymentTable(tables.Table):
    paid_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Paid at"))
    unit = tables.Column(accessor="household__unit_code", verbose_name=_("Unit"))
    amount = tables.Column(verbose_name=_("Amount"), attrs={"td": {"class": "money"}})
    method = tables.Column(verbose_name=_("Method"))
    receipt_no = tables.Column(verbose_name=_("Receipt number"))
    kind = tables.Column(verbose_name=_("Kind"))
    team = tables.Column(accessor="team__code", verbose_name=_("Team"), default="—")
    recorded_by = tables.Column(verbose_name=_("Recorded by"), order_by=("recorded_by__username",))

    class Meta:
        model = Payment
        fields = []
        sequence = (
            "paid_at",
            "unit",
            "amount",
            "method",
            "receipt_no",
            "kind",
            "team",
            "recorded_by",
        )
        attrs = {**ATTRS, "data-testid": "payment-table"}
        order_by = ("-paid_at",)
        empty_text = _("No payments match these filters.")

    def render_unit(self, value, record):
        if record.case_id:
            return format_html(
                '<a href="{}">{}</a>', reverse("case-detail", args=[record.case_id]), value
            )
        return value

    def render_amount(self, record):
        return cny(record.signed_amount)

    def render_recorded_by(self, value):
        return person_name(value)


class AttemptTable(tables.Table):
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("When"))
    unit = tables.Column(accessor="household__unit_code", verbose_name=_("Unit"))
    channel = tables.Column(verbose_name=_("Channel"))
    person_contacted = tables.Column(verbose_name=_("Person contacted"))
    outcome = tables.Column(verbose_name=_("Outcome"))
    made_by = tables.Column(verbose_name=_("Made by"), order_by=("made_by__username",))
    breaches = tables.Column(accessor="all_breaches", verbose_name=_("Breaches"), orderable=False)

    class Meta:
        model = ContactAttempt
        fields = []
        sequence = (
            "occurred_at",
            "unit",
            "channel",
            "person_contacted",
            "outcome",
            "made_by",
            "breaches",
        )
        attrs = {**ATTRS, "data-testid": "attempt-table"}
        order_by = ("-occurred_at",)
        empty_text = _("No contact attempts match these filters.")

    def render_unit(self, value, record):
        if record.case_id:
            return format_html(
                '<a href="{}">{}</a>', reverse("case-detail", args=[record.case_id]), value
            )
        return value

    def render_made_by(self, value):
        return person_name(value)

    def render_breaches(self, value):
        return "; ".join(breach_message(code) for code in value) or "—"
