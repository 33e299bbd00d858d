"""import_payments FILE --office CODE [--user NAME] [--dry-run]: the payments import from a shell."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from imports.management.importing import ImportCommand
from imports.payment_import import PAYMENT_SHEET, parse_workbook, payment_import


class Command(ImportCommand):
    help = (
        "Import payments from the billing system's export (.xlsx, .xls or .csv) (all new rows or none; "
        "receipts already recorded are skipped)."
    )
    sheet = PAYMENT_SHEET

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--user", help="Username the payments are recorded by (needed unless --dry-run)."
        )

    def handle(self, *args, **options):
        office = self.office(options["office"])
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        elif not options["dry_run"]:
            raise CommandError("Name who records the payments with --user (or use --dry-run).")
        parsed = self.parsed(options["file"], parse_workbook, options["columns"])
        report = payment_import(
            parsed=parsed,
            office=office,
            by=user,
            dry_run=options["dry_run"],
            accept_warnings=options["accept_warnings"],
        )
        self.print_report(report)
