"""The import of payments from the billing system's Excel export: parse, validate, dedupe,
all-or-nothing import through payment_record, the pages and the command."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from arrears.models import Case, Clearance, DebtPeriod, Payment, PaymentMethod
from households.models import Household
from imports import payment_import as pi
from imports.sheet import OLE_MAGIC
from tests.conftest import make_household, record_payment

HEADERS = ["收据号", "房号", "业主", "缴费金额", "缴费日期", "缴费方式", "备注"]
DAY = timezone.localdate() - datetime.timedelta(days=3)
DAY_CELL = datetime.datetime.combine(DAY, datetime.time())  # how Excel hands over a date cell


@pytest.fixture(autouse=True)
def in_english(settings, client):
    """The messages are asserted in English (their msgids); the product shows them in Chinese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def xlsx(rows, headers=HEADERS, title_rows=()) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for row in (*title_rows, headers, *rows):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def row(**changes):
    values = {
        "收据号": "R0001",
        "房号": "C6-101",
        "业主": "张静",
        "缴费金额": 1700,
        "缴费日期": DAY_CELL,
        "缴费方式": "微信",
        "备注": None,
    }
    values.update(changes)
    return [values[h] for h in HEADERS]


def run(world, book, *, dry_run=False, office=None, by=None, accept_warnings=False):
    return pi.payment_import(
        parsed=pi.parse_workbook(book),
        office=office or world.office,
        by=by or world.manager,
        dry_run=dry_run,
        accept_warnings=accept_warnings,
    )


def paid_months(household):
    return list(
        DebtPeriod.objects.filter(household=household, amount_paid__gt=0)
        .order_by("month")
        .values_list("month", "amount_paid")
    )


def noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


# --- the import -----------------------------------------------------------------------------


def test_a_payment_clears_case_a_exactly_as_one_typed_in(world):
    report = run(world, xlsx([row(备注="前台收款")]))
    assert report.ok and report.written
    assert (report.imported, report.total, report.skipped, report.cases_cleared) == (
        1,
        Decimal("1700.00"),
        0,
        1,
    )
    payment = Payment.objects.get(receipt_no="R0001")
    assert (payment.household, payment.case, payment.amount, payment.allocated) == (
        world.house_a,
        world.case_a,
        Decimal("1700.00"),
        Decimal("1700.00"),
    )
    assert (payment.method, payment.paid_at, payment.recorded_by) == (
        PaymentMethod.WECHAT,
        noon(DAY),  # a date alone means 12:00 local
        world.manager,
    )
    assert payment.note == "账单系统导入：前台收款"
    assert (payment.team, payment.credited_to) == (world.team_a, world.collector_a)
    assert all(p.amount_paid == p.amount_due for p in world.house_a.debt_periods.all())
    assert len(paid_months(world.house_a)) == 17
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.CLEARED
    clearance = Clearance.objects.get(case=world.case_a)
    assert (clearance.payment, clearance.team) == (payment, world.team_a)
    assert report.summary_lines() == [
        "Payments imported: 1, ¥1,700.00",
        "Skipped, already imported: 0",
        "Cases cleared: 1",
    ]


def test_a_part_payment_goes_to_the_oldest_months(world):
    report = run(world, xlsx([row(房号="C13-103", 业主="高萌", 缴费金额="250.00")]))
    assert report.written
    assert paid_months(world.house_b) == [
        (datetime.date(2014, 1, 1), Decimal("100.00")),
        (datetime.date(2014, 2, 1), Decimal("100.00")),
        (datetime.date(2014, 3, 1), Decimal("50.00")),
    ]
    world.case_b.refresh_from_db()
    assert world.case_b.status == Case.Status.PARTLY_PAID
    assert Payment.objects.get().note == "账单系统导入"


def test_rows_are_recorded_in_date_order(world):
    later = DAY_CELL + datetime.timedelta(days=1, hours=9)
    rows = [
        row(收据号="R2", 房号="C13-103", 业主=None, 缴费金额=50, 缴费日期=later),
        row(收据号="R1", 房号="C13-103", 业主=None, 缴费金额=150, 缴费日期=DAY_CELL),
    ]
    assert run(world, xlsx(rows)).written
    first, second = Payment.objects.get(receipt_no="R1"), Payment.objects.get(receipt_no="R2")
    assert first.pk < second.pk
    assert list(first.allocations.order_by("period__month").values_list("amount", flat=True)) == [
        Decimal("100.00"),
        Decimal("50.00"),
    ]
    assert list(second.allocations.values_list("period__month", "amount")) == [
        (datetime.date(2014, 2, 1), Decimal("50.00"))
    ]
    assert second.paid_at == timezone.make_aware(later)


