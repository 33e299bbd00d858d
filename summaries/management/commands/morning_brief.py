import datetime

from django.utils import timezone

from summaries.management.summary_command import SummaryCommand
from summaries.producing import produce_brief


class Command(SummaryCommand):
    help = "Produce the director's morning brief reporting on a day (default yesterday)."

    def default_date(self):
        return timezone.localdate() - datetime.timedelta(days=1)

    def produce(self, when, region):
        return produce_brief(day=when, by="command", region=region)
