"""Large ledgers: previewed and imported by a worker (run eagerly here), with progress."""

import time

import pytest
from django.urls import reverse

from arrears.models import ImportJob
from config.celery import app
from households.models import Household
from imports import jobs as import_jobs
from tests.arrears.test_ledger_import import huating, in_english, xlsx  # noqa: F401 - fixtures

THRESHOLD = 40  # the real one is 2,000 rows; a smaller one keeps the tests quick
ROWS = THRESHOLD + 20


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch):
    monkeypatch.setattr("imports.views.FOREGROUND_ROWS", THRESHOLD)


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
    monkeypatch.setattr("imports.tasks.transaction.on_commit", lambda callback, **kw: callback())
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
    monkeypatch.setattr("imports.tasks.transaction.on_commit", lambda callback, **kw: callback())
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
