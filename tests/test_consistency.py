"""One way to do the things every part of the desk does (issue 13): name a person, hold an
amount, and call a service (keyword arguments only, the acting user always `by`)."""

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from arrears.inputs import MoneyField
from arrears.models import Role, StaffProfile
from arrears.money import CENT, MONEY, ZERO, money_field
from arrears.people import person_name
from arrears.templatetags.desk import person
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[1]
APPS = ["arrears", "households", "teams", "escalation", "imports", "summaries", "reports", "desk"]


def sources() -> dict[str, str]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[str(path.relative_to(ROOT))] = path.read_text()
    return found


SOURCES = sources()


def lines_matching(pattern: str, *, allowed: set[str]) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path}:{number}: {line.strip()}"
        for path, text in SOURCES.items()
        if path not in allowed
        for number, line in enumerate(text.splitlines(), 1)
        if regex.search(line)
    ]


# --- a person's name -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_is_named_by_the_profile_else_the_username():
    named = make_user("wangfang", Role.COLLECTOR, name="王芳")
    unnamed = make_user("lisi", Role.COLLECTOR)
    StaffProfile.objects.filter(user=unnamed).update(display_name="")
    unnamed.refresh_from_db()
    bare = make_user("zhao", Role.COLLECTOR)
    StaffProfile.objects.filter(user=bare).delete()
    bare.refresh_from_db()
    assert person_name(named) == "王芳"
    assert person_name(unnamed) == "lisi"
    assert person_name(bare) == "zhao"
    assert person_name(None) == ""
    # The template filter is the same function.
    assert [person(u) for u in (named, unnamed, bare, None)] == ["王芳", "lisi", "zhao", ""]


def test_no_module_builds_a_persons_name_itself():
    # The profile's own __str__ is the rule itself; the ledger import matches a typed name
    # against the profiles, which is not naming.
    allowed = {"arrears/people.py", "arrears/models.py", "imports/ledger_import.py"}
    assert lines_matching(r"\.display_name\b|\bget_full_name\b", allowed=allowed) == []


# --- money ---------------------------------------------------------------------------------


def test_money_has_one_zero_one_cent_and_one_column():
    assert (Decimal("0.00"), Decimal("0.01")) == (ZERO, CENT)
    assert (MONEY.max_digits, MONEY.decimal_places) == (14, 2)
    name, path, args, kwargs = money_field("amount", default=ZERO).deconstruct()
    # Migrations see a plain DecimalField: moving the definition changed no table.
    assert path == "django.db.models.DecimalField"
    assert kwargs == {
        "verbose_name": "amount",
        "max_digits": 12,
        "decimal_places": 2,
        "default": ZERO,
    }
    field = MoneyField()
    assert (field.max_digits, field.decimal_places) == (12, 2)


def test_every_amount_column_is_a_money_column():
    not_money = {"area_m2", "rate_per_m2"}
    columns = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in APPS
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField)
        and field.name not in not_money
        and (field.max_digits, field.decimal_places) != (12, 2)
    ]
    assert columns == []


def test_no_module_defines_its_own_zero_cent_or_money_field():
    # arrears.inputs holds the form field of an amount, built on arrears.money's digits.
    allowed = {"arrears/money.py", "arrears/inputs.py"}
    own = lines_matching(
        r"^[A-Z_]+\s*=.*(\bDecimal\(\"0(\.\d+)?\"\)|\bDecimalField\()|max_digits", allowed=allowed
    )
    # Areas and rates are not money.
    assert [line for line in own if "area" not in line and "rate_per_m2" not in line] == []


# --- services ------------------------------------------------------------------------------

# What the acting user was called before it was `by` everywhere.
ACTOR_NAMES = {
    "actor",
    "author",
    "created_by",
    "decided_by",
    "made_by",
    "raised_by",
    "recorded_by",
    "reported_by",
    "resolved_by",
    "reviewed_by",
}


def public_functions():
    for path, text in SOURCES.items():
        if path.endswith(("views.py", "admin.py", "tasks.py")) or "/management/" in path:
            continue  # entry points, not services
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                yield path, node


def test_services_take_keywords_and_the_acting_user_is_by():
    wrong = []
    for path, node in public_functions():
        positional = [a.arg for a in node.args.posonlyargs + node.args.args]
        keywords = [a.arg for a in node.args.kwonlyargs]
        if ACTOR_NAMES & set(positional + keywords):
            wrong.append(f"{path}: {node.name} names the acting user other than `by`")
        if "by" in keywords and positional:
            wrong.append(f"{path}: {node.name} takes {positional} by position")
    assert wrong == []
