from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = _("Teams")

    def ready(self):
        # What changes the standings renews an office's kept leaderboard (teams.standings_cache).
        from teams import standings_cache

        standings_cache.connect()
