"""Property-based: no query string and no POST makes a page answer 500, or stores a row that
breaks an invariant (issue 12).

Each list page and report gets arbitrary values for its real parameter names; each form view
gets arbitrary values for its form's field names (text, dates near and far, numbers such as
NaN and 1e999999, and Hypothesis's own values for the form, `from_form`). After each example
every stored row must still hold: a month never paid beyond its amount, a payment never
allocated beyond its amount, no attempt in the future or before 2000, no plan instalment
out of range.

The `world` is built once per test function and reused across its examples (the database is
rolled back after the function), so the file runs in well under a minute on SQLite.
"""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form, register_field_strategy

from arrears.forms import IssueForm, PaymentForm, ReversalForm
from arrears.inputs import (
    EARLIEST_DATE,
    MoneyField,
    SaneDateField,
    SaneDateTimeField,
    latest_date,
)
from arrears.models import DebtPeriod, Payment, PaymentAllocation, PromiseToPay
from escalation.models import PaymentPlan
from households.forms import WrittenOnlyForm
from households.models import ContactAttempt, ContactPolicy
from tests.test_access_matrix import Objects

# Derandomized: the same examples on every run, so a failure here is reproducible and no
# example database (.hypothesis/) is written.
FUZZ = settings(
    max_examples=15,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

# Text a browser can send: no lone surrogates (they cannot be encoded, nothing the app sees).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
LONG_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=250, max_size=600)
TRICKY = st.sampled_from(
    [
        "",
        "0",
        "-1",
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        "1e999999",
        "99999999999999999999",
        "0001-01-01",
        "9999-12-31",
        "1999-12-31",
        "2026-02-30",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        "2026-03-16T25:00",
        "\x00",
        "<script>",
        "' OR 1=1 --",
        "²",
        "١٢",
    ]
)
DATES = st.dates().map(datetime.date.isoformat)
MOMENTS = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M"))
NUMBERS = st.one_of(
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)
VALUE = st.one_of(TRICKY, TEXT, DATES, MOMENTS, NUMBERS)

# The project's own fields, for from_form (which keeps only values the field's validators
# accept): amounts of any sign, dates around the allowed range. The raw posts above send the
# rest (NaN, year 1, 9999-12-31).
register_field_strategy(MoneyField, st.decimals(min_value=-(10**10), max_value=10**10, places=2))
register_field_strategy(
    SaneDateField,
    st.dates(min_value=datetime.date(1995, 1, 1), max_value=datetime.date(2040, 12, 31)),
)
register_field_strategy(
    SaneDateTimeField,
    st.datetimes(
        min_value=datetime.datetime(1995, 1, 1), max_value=datetime.datetime(2040, 12, 31)
    ),
)


# The values that once answered 500, tried first on every parameter at once (then Hypothesis
# draws its own): with 20 drawn examples it might not meet them.
EXTREMES = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "NaN",
    "sNaN",
    "1e999999",
    "99999999999999999999",
    "-1",
    "\x00",
]


def with_extremes(names, key):
    """Decorate a @given test with one explicit example per extreme value."""

    def decorate(test):
        for value in EXTREMES:
            test = example(**{key: dict.fromkeys(names, value)})(test)
        return test

    return decorate


def queries(names):
    """A query dict over the given parameter names, each present or not."""
    return st.dictionaries(st.sampled_from(names), VALUE, max_size=len(names))


def posts(names):
    return st.fixed_dictionaries({}, optional={name: st.one_of(VALUE, LONG_TEXT) for name in names})


def assert_invariants():
    now = timezone.now()
    assert not DebtPeriod.objects.filter(amount_paid__gt=F("amount_due")).exists()
    assert not DebtPeriod.objects.filter(amount_paid__lt=0).exists()
    for payment in Payment.objects.all():
        allocated = PaymentAllocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))
        assert (allocated["s"] or Decimal(0)) <= abs(payment.amount)
        assert payment.amount.is_finite()
        assert EARLIEST_DATE <= timezone.localdate(payment.paid_at) <= latest_date()
    for attempt in ContactAttempt.objects.all():
        assert attempt.occurred_at <= now + datetime.timedelta(minutes=1)
        assert timezone.localdate(attempt.occurred_at) >= EARLIEST_DATE
    for promise in PromiseToPay.objects.all():
        assert promise.amount > 0
        assert EARLIEST_DATE <= promise.due_date <= latest_date()
    for plan in PaymentPlan.objects.prefetch_related("instalments"):
        for instalment in plan.instalments.all():
            assert instalment.amount.is_finite() and instalment.amount > 0
            assert EARLIEST_DATE <= instalment.due_date <= latest_date()
    for policy in ContactPolicy.objects.all():
        policy.full_clean()


