from django.utils import timezone

from summaries.management.summary_command import SummaryCommand
from summaries.producing import produce_daily


class Command(SummaryCommand):
    help = "Produce the 18:00 team, office and operations reports for a day (default today)."

    def default_date(self):
        return timezone.localdate()

    def produce(self, when, region):
        return produce_daily(day=when, by="command", region=region)
