"""The pages every import shares (imports.flow): the mapping step, saved per office and kind,
the preview's list of columns, warnings accepted with a tick, uploads kept with their kind."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from arrears.models import Case
from households.models import Household
from imports.models import ColumnMapping
from tests.imports.test_ledger_import import huating, in_english  # noqa: F401 - fixtures

ODD_HEADERS = ["门牌", "户名", "从", "到", "钱", "组", "类别"]
ODD_ROW = ["N7-701", "王五", "2015-01", "2015-05", 500, "A", "空关"]
MAPPING = {"门牌": "unit", "户名": "owner", "从": "first_month", "到": "last_month", "钱": "total"}


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, campaign, data: bytes, name="ledger.xlsx"):
    return client.post(
        reverse("ledger-import"),
        {
            "campaign": campaign.pk,
            "file": SimpleUploadedFile(name, data),
            "create_households": "on",
        },
    )


def answer(client, response, choices: dict, url="ledger-import-columns"):
    """Post the mapping step: header → field (or "ignore"); other columns left as they are."""
    form = response.context["form"]
    data = {"token": response.context["token"], "save": "1"}
    for column, bound in form.rows():
        data[bound.html_name] = choices.get(column.header, bound.initial or "")
    return client.post(reverse(url), data)


def test_headers_not_recognised_lead_to_the_mapping_step_then_the_preview(client, world, var_dir):
    client.force_login(world.manager)
    response = upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="columns-form"' in page
    rows = [(c.letter, c.header, c.samples) for c, _f in response.context["form"].rows()]
    assert rows[0] == ("A", "门牌", ["N7-701"])
    assert not Household.objects.filter(unit_code="N7-701").exists()

    response = answer(client, response, {**MAPPING, "组": "ignore"})
    assert response.status_code == 200
    assert 'data-testid="import-ok"' in response.content.decode()
    saved = dict(
        ColumnMapping.objects.filter(office=world.office, kind="ledger").values_list(
            "header", "field"
        )
    )
    assert saved == {**MAPPING, "组": "", "类别": "category"}
    # The commit reads the file with the same columns.
    response = client.post(reverse("ledger-import-commit"), {"token": response.context["token"]})
    assert 'data-testid="import-report"' in response.content.decode()
    house = Household.objects.get(office=world.office, unit_code="N7-701")
    assert house.debt_periods.count() == 5
    assert Case.objects.get(household=house).team is None  # 组 was ignored


def test_the_saved_mapping_is_applied_next_time(client, world, var_dir):
    for header, field in {**MAPPING, "组": ""}.items():
        ColumnMapping.objects.create(office=world.office, kind="ledger", header=header, field=field)
    client.force_login(world.manager)
    response = upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW))
    page = response.content.decode()
    assert 'data-testid="import-ok"' in page  # straight to the preview
    assert "your saved choice" in page
    assert response.context["parsed"].columns["unit"] == "门牌"


def test_another_offices_mapping_is_never_applied(client, huating, var_dir):
    for header, field in MAPPING.items():
        ColumnMapping.objects.create(
            office=huating.office, kind="ledger", header=header, field=field
        )
    ColumnMapping.objects.create(
        office=huating.h_office, kind="payments", header="门牌", field="unit"
    )
    client.force_login(huating.h_manager)
    response = upload(client, huating.h_campaign, xlsx(ODD_HEADERS, ODD_ROW))
    assert 'data-testid="columns-form"' in response.content.decode()


def test_a_posted_field_that_does_not_exist_is_refused(client, world, var_dir):
    client.force_login(world.manager)
    response = upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW))
    token = response.context["token"]
    data = {"token": token, "save": "1", "col_0": "unit_code; DROP TABLE", "col_1": "is_staff"}
    response = client.post(reverse("ledger-import-columns"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ColumnMapping.objects.exists()


def test_one_field_for_two_columns_is_refused(client, world, var_dir):
    client.force_login(world.manager)
    response = upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW))
    response = answer(client, response, {**MAPPING, "户名": "unit"})
    assert 'data-testid="columns-error"' in response.content.decode()
    assert not ColumnMapping.objects.exists()


def test_the_mapping_step_asks_again_while_a_required_field_is_missing(client, world, var_dir):
    client.force_login(world.manager)
    response = upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW))
    response = answer(client, response, {"门牌": "unit"})
    page = response.content.decode()
    assert 'data-testid="columns-form"' in page
    assert response.context["missing"] == ["欠费期间 or 起始月份 + 截止月份"]


def test_a_token_of_another_session_is_404(client, world, var_dir):
    client.force_login(world.manager)
    upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW))
    data = {"token": "not-mine", "save": "1"}
    assert client.post(reverse("ledger-import-columns"), data).status_code == 404


def test_the_preview_lists_every_column_sensitive_ones_as_not_imported(client, world, var_dir):
    client.force_login(world.manager)
    headers = ["房号", "身份证号码", "欠费期间", "欠费金额", "楼管员", "类型"]
    row = ["N7-702", "110101199003074514", "2015.1-2015.5", 500, "赵六", "空关"]
    response = upload(client, world.campaign, xlsx(headers, row))
    page = response.content.decode()
    assert 'data-testid="import-ok"' in page
    assert "not imported: sensitive personal information" in page
    assert "PIPL art. 6 and 28" in page
    assert "110101199003074514" not in page
    assert "kept as written on the case" in page  # 楼管员: not a field, never dropped silently
    assert "2015-01 — 2015-05, 5 months" in page  # how the period was read
    client.post(reverse("ledger-import-commit"), {"token": response.context["token"]})
    case = Case.objects.get(household__unit_code="N7-702")
    assert case.imported_text == "楼管员：赵六"


def test_warnings_are_imported_only_once_ticked(client, world, var_dir):
    client.force_login(world.manager)
    headers = ["房号", "欠费期间", "欠费金额", "欠费类型"]
    data = xlsx(headers, ["N7-703", "2015年1月-2015年5月(6)", 500, "空关"])
    response = upload(client, world.campaign, data)
    page = response.content.decode()
    assert 'data-testid="import-warning"' in page and 'data-testid="import-problem"' not in page
    assert 'data-testid="import-accept-warnings"' in page
    token = response.context["token"]
    response = client.post(reverse("ledger-import-commit"), {"token": token})
    assert "tick “I have read the warnings”" in response.content.decode()
    assert not Household.objects.filter(unit_code="N7-703").exists()
    response = client.post(
        reverse("ledger-import-commit"), {"token": token, "accept_warnings": "on"}
    )
    assert 'data-testid="import-report"' in response.content.decode()
    case = Case.objects.get(household__unit_code="N7-703")
    assert case.household.debt_periods.count() == 5  # the range is what is imported
    assert "6 months are stated" in case.plan_note


def test_the_upload_is_kept_with_its_kind(client, world, var_dir):
    client.force_login(world.manager)
    upload(client, world.campaign, xlsx(ODD_HEADERS, ODD_ROW), name="ledger.bin")
    assert [p.suffix for p in (var_dir / "imports").iterdir()] == [".xlsx"]


def test_payments_have_the_mapping_step_too(client, world, var_dir):
    client.force_login(world.manager)
    data = xlsx(["票", "房", "钱", "日"], ["R-9", "C6-101", 100, "2015-06-03"])
    response = client.post(reverse("payment-import"), {"file": SimpleUploadedFile("p.xlsx", data)})
    assert 'data-testid="columns-form"' in response.content.decode()
    choices = {"票": "receipt", "房": "unit", "钱": "amount", "日": "date"}
    response = answer(client, response, choices, url="payment-import-columns")
    assert 'data-testid="import-ok"' in response.content.decode()
    assert ColumnMapping.objects.filter(office=world.office, kind="payments").count() == 4


def test_a_gbk_csv_is_imported_and_kept_as_csv(client, world, var_dir):
    client.force_login(world.manager)
    text = "门牌号,户主,欠费期间,欠费金额,类型\r\nN7-704,钱九,2015年1月-2015年5月,500,空关\r\n"
    response = upload(client, world.campaign, text.encode("gb18030"), name="台账.csv")
    assert 'data-testid="import-ok"' in response.content.decode()
    assert [p.suffix for p in (var_dir / "imports").iterdir()] == [".csv"]
    assert response.context["parsed"].kind == "csv"
    client.post(reverse("ledger-import-commit"), {"token": response.context["token"]})
    house = Household.objects.get(office=world.office, unit_code="N7-704")
    assert (house.debt_periods.count(), house.owners.get().name) == (5, "钱九")
