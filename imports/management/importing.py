"""What the import commands share: the file and office arguments, the columns the user names
(--columns), reading the file, and printing the report (problems, then warnings and the
summary), failing when a row has a problem or a warning was not accepted (--accept-warnings)."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from arrears.models import Office
from imports.headers import normalise_header
from imports.sheet import SheetFileError, SheetFormat


def parse_columns(value: str, fmt: SheetFormat) -> dict[str, str]:
    """`表头=field,表头=ignore,…` → normalised header → field key ("" to ignore)."""
    mapping = {}
    for part in filter(None, (p.strip() for p in value.replace("，", ",").split(","))):
        header, sep, key = part.rpartition("=")
        key = key.strip()
        if not sep or not header.strip():
            raise CommandError(f"--columns: write each column as 表头=field, not {part!r}.")
        if key == "ignore":
            key = ""
        elif key not in fmt.by_key:
            known = ", ".join([*fmt.by_key, "ignore"])
            raise CommandError(f"--columns: {key!r} is not a field; use one of {known}.")
        mapping[normalise_header(header)] = key
    return mapping


class ImportCommand(BaseCommand):
    sheet: SheetFormat  # the import's format, for --columns

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--office", required=True, help="The office's code.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument(
            "--columns",
            default="",
            help=(
                "What the file's columns are, when their headers are not recognised: "
                '"表头=field,表头=ignore,…" (fields: '
                + ", ".join(f.key for f in self.sheet.fields)
                + ")."
            ),
        )
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="Import although the file has warnings (after reading them).",
        )

    def office(self, code: str) -> Office:
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise CommandError(f"No office with code {code!r}.")
        return office

    def parsed(self, path: str, parse: Callable, columns: str = ""):
        mapping = parse_columns(columns, self.sheet) if columns else None
        try:
            with open(path, "rb") as file:
                return parse(file, name=path, mapping=mapping)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except SheetFileError as exc:
            if exc.columns:
                for column in exc.columns:
                    what = column.label or ("(sensitive: not read)" if column.sensitive else "—")
                    samples = "、".join(column.samples)
                    self.stdout.write(f"{column.letter}  {column.header}  → {what}  {samples}")
                raise CommandError(
                    f'{exc} Name the columns with --columns "表头=field,…".'
                ) from exc
            raise CommandError(str(exc)) from exc

    def print_report(self, report) -> None:
        for problem in report.problems:
            self.stdout.write(problem)
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problems; nothing was imported.")
        for warning in report.warnings:
            self.stdout.write(warning)
        for line in [*report.summary_lines(), *report.notes]:
            self.stdout.write(line)
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif not report.written and report.warnings:
            raise CommandError(
                f"{len(report.warnings)} warnings; nothing was imported. Read them and run "
                "again with --accept-warnings to import."
            )
        else:
            self.stdout.write("Imported.")