def assert_lengths():
    """No stored text is longer than its column: SQLite would keep it, PostgreSQL refuses the
    row (a 500). Checked once after a test's examples, over every model of the project."""
    from django.apps import apps
    from django.db.models import CharField
    from django.db.models.functions import Length

    for app in ("arrears", "households", "escalation", "teams"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, CharField) and field.max_length:
                    too_long = model.objects.annotate(n=Length(field.attname)).filter(
                        n__gt=field.max_length
                    )
                    assert not too_long.exists(), (model.__name__, field.name)


# --- the lists and reports -------------------------------------------------------------------

LISTS = [
    (
        "case-list",
        (),
        [
            "q",
            "team",
            "responsible",
            "category",
            "status",
            "occupancy",
            "building",
            "balance_min",
            "balance_max",
            "ageing",
            "overdue",
            "sort",
            "page",
            "export",
        ],
    ),
    (
        "payment-list",
        (),
        ["date_from", "date_to", "unit", "method", "kind", "receipt_no", "sort", "page", "export"],
    ),
    (
        "attempt-list",
        (),
        ["date_from", "date_to", "unit", "channel", "outcome", "breaches_only", "sort", "page"],
    ),
    ("letter-list", (), ["id", "status", "format", "page"]),
    ("issue-list", (), ["show", "page"]),
    ("summary-list", (), ["kind"]),
    ("weekly-report", (), ["week_of"]),
    ("breach-list", (), ["days", "page"]),
    ("inbox", (), ["page"]),
    ("desk", (), ["page"]),
]
CAMPAIGN_LISTS = [
    ("leaderboard", ["period"]),
    ("assessment", ["period"]),
    ("campaign-split", ["mode"]),
]


@pytest.mark.parametrize(("name", "args", "params"), LISTS, ids=[x[0] for x in LISTS])
def test_no_query_string_breaks_a_list_or_report(client, world, name, args, params):
    client.force_login(world.admin if name != "desk" else world.collector_a)
    url = reverse(name, args=args)

    @FUZZ
    @with_extremes(params, "query")
    @given(query=queries(params))
    def check(query):
        assert client.get(url, query).status_code < 500

    check()


@pytest.mark.parametrize(("name", "params"), CAMPAIGN_LISTS, ids=[x[0] for x in CAMPAIGN_LISTS])
def test_no_query_string_breaks_a_campaign_page(client, world, name, params):
    client.force_login(world.manager)
    url = reverse(name, args=[world.campaign.pk])

    @FUZZ
    @with_extremes(params, "query")
    @given(query=queries(params))
    def check(query):
        assert client.get(url, query).status_code < 500

    check()


def test_no_query_string_breaks_the_case_pages(client, world):
    client.force_login(world.manager)
    urls = [
        reverse("case-detail", args=[world.case_a.pk]),
        reverse("case-letter", args=[world.case_a.pk, "demand"]),
        reverse("attempt-new", args=[world.case_a.pk]),
    ]

    @FUZZ
    @given(url=st.sampled_from(urls), query=queries(["days", "format", "channel", "outcome"]))
    def check(url, query):
        assert client.get(url, query).status_code < 500

    check()


# --- the forms --------------------------------------------------------------------------------

ATTEMPT_FIELDS = [
    "channel",
    "person_contacted",
    "outcome",
    "occurred_at",
    "notes",
    "next_step",
    "next_step_date",
    "at_owners_request",
    "owners_request_note",
    "owner_walked_in",
    "delivery",
    "callback_at",
    "staff_count",
    "message_has_opt_out",
    "third_party_told_of_debt",
    "promise_amount",
    "promise_date",
]
POLICY_FIELDS = [
    "allowed_from",
    "allowed_until",
    "calls_per_day",
    "calls_per_7_days",
    "quiet_days_after_conversation",
    "messages_per_day",
    "messages_per_7_days",
    "visits_per_7_days",
    "visit_staff_recommended",
    "visit_staff_max",
]


