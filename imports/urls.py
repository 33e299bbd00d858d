"""URLs of the Excel imports (kept apart from config.urls while the imports grow)."""

from django.urls import path

from imports import views as import_views

urlpatterns: list = [
    path("imports/ledger/", import_views.ledger_upload, name="ledger-import"),
    path("imports/ledger/commit/", import_views.ledger_commit, name="ledger-import-commit"),
    path("imports/ledger/columns/", import_views.ledger_columns, name="ledger-import-columns"),
    path(
        "imports/ledger/template.xlsx",
        import_views.ledger_template,
        name="ledger-import-template",
    ),
]

# Large files (ledgers and payments): previewed and imported by a worker, with a progress page.
urlpatterns += [
    path("imports/jobs/<int:pk>/", import_views.import_job, name="import-job"),
    path(
        "imports/jobs/<int:pk>/progress/",
        import_views.import_job_progress,
        name="import-job-progress",
    ),
    path("imports/jobs/<int:pk>/commit/", import_views.import_job_commit, name="import-job-commit"),
]

from imports import payment_views as payment_import_views  # noqa: E402

urlpatterns += [
    path("imports/payments/", payment_import_views.payment_upload, name="payment-import"),
    path(
        "imports/payments/commit/",
        payment_import_views.payment_commit,
        name="payment-import-commit",
    ),
    path(
        "imports/payments/columns/",
        payment_import_views.payment_columns,
        name="payment-import-columns",
    ),
]
