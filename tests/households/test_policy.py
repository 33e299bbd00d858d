"""An office's contact policy may be stricter than DESIGN.md §5.3, never looser (issue 11.1).

Every number is checked four times over: by the page's form (with the default and the law in
the message), by the model, by a database CHECK constraint (a raw UPDATE fails), and by
Rules.from_policy, which never builds looser rules even from a stale object.
"""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from households.contact_policy import (
    CALLS_PER_DAY,
    POLICY_DEFAULTS,
    POLICY_LIMITS,
    Attempt,
    Rules,
    check_attempt,
)
from households.models import ContactPolicy

SH = ZoneInfo("Asia/Shanghai")

# The product defaults, as the page posts them.
DEFAULTS = {
    "allowed_from": "08:00",
    "allowed_until": "21:00",
    "calls_per_day": "2",
    "calls_per_7_days": "7",
    "quiet_days_after_conversation": "7",
    "messages_per_day": "1",
    "messages_per_7_days": "3",
    "visits_per_7_days": "1",
    "visit_staff_recommended": "2",
    "visit_staff_max": "3",
}
# One step looser than the default, per field: the boundary.
ONE_STEP_LOOSER = {
    "allowed_from": "07:59",
    "allowed_until": "21:01",
    "calls_per_day": "3",
    "calls_per_7_days": "8",
    "quiet_days_after_conversation": "6",
    "messages_per_day": "2",
    "messages_per_7_days": "4",
    "visits_per_7_days": "2",
    "visit_staff_recommended": "1",
    "visit_staff_max": "4",
}
# What the office manager saved in the report (and more).
SEEN_IN_THE_ISSUE = {
    "calls_per_day": "32767",
    "calls_per_7_days": "100",
    "quiet_days_after_conversation": "0",
    "messages_per_day": "9",
    "messages_per_7_days": "30",
    "visits_per_7_days": "7",
}
# The legal anchor each refusal must name (from _BASES).
ANCHOR = {
    "allowed_from": "Civil Code art. 1033",
    "allowed_until": "Civil Code art. 1033",
    "calls_per_day": "Civil Code art. 1033",
    "calls_per_7_days": "more than 7 calls in 7 days",
    "quiet_days_after_conversation": "within 7 days after a conversation",
    "messages_per_day": "harassing messages",
    "messages_per_7_days": "harassing messages",
    "visits_per_7_days": "stalking and pestering",
    "visit_staff_recommended": "at least two staff",
    "visit_staff_max": "never more than 3 staff",
}
FIELDS = list(DEFAULTS)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _post(client, world, **changes):
    client.force_login(world.manager)
    return client.post(reverse("contact-policy"), {**DEFAULTS, **changes})


def _update(field):
    """A raw UPDATE of one field (the table and field names are the model's, not input)."""
    return f"UPDATE {ContactPolicy._meta.db_table} SET {field} = %s WHERE id = %s"  # noqa: S608


def _sql_value(field, value):
    return f"{value}:00" if field in ("allowed_from", "allowed_until") else int(value)


# --- One source of truth -------------------------------------------------------------------


def test_the_limits_cover_every_number_of_the_policy_and_of_the_rules():
    numbers = [f.name for f in ContactPolicy._meta.fields if f.name not in ("id", "office")]
    assert [limit.field for limit in POLICY_LIMITS] == numbers == FIELDS
    assert set(Rules.__dataclass_fields__) >= set(numbers)


def test_model_defaults_rules_defaults_and_the_limits_are_the_same_numbers():
    for limit in POLICY_LIMITS:
        assert ContactPolicy._meta.get_field(limit.field).default == limit.default
        assert getattr(Rules(), limit.field) == limit.default
    assert POLICY_DEFAULTS["calls_per_day"] == 2
    assert POLICY_DEFAULTS["quiet_days_after_conversation"] == 7


# --- Through the page ----------------------------------------------------------------------


def test_the_defaults_themselves_are_accepted(client, world):
    response = _post(client, world)
    assert response.status_code == 302
    policy = ContactPolicy.objects.get(office=world.office)
    assert Rules.from_policy(policy) == Rules()


def test_stricter_values_everywhere_are_accepted(client, world):
    stricter = {
        "allowed_from": "09:00",
        "allowed_until": "20:00",
        "calls_per_day": "0",
        "calls_per_7_days": "3",
        "quiet_days_after_conversation": "14",
        "messages_per_day": "0",
        "messages_per_7_days": "1",
        "visits_per_7_days": "0",
        "visit_staff_recommended": "3",
        "visit_staff_max": "3",
    }
    assert _post(client, world, **stricter).status_code == 302
    policy = ContactPolicy.objects.get(office=world.office)
    assert (policy.calls_per_day, policy.quiet_days_after_conversation) == (0, 14)
    assert policy.visit_staff_recommended == 3