def test_importing_the_same_export_again_changes_nothing(world):
    rows = [row(), row(收据号="R0002", 房号="C13-103", 业主="高萌", 缴费金额=250)]
    assert run(world, xlsx(rows)).imported == 2
    before = (Payment.objects.count(), paid_months(world.house_b))
    report = run(world, xlsx(rows))
    assert report.ok
    assert (report.imported, report.skipped, report.total) == (0, 2, Decimal("0.00"))
    assert [r.outcome() for r in report.rows] == ["already imported", "already imported"]
    assert (Payment.objects.count(), paid_months(world.house_b)) == before


def test_a_receipt_typed_in_at_the_desk_is_skipped(world):
    record_payment(world.house_b, "100", world.collector_b, receipt_no="R0001")
    report = run(world, xlsx([row(房号="C13-103", 业主=None, 缴费金额=100)]))
    assert (report.ok, report.imported, report.skipped, report.warnings) == (True, 0, 1, [])
    assert Payment.objects.count() == 1


def test_a_receipt_held_with_other_contents_is_skipped_with_a_warning(world):
    record_payment(world.house_b, "100", world.collector_b, receipt_no="R0001")
    report = run(world, xlsx([row()]))
    assert (report.ok, report.skipped) == (True, 1)
    assert report.warnings == [
        "Row 2: receipt R0001 is already recorded as C13-103 ¥100.00, the file says "
        "C6-101 ¥1700.00; it is skipped, check which is right."
    ]
    assert Payment.objects.count() == 1


def test_a_receipt_twice_in_the_file_with_other_contents_is_a_problem(world):
    report = run(world, xlsx([row(), row(缴费金额=1600)]))
    assert report.problems == [
        "Row 3: receipt R0001 is also on row 2 with different contents; one receipt is one "
        "payment, correct the receipt number or the row."
    ]
    assert not report.written and Payment.objects.count() == 0


def test_a_receipt_repeated_identically_is_recorded_once(world):
    report = run(world, xlsx([row(), row()]))
    assert report.written
    assert (report.imported, report.repeated) == (1, 1)
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("typed", ["r0001", "Ｒ０００１", "R\u200b0001", " r0001 "])
def test_a_receipt_typed_another_way_at_the_desk_is_skipped(world, typed):
    record_payment(world.house_b, "100", world.collector_b, receipt_no="R0001")
    report = run(world, xlsx([row(收据号=typed, 房号="C13-103", 业主=None, 缴费金额=100)]))
    assert (report.ok, report.imported, report.skipped) == (True, 0, 1)
    assert Payment.objects.count() == 1


def test_a_receipt_typed_two_ways_in_the_file_is_one_receipt(world):
    report = run(world, xlsx([row(收据号="R-0001"), row(收据号="r\u20110001", 缴费金额=1600)]))
    assert report.problems == [
        "Row 3: receipt r\u20110001 is also on row 2 with different contents; one receipt is "
        "one payment, correct the receipt number or the row."
    ]
    assert Payment.objects.count() == 0


def test_a_row_paying_more_than_owed_is_warned_and_kept_as_credit(world):
    # C6-101 owes ¥1,700.00; the second row of the file pays beyond what the first left.
    report = run(
        world,
        xlsx([row(缴费金额=1000), row(收据号="R0002", 缴费金额="9999999999.99")]),
        dry_run=True,
    )
    assert report.ok
    assert report.warnings == [
        "Row 3: ¥9,999,999,999.99 is ¥9,999,999,299.99 more than C6-101 owes (¥700.00); "
        "importing keeps the excess as the household's credit, not as arrears collected: "
        "check the amount before importing."
    ]
    # A warning: nothing is written until the user says they have read it.
    report = run(world, xlsx([row(缴费金额=1000), row(收据号="R0002", 缴费金额="9999999999.99")]))
    assert report.ok and not report.written
    assert not Payment.objects.filter(receipt_no="R0002").exists()
    report = run(
        world,
        xlsx([row(缴费金额=1000), row(收据号="R0002", 缴费金额="9999999999.99")]),
        accept_warnings=True,
    )
    assert report.written
    big = Payment.objects.get(receipt_no="R0002")
    assert big.allocated == Decimal("700.00")


