"""Migration 0015 keys existing receipts; rows that collide once normalised are all kept."""

import importlib
from decimal import Decimal as D

from django.apps import apps
from django.utils import timezone

from arrears.models import Payment
from arrears.receipts import receipt_keys_assign
from tests.conftest import record_payment

fill_receipt_keys = importlib.import_module("arrears.migrations.0015_receipt_key").fill_receipt_keys


def test_the_earliest_keeps_the_key_and_later_collisions_are_listed():
    keys, collisions = receipt_keys_assign(
        [(3, 1, "ｒ－１"), (1, 1, "R-1"), (2, 2, "R-1"), (4, 1, "R-2"), (5, 1, "R\u200b-1")]
    )
    assert keys == {1: "r-1", 2: "r-1", 3: None, 4: "r-2", 5: None}
    assert collisions == [(3, 1), (5, 1)]


def test_the_data_step_keeps_every_row_and_reports_the_collision(world, capsys):
    first = record_payment(world.house_a, "100.00", world.collector_a, receipt_no="R-1")
    # Typed another way before keys existed: the database held both.
    later = Payment.objects.create(
        office=world.office,
        household=world.house_b,
        amount=D("100.00"),
        allocated=D("0.00"),
        paid_at=timezone.now(),
        method="cash",
        receipt_no="ｒ－１",
        receipt_key=None,
        recorded_by=world.collector_b,
    )
    Payment.objects.filter(pk=first.pk).update(receipt_key="")
    fill_receipt_keys(apps, None)
    assert dict(Payment.objects.values_list("pk", "receipt_key")) == {
        first.pk: "r-1",
        later.pk: None,
    }
    assert Payment.objects.get(pk=later.pk).receipt_no == "ｒ－１"
    out = capsys.readouterr().out
    assert f"payment {later.pk} has the receipt of payment {first.pk}" in out
