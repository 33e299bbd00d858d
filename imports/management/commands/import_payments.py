"""import_payments FILE --office CODE [--user NAME] [--dry-run]: the payments import from a shell."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from arrears.models import Office
from imports.payment_import import PaymentFileError, parse_workbook, payment_import


class Command(BaseCommand):
    help = (
        "Import payments from the billing system's .xlsx export (all new rows or none; "
        "receipts already recorded are skipped)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--office", required=True, help="The office's code.")
        parser.add_argument(
            "--user", help="Username the payments are recorded by (needed unless --dry-run)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )

    def handle(self, *args, **options):
        office = Office.objects.filter(code=options["office"]).first()
        if office is None:
            raise CommandError(f"No office with code {options['office']!r}.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        elif not options["dry_run"]:
            raise CommandError("Name who records the payments with --user (or use --dry-run).")
        try:
            with open(options["file"], "rb") as file:
                parsed = parse_workbook(file)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        except PaymentFileError as exc:
            raise CommandError(str(exc)) from exc
        report = payment_import(parsed=parsed, office=office, by=user, dry_run=options["dry_run"])
        for problem in report.problems:
            self.stdout.write(problem)
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems; nothing was imported.")
        for warning in report.warnings:
            self.stdout.write(warning)
        for line in report.summary_lines():
            self.stdout.write(line)
        self.stdout.write("Dry run: nothing was written." if report.dry_run else "Imported.")
