"""What the three summary commands share: parsing a date and an optional region."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from arrears.models import Region


class SummaryCommand(BaseCommand):
    date_option = "--date"
    date_help = "YYYY-MM-DD"

    def add_arguments(self, parser):
        parser.add_argument(self.date_option, dest="when", help=self.date_help)
        parser.add_argument(
            "--region", help="region code; default every region with a running campaign"
        )

    def default_date(self) -> datetime.date:
        raise NotImplementedError

    def produce(self, when: datetime.date, region):
        raise NotImplementedError

    def handle(self, *args, when=None, region=None, **options):
        try:
            day = datetime.date.fromisoformat(when) if when else self.default_date()
        except ValueError as error:
            raise CommandError(f"{self.date_option} takes a date like 2026-11-27") from error
        chosen = None
        if region:
            chosen = Region.objects.filter(code=region).first()
            if chosen is None:
                raise CommandError(f"no region with code {region!r}")
        stored = self.produce(day, chosen)
        for summary in stored:
            self.stdout.write(
                f"{summary.get_kind_display()} · {summary.scope} · {summary.for_date:%Y-%m-%d}"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(stored)} summaries stored"))
