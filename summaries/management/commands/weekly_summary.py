from django.utils import timezone

from summaries.management.summary_command import SummaryCommand
from summaries.producing import produce_weekly


class Command(SummaryCommand):
    help = "Produce the Monday 16:00 meeting pack for the week of a date (default this week)."
    date_option = "--week-of"
    date_help = "any day of the week, YYYY-MM-DD; the pack is for its Monday"

    def default_date(self):
        return timezone.localdate()

    def produce(self, when, region):
        return produce_weekly(monday=when, by="command", region=region)
