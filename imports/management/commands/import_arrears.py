"""import_arrears FILE --office CODE [--campaign ID] [--dry-run] [--columns …] [--accept-warnings]:
the ledger import from a shell."""

from django.core.management.base import CommandError

from arrears.models import Campaign
from imports.ledger_import import LEDGER_SHEET, ledger_import, parse_workbook
from imports.management.importing import ImportCommand


class Command(ImportCommand):
    help = "Import an office's arrears ledger from an .xlsx, .xls or .csv file (all rows or none)."
    sheet = LEDGER_SHEET

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--campaign", type=int, help="Default: the office's running campaign.")
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
        office = self.office(options["office"])
        campaign = self._campaign(office, options["campaign"])
        parsed = self.parsed(options["file"], parse_workbook, options["columns"])
        report = ledger_import(
            parsed=parsed,
            office=office,
            campaign=campaign,
            by=None,
            dry_run=options["dry_run"],
            create_households=not options["no_create_households"],
            update_amounts=options["update_amounts"],
            accept_warnings=options["accept_warnings"],
        )
        self.print_report(report)

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
