"""Large ledgers: previewed and imported by a worker (run eagerly here), with progress."""

import time
from types import SimpleNamespace

import pytest
from django.urls import reverse

from arrears.models import ImportJob
from config.celery import app
from households.models import Household
from imports import jobs as import_jobs
from tests.imports.test_ledger_import import huating, in_english, xlsx  # noqa: F401 - fixtures

THRESHOLD = 40  # the real one is 2,000 rows; a smaller one keeps the tests quick
ROWS = THRESHOLD + 20


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    monkeypatch.setattr("imports.steps.FOREGROUND_ROWS", THRESHOLD)


def big_ledger(rows=ROWS, bad_row=None):
    data = []
    for i in range(rows):
        months = "2015-13" if i == bad_row else "2015-01"
        data.append(
            [
                f"Z{i}-101",
                "业主",
                "空关",
                "2015-01",
                months,
                None,
                100.0,
                None,
                "空关",
                None,
                None,
                None,
            ]
        )
    return xlsx(data)


@pytest.fixture
def eager(monkeypatch):
    """Tasks run in this process, handed over at once (a test's transaction never commits)."""
    monkeypatch.setattr("imports.jobs.transaction.on_commit", lambda callback, **kw: callback())
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def upload(client, world, book):
    client.force_login(world.h_manager)
    return client.post(
        reverse("ledger-import"),
        {"campaign": world.h_campaign.pk, "file": _named(book), "create_households": "on"},
    )


def _named(book):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("ledger.xlsx", book.getvalue())


def test_a_large_ledger_is_previewed_in_the_background_then_imported(client, huating, eager):
    started = time.monotonic()
    response = upload(client, huating, big_ledger())
    assert response.status_code == 302
    preview = ImportJob.objects.get()
    assert response["Location"] == reverse("import-job", args=[preview.pk])
    assert (preview.dry_run, preview.status, preview.rows) == (True, ImportJob.Status.DONE, ROWS)
    assert preview.report["ok"] and not preview.report["written"]
    assert (
        Household.objects.filter(office=huating.h_office).count() == 0
    )  # a preview writes nothing
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-commit"' in page
    response = client.post(reverse("import-job-commit", args=[preview.pk]))
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert (job.dry_run, job.status, job.report["written"]) == (False, ImportJob.Status.DONE, True)
    assert Household.objects.filter(office=huating.h_office).count() == ROWS
    print(f"{ROWS} rows previewed and imported in {time.monotonic() - started:.1f} s")


def test_problems_of_a_large_ledger_are_listed_and_nothing_can_be_imported(client, huating, eager):
    upload(client, huating, big_ledger(bad_row=7))
    job = ImportJob.objects.get()
    assert job.report["problem_count"] == 1 and "Row 9" in job.report["problems"][0]
    assert client.post(reverse("import-job-commit", args=[job.pk])).status_code == 404
    assert ImportJob.objects.count() == 1


def test_progress_is_reported_while_rows_are_written(huating, monkeypatch, tmp_path):
    monkeypatch.setattr("imports.ledger_import.PROGRESS_EVERY", 10)
    seen = []
    monkeypatch.setattr(import_jobs.cache, "set", lambda key, value, timeout: seen.append(value))
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(big_ledger().getvalue())
    job = ImportJob.objects.create(
        office=huating.h_office,
        campaign=huating.h_campaign,
        path=str(path),
        file_name="l.xlsx",
        options={"create_households": True},
        dry_run=False,
        rows=ROWS,
        created_by=huating.h_manager,
    )
    import_jobs.job_run(job.pk)
    assert seen[0] == {"done": 10, "total": ROWS}
    assert seen[-1] == {"done": ROWS, "total": ROWS}


def test_running_a_finished_job_again_changes_nothing(huating, tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(big_ledger(rows=10).getvalue())
    job = ImportJob.objects.create(
        office=huating.h_office,
        campaign=huating.h_campaign,
        path=str(path),
        file_name="l.xlsx",
        options={"create_households": True},
        dry_run=False,
        rows=10,
        created_by=huating.h_manager,
    )
    import_jobs.job_run(job.pk)
    finished = ImportJob.objects.get(pk=job.pk).finished_at
    import_jobs.job_run(job.pk)  # a redelivered task
    assert Household.objects.filter(office=huating.h_office).count() == 10
    assert ImportJob.objects.get(pk=job.pk).finished_at == finished


def test_when_the_worker_cannot_be_reached_the_page_says_so(client, huating, monkeypatch):
    from imports import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.run_import_job, "delay", down)
    monkeypatch.setattr("imports.jobs.transaction.on_commit", lambda callback, **kw: callback())
    response = upload(client, huating, big_ledger())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "worker" in job.error
    assert "alert-danger" in client.get(response["Location"]).content.decode()