# --- every row problem ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"房号": "Z9-999"}, "Row 2: unit Z9-999 is not a household of 北苑服务处; check the unit"),
        ({"房号": None}, "Row 2: column 房号 is empty; enter the unit"),
        (
            {"收据号": None},
            "Row 2, column A (收据号): empty; every payment needs its receipt number.",
        ),
        ({"收据号": "R" * 61}, "Row 2, column A (收据号): “RRRR"),
        ({"缴费金额": 0}, "Row 2, column D (缴费金额): 0 is not more than 0"),
        ({"缴费金额": -5}, "Row 2, column D (缴费金额): -5 is not more than 0"),
        ({"缴费金额": "五百"}, "Row 2, column D (缴费金额): “五百” is not a number"),
        ({"缴费金额": "100.005"}, "Row 2, column D (缴费金额): 100.005 has more than two decimal"),
        ({"缴费金额": None}, "Row 2, column D (缴费金额): empty; enter the amount received"),
        (
            {"缴费日期": "2999-01-01"},
            "Row 2, column E (缴费日期): 2999-01-01 12:00 is in the future",
        ),
        ({"缴费日期": "2015-02-30"}, "Row 2, column E (缴费日期): “2015-02-30” is not a date."),
        ({"缴费日期": "昨天"}, "Row 2, column E (缴费日期): “昨天” is not a date; write it like"),
        ({"缴费日期": 42000}, "Row 2, column E (缴费日期): “42000” is not a date"),
        ({"缴费日期": None}, "Row 2, column E (缴费日期): empty; enter the date of payment"),
        ({"缴费日期": "0001-01-01"}, "Row 2, column E (缴费日期): 0001-01-01 is before 2000-01-01"),
        ({"缴费日期": "1999-12-31 10:00"}, "Row 2, column E (缴费日期): 1999-12-31 is before 2000"),
        ({"备注": "长" * 295}, "Row 2: the note with the extra columns is 295 characters long"),
        ({"缴费金额": "1e12"}, "Row 2: the amount has more than 10 digits before the point"),
        (
            {"缴费方式": "信用卡"},
            "Row 2, column F (缴费方式): unknown method “信用卡”; use one of 现金、",
        ),
    ],
)
def test_each_row_problem_says_what_to_fix_and_nothing_is_written(world, changes, message):
    report = run(world, xlsx([row(**changes)]))
    assert not report.written
    assert len(report.problems) == 1 and report.problems[0].startswith(message), report.problems
    assert Payment.objects.count() == 0
    assert paid_months(world.house_a) == []


def test_a_time_later_today_is_in_the_future(world):
    later = timezone.localtime().replace(tzinfo=None) + datetime.timedelta(hours=2)
    report = run(world, xlsx([row(缴费日期=later)]))
    assert report.problems == [
        f"Row 2, column E (缴费日期): {later:%Y-%m-%d %H:%M} is in the future; check the date of "
        "payment."
    ]
    assert Payment.objects.count() == 0


def test_another_offices_unit_is_unknown(world):
    make_household(
        world.other_office,
        "S1-101",
        first=datetime.date(2015, 1, 1),
        last=datetime.date(2015, 5, 1),
    )
    report = run(world, xlsx([row(房号="S1-101", 业主=None)]))
    assert report.problems == [
        "Row 2: unit S1-101 is not a household of 北苑服务处; check the unit code."
    ]
    # The same file into the other office resolves C6-101 there, never ours.
    report = run(world, xlsx([row(业主=None)]), office=world.other_office, by=world.other_manager)
    assert report.written
    assert Payment.objects.get().household == world.other_house
    assert paid_months(world.house_a) == []


