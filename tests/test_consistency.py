"""One way to do the things every part of the desk does (issue 13): hold an amount."""

import re
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.db import models

from arrears.inputs import MoneyField
from arrears.money import CENT, MONEY, ZERO, money_field

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