def test_another_offices_manager_cannot_see_the_job(client, huating, eager):
    upload(client, huating, big_ledger(rows=ROWS))
    job = ImportJob.objects.get()
    client.force_login(huating.other_manager)
    assert client.get(reverse("import-job", args=[job.pk])).status_code == 404
    client.force_login(huating.collector_a)
    assert client.get(reverse("import-job", args=[job.pk])).status_code == 403


def queued_job(world, tmp_path, rows=10):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(big_ledger(rows=rows).getvalue())
    return ImportJob.objects.create(
        office=world.h_office,
        campaign=world.h_campaign,
        path=str(path),
        file_name="l.xlsx",
        options={"create_households": True},
        dry_run=False,
        rows=rows,
        created_by=world.h_manager,
    )


def test_the_task_delivered_again_while_the_job_runs_does_nothing(huating, tmp_path, monkeypatch):
    """Redis hands the message out again (visibility timeout) while the first worker is still
    importing: the second delivery finds the job claimed and leaves it alone."""
    from imports.tasks import run_import_job

    job = queued_job(huating, tmp_path)
    real_import = import_jobs.ledger_import
    imports, second_delivery = [], []

    def import_with_a_second_delivery_meanwhile(**kwargs):
        imports.append(kwargs["campaign"].pk)
        if len(imports) == 1:
            second_delivery.append(run_import_job(job.pk))
        return real_import(**kwargs)

    monkeypatch.setattr(import_jobs, "ledger_import", import_with_a_second_delivery_meanwhile)
    assert run_import_job(job.pk) == ImportJob.Status.DONE
    assert second_delivery == [ImportJob.Status.RUNNING]
    assert run_import_job(job.pk) == ImportJob.Status.DONE  # and once more, after it finished
    assert imports == [huating.h_campaign.pk]
    assert Household.objects.filter(office=huating.h_office).count() == 10