@pytest.mark.parametrize("field", FIELDS)
def test_one_step_looser_is_refused_on_the_page_with_the_default_and_the_law(client, world, field):
    response = _post(client, world, **{field: ONE_STEP_LOOSER[field]})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    message = " ".join(errors[field])
    assert DEFAULTS[field] in message
    assert "never looser" in message
    assert ANCHOR[field] in message
    # The page shows it under the field, and nothing was saved.
    page = response.content.decode()
    assert "never looser" in page
    assert (
        not ContactPolicy.objects.filter(office=world.office)
        .exclude(**{field: ContactPolicy._meta.get_field(field).default})
        .exists()
    )


def test_what_the_issue_saw_is_refused_field_by_field_and_nothing_is_saved(client, world):
    response = _post(client, world, **SEEN_IN_THE_ISSUE)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == set(SEEN_IN_THE_ISSUE)
    policy = ContactPolicy.objects.get(office=world.office)
    assert Rules.from_policy(policy) == Rules()
    assert not policy.history.filter(history_type="~").exists()  # only its creation


def test_a_looser_value_with_stricter_ones_saves_none_of_them(client, world):
    response = _post(client, world, calls_per_day="1", visits_per_7_days="2")
    assert response.status_code == 200
    assert ContactPolicy.objects.get(office=world.office).calls_per_day == 2


def test_each_field_says_its_default_and_which_way_is_stricter(client, world):
    client.force_login(world.manager)
    form = client.get(reverse("contact-policy")).context["form"]
    assert form["calls_per_day"].help_text == "Default 2; fewer is stricter."
    assert form["quiet_days_after_conversation"].help_text == "Default 7; more is stricter."
    assert form["allowed_from"].help_text == "Default 08:00; later is stricter."
    assert form["allowed_until"].help_text == "Default 21:00; earlier is stricter."


# --- The model -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
def test_the_model_refuses_a_looser_value(world, field):
    value = ONE_STEP_LOOSER[field]
    if field in ("allowed_from", "allowed_until"):
        value = datetime.time.fromisoformat(value)
    else:
        value = int(value)
    policy = ContactPolicy(office=world.office, **{field: value})
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert field in caught.value.message_dict
    assert ANCHOR[field] in " ".join(caught.value.message_dict[field])


def test_the_model_accepts_the_defaults(world):
    policy = ContactPolicy(office=world.office)
    policy.full_clean()  # raises if any default were refused
    policy.save()
    assert ContactPolicy.objects.get(office=world.office).calls_per_day == 2


def test_two_staff_recommended_needs_a_maximum_of_at_least_two(world):
    policy = ContactPolicy(office=world.office, visit_staff_max=1)
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert "cannot exceed the maximum" in str(caught.value)


# --- The database --------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
def test_a_raw_update_that_loosens_a_field_fails(world, field):
    policy = ContactPolicy.objects.create(office=world.office)
    value = _sql_value(field, ONE_STEP_LOOSER[field])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_update(field), [value, policy.pk])
    policy.refresh_from_db()
    assert Rules.from_policy(policy) == Rules()


@pytest.mark.parametrize("field", FIELDS)
def test_a_raw_update_to_the_default_or_stricter_succeeds(world, field):
    policy = ContactPolicy.objects.create(office=world.office, visit_staff_recommended=3)
    value = _sql_value(field, DEFAULTS[field])
    if field == "visit_staff_recommended":
        value = 3  # stricter: more staff advised, still within the maximum
    with connection.cursor() as cursor:
        cursor.execute(_update(field), [value, policy.pk])
    policy.refresh_from_db()
    assert getattr(policy, field) == ContactPolicy._meta.get_field(field).to_python(value)


# --- The rules engine, from a stale object ------------------------------------------------


def test_rules_from_a_stale_looser_object_are_the_defaults():
    stale = SimpleNamespace(
        allowed_from=datetime.time(6, 0),
        allowed_until=datetime.time(23, 0),
        calls_per_day=32767,
        calls_per_7_days=100,
        quiet_days_after_conversation=0,
        messages_per_day=9,
        messages_per_7_days=30,
        visits_per_7_days=7,
        visit_staff_recommended=1,
        visit_staff_max=10,
    )
    assert Rules.from_policy(stale) == Rules()


def test_rules_from_policy_keep_stricter_values_and_clamp_only_the_looser_ones():
    mixed = SimpleNamespace(calls_per_day=1, calls_per_7_days=50, quiet_days_after_conversation=10)
    rules = Rules.from_policy(mixed)
    assert (rules.calls_per_day, rules.calls_per_7_days) == (1, 7)
    assert rules.quiet_days_after_conversation == 10


def test_eight_calls_in_a_day_under_a_stale_looser_policy_breach_from_the_third():
    stale = ContactPolicy(calls_per_day=32767, calls_per_7_days=100)  # unsaved, never valid
    rules = Rules.from_policy(stale)
    calls = [
        Attempt(
            occurred_at=datetime.datetime(2026, 11, 25, 9 + i, 0, tzinfo=SH), channel="phone_call"
        )
        for i in range(8)
    ]
    verdicts = [
        check_attempt(c, history=calls[:i], rules=rules, tz=SH) for i, c in enumerate(calls)
    ]
    breached = [CALLS_PER_DAY in v.breach_codes for v in verdicts]
    assert breached == [False, False] + [True] * 6