def test_one_bad_row_stops_every_row(world):
    rows = [row(), row(收据号="R0002", 房号="C13-103", 缴费金额="x")]
    report = run(world, xlsx(rows))
    assert [r.ok for r in report.rows] == [True, False]
    assert not report.written
    assert Payment.objects.count() == 0 and Clearance.objects.count() == 0
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.OPEN


def test_a_failure_while_writing_rolls_back_every_row(world, monkeypatch):
    real = pi.payments_record

    def flaky(*, items, **kw):
        # Someone typed the second row's receipt in between the check and the write.
        second = items[1]
        record_payment(second.household, "1", world.collector_b, receipt_no=second.receipt_no)
        return real(items=items, **kw)

    monkeypatch.setattr(pi, "payments_record", flaky)
    rows = [row(), row(收据号="R0002", 房号="C13-103", 业主=None, 缴费金额=250)]
    report = run(world, xlsx(rows))
    assert not report.written
    assert report.problems == [
        "Row 3: Receipt R0002 is already recorded in this office: check the number on the "
        "receipt, or find the earlier entry. Nothing was imported; check the file and try again."
    ]
    assert Payment.objects.count() == 0


def test_the_owner_is_a_soft_check(world):
    report = run(world, xlsx([row(业主="李四")]), accept_warnings=True)
    assert report.written
    assert report.warnings == [
        "Row 2: the owner in the file is 李四, but C6-101's owner is 张静; check it."
    ]


# --- reading cells --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "method"),
    [
        (None, PaymentMethod.CASH),
        ("现金", PaymentMethod.CASH),
        ("微信", PaymentMethod.WECHAT),
        ("支付宝", PaymentMethod.ALIPAY),
        ("银行转账", PaymentMethod.BANK_TRANSFER),
        ("转账", PaymentMethod.BANK_TRANSFER),
        ("异地汇款", PaymentMethod.REMITTANCE),
        ("bank_transfer", PaymentMethod.BANK_TRANSFER),
        (" WeChat ", PaymentMethod.WECHAT),
    ],
)
def test_methods_accept_words_and_codes(value, method):
    assert pi.read_method(value) == method


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DAY_CELL, noon(DAY)),
        (DAY, noon(DAY)),
        (f"{DAY:%Y-%m-%d}", noon(DAY)),
        (f"{DAY:%Y/%m/%d}", noon(DAY)),
        (f"{DAY.year}年{DAY.month}月{DAY.day}日", noon(DAY)),
        (f"{DAY:%Y-%m-%d} 09:30", noon(DAY) - datetime.timedelta(hours=2, minutes=30)),
        (
            DAY_CELL + datetime.timedelta(hours=15, minutes=5),
            noon(DAY) + datetime.timedelta(hours=3, minutes=5),
        ),
    ],
)
def test_dates_and_times_are_read_in_local_time(value, expected):
    assert pi.read_paid_at(value, now=timezone.now()) == expected


def test_today_without_a_time_before_noon_means_now():
    now = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(9, 15)))
    assert pi.read_paid_at(DAY_CELL, now=now) == now


@pytest.mark.parametrize(
    ("value", "amount"),
    [(1700, "1700.00"), (99.5, "99.50"), ("¥1,234.56", "1234.56"), ("300元", "300.00")],
)
def test_amounts_are_read_as_yuan(value, amount):
    assert pi.read_amount(value) == Decimal(amount)


def test_english_headers_and_a_title_row_are_understood(world):
    headers = ["Receipt No", "Unit", "Owner", "Amount (yuan)", "Date", "Method", "Note"]
    book = xlsx([row()], headers=headers, title_rows=[["北苑服务处 收费明细"]])
    parsed = pi.parse_workbook(book)
    assert (parsed.header_row, parsed.rows[0].number) == (2, 3)
    book.seek(0)
    assert run(world, book).imported == 1


def test_billing_synonyms_and_extra_columns(world):
    headers = ["票据号", "房号", "应收金额", "实收金额", "收款日期", "支付方式", "收费员"]
    book = xlsx([["P-9", "C13-103", 300, 120, DAY_CELL, "支付宝", "前台"]], headers=headers)
    parsed = pi.parse_workbook(book)
    assert parsed.columns["amount"] == "实收金额"
    assert parsed.ignored == ["应收金额", "收费员"]
    book.seek(0)
    report = run(world, book)
    assert report.written
    assert Payment.objects.get().amount == Decimal("120.00")


