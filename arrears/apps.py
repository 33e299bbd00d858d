from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    name = "arrears"
    verbose_name = _("Campaigns and ledger")

    def ready(self):
        from arrears.roles import sync_role_groups

        # Role groups and their permissions live in code (arrears.roles) and are brought
        # up to date after every migrate, so a new permission reaches every deployment.
        post_migrate.connect(sync_role_groups, sender=self)
        make_folders()


# Where the embedded (filesystem) broker keeps its messages; kombu does not create them.
_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def make_folders() -> None:
    """The folders the settings name, created at start-up (web, worker, beat, manage.py),
    not when the settings are read: the database, cache and beat schedule live under
    VAR_DIR, WhiteNoise expects STATIC_ROOT, and the embedded broker needs its folders."""
    folders = [Path(settings.VAR_DIR), Path(settings.STATIC_ROOT)]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folders += [Path(options[key]) for key in _BROKER_FOLDERS if key in options]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
