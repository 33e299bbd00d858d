from decimal import Decimal as D

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from arrears.models import Case, Payment

MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in {"arrears", "households", "teams"}),
    key=lambda m: m._meta.label,
)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_changelist_renders_with_search_for_the_administrator(client, world, model):
    client.force_login(world.admin)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "C6"}).status_code == 200


def test_other_roles_cannot_open_the_admin(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_a_payment_added_in_the_admin_is_allocated_like_any_other(client, world):
    client.force_login(world.admin)
    now = timezone.localtime()
    response = client.post(
        reverse("admin:arrears_payment_add"),
        {
            "household": world.house_a.pk,
            "case": "",
            "amount": "250.00",
            "paid_at_0": now.strftime("%Y-%m-%d"),
            "paid_at_1": now.strftime("%H:%M:%S"),
            "method": "cash",
            "receipt_no": "ADM-1",
            "note": "前台补录",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = Payment.objects.get(receipt_no="ADM-1")
    assert payment.allocated == D("250.00")
    assert payment.recorded_by == world.admin
    assert payment.case == world.case_a
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.PARTLY_PAID


def _admin_payment(**changes):
    now = timezone.localtime()
    data = {
        "household": "",
        "case": "",
        "amount": "250.00",
        "paid_at_0": now.strftime("%Y-%m-%d"),
        "paid_at_1": now.strftime("%H:%M:%S"),
        "method": "cash",
        "receipt_no": "ADM-1",
        "note": "",
    }
    data.update(changes)
    return data


def test_the_admin_refuses_a_receipt_typed_another_way_on_the_form(client, world, settings):
    from tests.conftest import record_payment

    record_payment(world.house_b, "10.00", world.admin, receipt_no="ADM-1")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:arrears_payment_add"),
        _admin_payment(household=world.house_a.pk, receipt_no="ａｄｍ－１"),
    )
    assert response.status_code == 200
    assert "is already recorded in this office" in response.content.decode()
    assert Payment.objects.count() == 1


def test_the_admin_asks_to_confirm_an_excess(client, world, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(world.admin)
    url = reverse("admin:arrears_payment_add")
    response = client.post(url, _admin_payment(household=world.house_a.pk, amount="1700.01"))
    assert response.status_code == 200
    assert "¥0.01 more than the household owes (¥1,700.00)" in response.content.decode()
    assert not Payment.objects.exists()
    response = client.post(
        url, _admin_payment(household=world.house_a.pk, amount="1700.01", confirm_excess="on")
    )
    assert response.status_code == 302
    assert Payment.objects.get().allocated == D("1700.00")


def test_recorded_payments_cannot_be_changed_or_deleted_in_the_admin(client, world):
    from tests.conftest import record_payment

    payment = record_payment(world.house_a, "10.00", world.admin)
    client.force_login(world.admin)
    change = reverse("admin:arrears_payment_change", args=[payment.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="amount"' not in page.content.decode()
    delete = reverse("admin:arrears_payment_delete", args=[payment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Payment.objects.filter(pk=payment.pk).exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_absurd_date_in_the_admin_is_refused_with_the_range(client, world, settings, day):
    client.force_login(world.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message as written (its msgid)
    response = client.post(
        reverse("admin:arrears_payment_add"),
        {
            "household": world.house_a.pk,
            "case": "",
            "amount": "250.00",
            "paid_at_0": day,
            "paid_at_1": "10:00:00",
            "method": "cash",
            "receipt_no": "ADM-2",
        },
    )
    assert response.status_code == 200
    assert "Enter a date from 2000-01-01" in response.content.decode()
    assert not Payment.objects.filter(receipt_no="ADM-2").exists()
    response = client.post(
        reverse("admin:arrears_feerate_add"),
        {"office": world.office.pk, "rate_per_m2": "1.80", "effective_from": day},
    )
    assert response.status_code == 200
    assert "Enter a date from 2000-01-01" in response.content.decode()


def test_a_payment_dated_tomorrow_in_the_admin_is_refused_on_the_form(client, world):
    client.force_login(world.admin)
    tomorrow = timezone.localtime() + timezone.timedelta(days=1)
    response = client.post(
        reverse("admin:arrears_payment_add"),
        {
            "household": world.house_a.pk,
            "case": "",
            "amount": "250.00",
            "paid_at_0": tomorrow.strftime("%Y-%m-%d"),
            "paid_at_1": "10:00:00",
            "method": "cash",
            "receipt_no": "ADM-3",
        },
    )
    assert response.status_code == 200
    assert not Payment.objects.filter(receipt_no="ADM-3").exists()