# --- bad files -------------------------------------------------------------------------------


def _empty() -> io.BytesIO:
    out = io.BytesIO()
    Workbook().save(out)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: io.BytesIO("收据号,房号\nR1,C6-101\n".encode()), "no column for: 缴费金额"),
        (lambda: io.BytesIO(OLE_MAGIC + b"\x00" * 600), "cannot be read"),
        (_empty, "The first sheet of the workbook is empty."),
        (lambda: xlsx([["x", "y"]], headers=["甲", "乙"]), "No header row found"),
        (
            lambda: xlsx([["R1", "C6-101", 5]], headers=HEADERS[:3] + ["缴费金额"]),
            "no column for: 缴费日期",
        ),
        (lambda: xlsx([], headers=HEADERS), "no rows of data"),
    ],
)
def test_bad_files_get_a_clear_message(file, message):
    with pytest.raises(pi.PaymentFileError, match=message):
        pi.parse_workbook(file())


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _upload(client, book, **extra):
    data = {"file": SimpleUploadedFile("payments.xlsx", book.getvalue()), **extra}
    return client.post(reverse("payment-import"), data)


def test_the_manager_previews_then_commits(client, world, var_dir):
    client.force_login(world.manager)
    assert client.get(reverse("payment-import")).status_code == 200
    response = _upload(client, xlsx([row()]))
    assert response.status_code == 200
    assert b'data-testid="import-ok"' in response.content
    assert "Payments to import: 1, ¥1,700.00" in response.content.decode()
    assert Payment.objects.count() == 0  # the preview writes nothing
    token = response.context["token"]
    response = client.post(reverse("payment-import-commit"), {"token": token})
    assert response.status_code == 200
    assert b'data-testid="import-report"' in response.content
    assert "Payments imported: 1, ¥1,700.00" in response.content.decode()
    assert Payment.objects.get().recorded_by == world.manager
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.CLEARED
    assert not list(var_dir.glob("imports/*.xlsx"))
    assert client.post(reverse("payment-import-commit"), {"token": token}).status_code == 404


def test_the_preview_lists_problems_and_offers_no_commit(client, world, var_dir):
    client.force_login(world.manager)
    response = _upload(client, xlsx([row(缴费方式="信用卡")]))
    assert b'data-testid="import-problem"' in response.content
    assert b'data-testid="import-commit"' not in response.content


def test_a_bad_file_is_explained_on_the_form(client, world, var_dir):
    client.force_login(world.manager)
    response = _upload(client, io.BytesIO(b"not a workbook"))
    assert response.status_code == 200
    assert "No header row found" in response.content.decode()  # read as a CSV
    assert not list(var_dir.glob("imports/*.xlsx"))


def test_a_collector_gets_403(client, world, var_dir):
    client.force_login(world.collector_a)
    assert client.get(reverse("payment-import")).status_code == 403
    assert _upload(client, xlsx([row()])).status_code == 403
    assert client.post(reverse("payment-import-commit"), {"token": "x"}).status_code == 403


def test_another_offices_manager_cannot_import_into_ours(client, world, var_dir):
    client.force_login(world.other_manager)
    response = _upload(client, xlsx([row(房号="C13-103")]), office=world.office.pk)
    assert response.context["office"] == world.other_office
    assert response.context["report"].problems == [
        "Row 2: unit C13-103 is not a household of 南苑服务处; check the unit code."
    ]
    # C6-101 exists in both offices: their upload pays their own household.
    token = _upload(client, xlsx([row(业主=None)]), office=world.office.pk).context["token"]
    client.post(reverse("payment-import-commit"), {"token": token})
    assert Payment.objects.get().household == world.other_house
    assert paid_months(world.house_a) == [] and paid_months(world.house_b) == []


def test_an_administrator_chooses_the_office(client, world, var_dir):
    client.force_login(world.admin)
    response = _upload(client, xlsx([row(业主=None)]))
    assert "office" in response.context["form"].errors
    response = _upload(client, xlsx([row(业主=None)]), office=world.other_office.pk)
    token = response.context["token"]
    client.post(reverse("payment-import-commit"), {"token": token})
    assert Payment.objects.get().household == world.other_house


