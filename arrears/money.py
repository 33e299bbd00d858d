"""Money as the desk keeps it: yuan with two decimals, the same column everywhere.

- `ZERO` and `CENT` are the nothing and the smallest amount;
- `money_field` is the model field of every amount (12 digits, 2 decimals): changing it
  changes every table, so migrations see a plain DecimalField;
- `MONEY` is the output field of sums and other money expressions in queries (14 digits:
  a sum of many amounts may be longer than one);
- the form field of an amount is `arrears.inputs.MoneyField`, built on the same digits.
"""

from decimal import Decimal

from django.db import models

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY_DIGITS = 12
MONEY_PLACES = 2
SUM_DIGITS = 14

MONEY = models.DecimalField(max_digits=SUM_DIGITS, decimal_places=MONEY_PLACES)


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """The model field of an amount in yuan."""
    return models.DecimalField(
        verbose_name, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs
    )
