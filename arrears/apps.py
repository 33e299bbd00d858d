from django.apps import AppConfig
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