def _case_forms(world):
    """(user, url, field names) of each form on case_a."""
    pk = world.case_a.pk
    return [
        (
            world.collector_a,
            reverse("payment-new", args=[pk]),
            ["amount", "paid_at", "method", "receipt_no", "note"],
        ),
        (world.collector_a, reverse("attempt-new", args=[pk]), ATTEMPT_FIELDS),
        (world.collector_a, reverse("issue-new", args=[pk]), ["title", "description"]),
        (world.collector_a, reverse("plan-new", args=[pk]), ["agreed_on", "instalments", "note"]),
        (world.collector_a, reverse("written-only", args=[pk]), ["since", "reason", "clear"]),
        (world.manager, reverse("letter-issue", args=[pk, "demand"]), ["deadline_days"]),
        (world.manager, reverse("contact-policy"), POLICY_FIELDS),
        (world.site, reverse("tip-new", args=[world.house_a.pk]), ["kind", "note"]),
        (world.director, reverse("summary-run"), ["kind", "date"]),
        (world.manager, reverse("campaign-split", args=[world.campaign.pk]), ["mode", "commit"]),
        (world.manager, reverse("letter-batch"), ["kind", "deadline_days", "case"]),
        (world.manager, reverse("inbox-read"), ["id"]),
    ]


@pytest.mark.parametrize("index", range(12))
def test_no_post_to_a_form_breaks_it_or_the_records(client, world, settings, tmp_path, index):
    settings.MEDIA_ROOT = tmp_path
    user, url, fields = _case_forms(world)[index]
    client.force_login(user)

    @FUZZ
    @with_extremes(fields, "data")
    @given(data=posts(fields))
    def check(data):
        assert client.post(url, data).status_code < 500
        assert_invariants()

    check()
    assert_lengths()


OBJECT_FORMS = [
    ("payment-reverse", lambda o: [o.payment.pk], ["reason"]),
    ("issue-detail", lambda o: [o.issue.pk], ["text", "decision"]),
    (
        "letter-record",
        lambda o: [o.letter.pk, "dispatch"],
        ["method", "sent_on", "tracking_number"],
    ),
    (
        "letter-record",
        lambda o: [o.letter.pk, "delivery"],
        ["method", "delivered_on", "proof", "proof_detail"],
    ),
    ("letter-record", lambda o: [o.sent_letter.pk, "return"], ["returned_on", "return_reason"]),
    (
        "legal-step",
        lambda o: [o.legal_action.pk],
        [
            "stage",
            "on",
            "institution",
            "docket_number",
            "court_fees",
            "awarded",
            "costs_awarded",
            "note",
        ],
    ),
    ("waiver-decide", lambda o: [o.waiver.pk], ["decision", "note"]),
]


@pytest.mark.parametrize("index", range(len(OBJECT_FORMS)))
def test_no_post_to_the_objects_forms_breaks_them(client, world, settings, tmp_path, index):
    """The forms on a payment, an issue, a letter, a legal action and a waiver."""
    settings.MEDIA_ROOT = tmp_path
    name, args, fields = OBJECT_FORMS[index]
    url = reverse(name, args=args(Objects(world)))
    client.force_login(world.manager)

    @FUZZ
    @with_extremes(fields, "data")
    @given(data=posts(fields))
    def check(data):
        assert client.post(url, data).status_code < 500
        assert_invariants()

    check()
    assert_lengths()


def _as_post(form) -> dict:
    """A bound form's data as a browser would post it."""
    out = {}
    for name, value in form.data.items():
        if value is None or value is False:
            continue
        if isinstance(value, datetime.datetime):
            value = value.strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        out[name] = str(value)
    return out


FORMS_ON_CASE_A = [
    (PaymentForm, "payment-new"),
    (IssueForm, "issue-new"),
    (WrittenOnlyForm, "written-only"),
]


@pytest.mark.parametrize(("form_class", "name"), FORMS_ON_CASE_A, ids=lambda x: str(x))
def test_what_hypothesis_makes_of_each_form_is_answered(client, world, form_class, name):
    client.force_login(world.collector_a)
    url = reverse(name, args=[world.case_a.pk])

    @FUZZ
    @given(form=from_form(form_class))
    def check(form):
        assert client.post(url, _as_post(form)).status_code < 500
        assert_invariants()

    check()
    assert_lengths()


def test_a_reversal_reason_from_hypothesis_is_answered(client, world):
    payment = Objects(world).payment
    client.force_login(world.manager)
    url = reverse("payment-reverse", args=[payment.pk])

    @FUZZ
    @given(form=from_form(ReversalForm))
    def check(form):
        assert client.post(url, _as_post(form)).status_code < 500
        assert_invariants()

    check()
    assert_lengths()
