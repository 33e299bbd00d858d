"""A raw POST naming a method that does not exist gets the rule and the law on every form."""

import pytest
from django.urls import reverse

from arrears.models import Payment
from escalation.models import PaymentPlan


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("停水停电", "utility_cutoff"),
        ("ｅｍｐｌｏｙｅｒ", "workplace_contact"),
        ("banner", "public_shaming"),
    ],
)
def test_a_payment_posting_a_method_as_its_method_is_refused_with_the_rule(
    client, world, value, rule
):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("payment-new", args=[world.case_a.pk]),
        {"amount": "100", "paid_at": "2026-11-25T10:00", "method": value},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-rule="{rule}"' in page and "Select a valid choice" not in page
    assert not Payment.objects.exists()


def test_a_plan_posting_a_method_is_refused_and_nothing_saved(client, world):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("plan-new", args=[world.case_a.pk]),
        {"agreed_on": "2026-11-25", "instalments": "2026-12-15 100", "method": "断水断电"},
    )
    assert response.status_code == 400
    assert 'data-rule="utility_cutoff"' in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_a_lawful_post_passes_through(client, world):
    client.force_login(world.collector_a)
    response = client.post(
        reverse("payment-new", args=[world.case_a.pk]),
        {"amount": "100", "paid_at": "2026-11-25T10:00", "method": "wechat"},
    )
    assert response.status_code != 400


def test_a_user_without_the_permission_is_still_refused_access_first(client, world):
    client.force_login(world.site)
    response = client.post(reverse("payment-new", args=[world.case_a.pk]), {"method": "停水停电"})
    assert response.status_code == 403
