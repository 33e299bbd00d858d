"""What a payment counts as arrears collected: only what went to debt periods.

`Payment.allocated` is the sum of the payment's `PaymentAllocation` rows, written in the same
transaction (arrears.payments); a reversal carries the same figure. Money beyond what the
household owed is its credit (arrears.credit): kept, refundable, set against later months,
and never counted as collected. Every report sums this expression, never `Payment.amount`.
"""

from django.db.models import Case as Switch  # "Case" is our model's name
from django.db.models import F, When

from arrears.models import Payment
from arrears.money import MONEY


def collected(prefix: str = "") -> Switch:
    """Signed arrears collected by a Payment row (`prefix` like "payments__" for a join)."""
    return Switch(
        When(**{f"{prefix}kind": Payment.Kind.REVERSAL}, then=-F(f"{prefix}allocated")),
        default=F(f"{prefix}allocated"),
        output_field=MONEY,
    )
