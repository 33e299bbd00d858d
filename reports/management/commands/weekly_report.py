import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from arrears.models import Office, Region
from reports.weekly import WeeklyReport


class Command(BaseCommand):
    help = "Write the weekly Excel report of a region for a week (Monday to Sunday)."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region code")
        parser.add_argument(
            "--week-of", dest="week_of", help="any day of the week, YYYY-MM-DD; default last week"
        )
        parser.add_argument("--out", help="file or folder to write; default the current folder")

    def handle(self, *args, region, week_of=None, out=None, **options):
        chosen = Region.objects.filter(code=region).first()
        if chosen is None:
            raise CommandError(f"no region with code {region!r}")
        try:
            day = (
                datetime.date.fromisoformat(week_of)
                if week_of
                else timezone.localdate() - datetime.timedelta(days=7)
            )
        except ValueError as error:
            raise CommandError("--week-of takes a date like 2026-11-23") from error
        with translation.override("zh-hans"):
            filename, _mimetype, data = WeeklyReport(
                offices=Office.objects.filter(region=chosen), week_of=day, name=chosen.code
            ).render()
        path = Path(out or ".")
        if path.is_dir():
            path = path / filename
        path.write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"{path} ({len(data):,} bytes)"))