def test_a_token_from_another_session_is_404(client, world, var_dir):
    client.force_login(world.manager)
    token = _upload(client, xlsx([row()])).context["token"]
    client.force_login(world.admin)
    assert client.post(reverse("payment-import-commit"), {"token": token}).status_code == 404


# --- the command -----------------------------------------------------------------------------


def _file(tmp_path, book):
    path = tmp_path / "payments.xlsx"
    path.write_bytes(book.getvalue())
    return str(path)


def test_the_command_dry_run_writes_nothing(world, tmp_path):
    out = io.StringIO()
    call_command("import_payments", _file(tmp_path, xlsx([row()])), "--office", "north",
                 "--dry-run", stdout=out)  # fmt: skip
    assert "Payments to import: 1, ¥1,700.00" in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert Payment.objects.count() == 0


def test_the_command_imports_and_a_second_run_skips(world, tmp_path):
    path = _file(tmp_path, xlsx([row()]))
    out = io.StringIO()
    call_command("import_payments", path, "--office", "north", "--user", "manager", stdout=out)
    assert "Payments imported: 1, ¥1,700.00" in out.getvalue()
    out = io.StringIO()
    call_command("import_payments", path, "--office", "north", "--user", "manager", stdout=out)
    assert "Skipped, already imported: 1" in out.getvalue()
    assert Payment.objects.count() == 1


def test_the_command_prints_problems_and_fails(world, tmp_path):
    out = io.StringIO()
    path = _file(tmp_path, xlsx([row(房号="Z9-999")]))
    with pytest.raises(CommandError, match="1 problems; nothing was imported"):
        call_command("import_payments", path, "--office", "north", "--user", "manager", stdout=out)
    assert "Row 2: unit Z9-999 is not a household" in out.getvalue()


def test_the_command_needs_a_user_to_write(world, tmp_path):
    with pytest.raises(CommandError, match="--user"):
        call_command("import_payments", _file(tmp_path, xlsx([row()])), "--office", "north")
    assert Payment.objects.count() == 0
    assert Household.objects.filter(office=world.office).count() == 2


# --- unlawful methods in the export's text (DESIGN.md §5.2) --------------------------------


def test_every_text_column_is_scanned_and_kept_and_the_manager_told(world):
    from arrears.models import Notification

    headers = [*HEADERS, "催收措施"]
    book = xlsx([[*row(备注="业主被停水后才来交"), "连续拨打"]], headers=headers)
    preview = run(world, book, dry_run=True)
    assert preview.ok
    assert preview.rows[0].flags == ["连续拨打"]  # 被停水 is what the owner went through
    report = run(world, xlsx([[*row(备注="业主被停水后才来交"), "连续拨打"]], headers=headers))
    assert report.written
    payment = Payment.objects.get()
    assert payment.note == "账单系统导入：业主被停水后才来交；催收措施：连续拨打"
    told = Notification.objects.get(recipient=world.manager, kind=Notification.Kind.FLAG)
    assert "连续拨打 (repeated calling)" in told.shown_body


def test_the_payments_preview_shows_the_flags(client, world, var_dir):
    client.force_login(world.manager)
    response = _upload(client, xlsx([row(备注="下次晚上11点上门")]))
    page = response.content.decode()
    assert 'data-testid="import-flags"' in page and 'data-rule="night_contact"' in page


def test_progress_moves_with_every_batch_written(world, monkeypatch):
    """Batches of one here: the second row's batch sees the months the first one paid."""
    monkeypatch.setattr(pi, "PROGRESS_EVERY", 1)
    seen = []
    rows = [
        row(缴费金额=250),
        row(收据号="R0002", 缴费金额=1450, 缴费日期=DAY_CELL + datetime.timedelta(hours=1)),
        row(收据号="R0003", 房号="C13-103", 业主=None, 缴费金额=100),
    ]
    report = pi.payment_import(
        parsed=pi.parse_workbook(xlsx(rows)),
        office=world.office,
        by=world.manager,
        dry_run=False,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.written and report.cases_cleared == 1
    assert seen == [(1, 3), (2, 3), (3, 3)]
    world.case_a.refresh_from_db()
    assert world.case_a.status == Case.Status.CLEARED
