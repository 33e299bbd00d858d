"""What the import commands share: the file and office arguments, reading the file, and
printing the report (problems, then warnings and the summary), failing when a row has a
problem."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from arrears.models import Office
from imports.sheet import SheetFileError


class ImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--office", required=True, help="The office's code.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )

    def office(self, code: str) -> Office:
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise CommandError(f"No office with code {code!r}.")
        return office

    def parsed(self, path: str, parse: Callable):
        try:
            with open(path, "rb") as file:
                return parse(file)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except SheetFileError as exc:
            raise CommandError(str(exc)) from exc

    def print_report(self, report) -> None:
        for problem in report.problems:
            self.stdout.write(problem)
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems; nothing was imported.")
        for warning in report.warnings:
            self.stdout.write(warning)
        for line in report.summary_lines():
            self.stdout.write(line)
        self.stdout.write("Dry run: nothing was written." if report.dry_run else "Imported.")
