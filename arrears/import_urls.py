"""URLs of the Excel imports (kept apart from arrears.urls while the imports grow)."""

from django.urls import path

from . import import_views

urlpatterns: list = [
    path("imports/ledger/", import_views.ledger_upload, name="ledger-import"),
    path("imports/ledger/commit/", import_views.ledger_commit, name="ledger-import-commit"),
    path(
        "imports/ledger/template.xlsx",
        import_views.ledger_template,
        name="ledger-import-template",
    ),
]