def test_a_transient_database_error_gives_the_job_back_for_the_retry(
    huating, tmp_path, monkeypatch
):
    """The task retries on OperationalError: the retry must be able to claim the job again."""
    from django.db import OperationalError

    job = queued_job(huating, tmp_path)
    real_import = import_jobs.ledger_import

    def locked_once(**kwargs):
        monkeypatch.setattr(import_jobs, "ledger_import", real_import)
        raise OperationalError("database is locked")

    monkeypatch.setattr(import_jobs, "ledger_import", locked_once)
    with pytest.raises(OperationalError):
        import_jobs.job_run(job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED
    assert import_jobs.job_run(job.pk).status == ImportJob.Status.DONE
    assert Household.objects.filter(office=huating.h_office).count() == 10


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_job_only_one_imports(huating, tmp_path, monkeypatch):
    """Two deliveries of one message, on two connections at once: one claims the job, the
    other finds it claimed. Whoever imports waits (up to 20 s) until the other has either
    imported too or given up, so the race is decided before the winner finishes."""
    import threading

    from tests.arrears.test_concurrency import run_in_thread

    job = queued_job(huating, tmp_path)
    imports, returned = [], threading.Event()

    def import_waiting_for_the_other(**kwargs):
        imports.append(threading.current_thread().name)
        deadline = time.monotonic() + 20
        while len(imports) < 2 and not returned.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return SimpleNamespace(
            ok=True,
            written=False,
            summary_lines=list,
            problems=[],
            flagged_rows=[],
            warnings=[],
            notes=[],
        )

    monkeypatch.setattr(import_jobs, "ledger_import", import_waiting_for_the_other)
    start, errors = threading.Barrier(2), []

    def deliver():
        start.wait(10)
        import_jobs.job_run(job.pk)
        returned.set()

    threads = [run_in_thread(f"worker-{i}", deliver, errors) for i in (1, 2)]
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(imports) == 1, imports
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE


# --- payments in the background ---------------------------------------------------------------


@pytest.fixture
def payment_threshold(monkeypatch):
    monkeypatch.setattr("imports.steps.FOREGROUND_ROWS", THRESHOLD)


def test_a_large_payments_file_is_previewed_and_imported_in_the_background(
    client, world, eager, payment_threshold, settings, tmp_path
):
    import datetime
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from arrears.models import DebtPeriod, Payment
    from tests.imports.test_payment_import import DAY_CELL
    from tests.imports.test_payment_import import xlsx as payments_xlsx

    settings.VAR_DIR = tmp_path
    houses = [
        Household.objects.create(office=world.office, unit_code=f"P{i}-101") for i in range(ROWS)
    ]
    for house in houses:
        DebtPeriod.objects.create(
            household=house, month=datetime.date(2015, 1, 1), amount_due=Decimal("100.00")
        )
    rows = [
        [f"PR{i}", house.unit_code, None, 100, DAY_CELL, "现金", None]
        for i, house in enumerate(houses)
    ]
    client.force_login(world.manager)
    data = payments_xlsx(rows).getvalue()
    response = client.post(
        reverse("payment-import"), {"file": SimpleUploadedFile("payments.csv", data)}
    )
    preview = ImportJob.objects.get()
    assert response["Location"] == reverse("import-job", args=[preview.pk])
    assert (preview.kind, preview.campaign, preview.office) == ("payments", None, world.office)
    assert preview.path.endswith(".xlsx")  # the stored upload keeps its kind, not its name
    assert preview.report["ok"] and preview.report["warning_count"] == 0
    assert not Payment.objects.filter(household__in=houses).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-commit"' in page
    client.post(reverse("import-job-commit", args=[preview.pk]))
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert (job.kind, job.status, job.report["written"]) == ("payments", "done", True)
    assert Payment.objects.filter(household__in=houses).count() == ROWS
    # Another office's manager cannot see it; a collector may not.
    client.force_login(world.other_manager)
    assert client.get(reverse("import-job", args=[job.pk])).status_code == 404


def test_a_large_file_with_warnings_is_imported_only_once_they_are_ticked(client, huating, eager):
    data = []
    for i in range(ROWS):
        stated = 2 if i == 5 else None  # 2015-01 – 2015-01 is one month
        data.append(
            [f"W{i}-101", "业主", "空关", "2015-01", "2015-01", stated, 100.0]
            + [None, "空关", None, None, None]
        )
    upload(client, huating, xlsx(data))
    preview = ImportJob.objects.get()
    assert preview.report["ok"] and preview.report["warning_count"] == 1
    assert "Row 7, column F" in preview.report["warnings"][0]
    response = client.post(reverse("import-job-commit", args=[preview.pk]))
    assert "I have read the warnings" in response.content.decode()
    assert ImportJob.objects.count() == 1
    client.post(reverse("import-job-commit", args=[preview.pk]), {"accept_warnings": "on"})
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert job.report["written"]
    assert Household.objects.filter(office=huating.h_office).count() == ROWS


def test_an_id_card_column_reaches_no_job_record_and_no_table(client, huating, eager):
    from arrears.models import Case
    from imports.sensitive import id_check_character
    from tests.imports.test_ledger_import import FLAT_HEADERS

    first17 = "11010119900307451"
    number = first17 + id_check_character(first17)
    data = [
        [f"S{i}-101", "业主", "空关", "2015-01", "2015-01", None, 100.0]
        + [None, "空关", None, None, None, number]
        for i in range(ROWS)
    ]
    upload(client, huating, xlsx(data, headers=[*FLAT_HEADERS, "身份证号码"]))
    preview = ImportJob.objects.get()
    assert preview.report["ok"]
    client.post(reverse("import-job-commit", args=[preview.pk]))
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert job.report["written"]
    stored = repr(
        [
            list(ImportJob.objects.values()),
            list(Case.objects.values("imported_text", "plan_note", "reason")),
            list(Household.objects.values()),
        ]
    )
    assert number not in stored
    column = job.report["columns"][12]
    assert (column["header"], bool(column["sensitive"]), column["label"]) == (
        "身份证号码",
        True,
        "",
    )
