"""import_arrears FILE --office CODE [--campaign ID] [--dry-run]: the ledger import from a shell."""

from django.core.management.base import BaseCommand, CommandError

from arrears.models import Campaign, Office
from imports.ledger_import import LedgerFileError, ledger_import, parse_workbook


class Command(BaseCommand):
    help = "Import an office's arrears ledger from an .xlsx file (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--office", required=True, help="The office's code.")
        parser.add_argument("--campaign", type=int, help="Default: the office's running campaign.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument(
            "--no-create-households",
            action="store_true",
            help="Treat a unit the office does not have as a problem.",
        )
        parser.add_argument(
            "--update-amounts",
            action="store_true",
            help="Replace amounts already held that differ from the file.",
        )

    def handle(self, *args, **options):
        office = Office.objects.filter(code=options["office"]).first()
        if office is None:
            raise CommandError(f"No office with code {options['office']!r}.")
        campaign = self._campaign(office, options["campaign"])
        try:
            with open(options["file"], "rb") as file:
                parsed = parse_workbook(file)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        except LedgerFileError as exc:
            raise CommandError(str(exc)) from exc
        report = ledger_import(
            parsed=parsed,
            office=office,
            campaign=campaign,
            by=None,
            dry_run=options["dry_run"],
            create_households=not options["no_create_households"],
            update_amounts=options["update_amounts"],
        )
        for problem in report.problems:
            self.stdout.write(problem)
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems; nothing was imported.")
        for line in report.summary_lines():
            self.stdout.write(line)
        self.stdout.write("Dry run: nothing was written." if report.dry_run else "Imported.")

    def _campaign(self, office, campaign_id) -> Campaign:
        campaigns = Campaign.objects.filter(office=office)
        if campaign_id is not None:
            campaign = campaigns.filter(pk=campaign_id).first()
            if campaign is None:
                raise CommandError(f"Campaign {campaign_id} is not a campaign of {office.code}.")
            return campaign
        running = list(campaigns.filter(status=Campaign.Status.RUNNING)[:2])
        if len(running) != 1:
            raise CommandError(
                "Name the campaign with --campaign (the office has not exactly one running)."
            )
        return running[0]
