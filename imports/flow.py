"""What the pages of every import share: upload → (mapping step) → dry-run preview → commit →
report, and large files in the background (imports.jobs).

The uploaded file waits between its steps in a private directory under VAR_DIR, named by a
random token (and the file's kind: .xlsx, .xls or .csv) that is also kept in the uploader's
session: the commit re-reads exactly the file that was previewed, with exactly the columns the
preview used, and nobody can name another person's upload. Sensitive columns are never read
from it (imports.sheet); the file itself is deleted once imported, else swept after a day.

Each import describes its flow once (`Flow`): its sheet format, how its rows are imported, its
URLs, and the columns its preview shows of each row. There is one preview template
(imports/preview.html) and one mapping page (imports/columns.html) for all imports.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.models import ColumnMapping
from imports.sheet import ParsedSheet, SheetColumn, SheetFileError, SheetFormat

KEEP_SECONDS = 24 * 3600
KINDS = ("xlsx", "xls", "csv")
IGNORE = "ignore"


def require_manager(user, may) -> None:
    """403 unless the rule book's predicate `may` (arrears.access) lets the user import."""
    if not may(user):
        raise PermissionDenied


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def sweep() -> None:
    """Uploads left behind (a preview never committed) go after a day."""
    for old in upload_dir().iterdir():
        if old.is_file() and time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)


def store(upload, kind: str = "xlsx") -> str:
    """Keep the upload until the commit, under a random token and its kind."""
    sweep()
    token = secrets.token_urlsafe(24)
    upload.seek(0)
    with open(stored_path(token, kind), "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def stored_path(token: str, kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(kind)
    return upload_dir() / f"{token}.{kind}"


def saved_mapping(office, kind: str) -> dict[str, str]:
    """What the office said of its columns before: normalised header → field ("" ignore)."""
    return dict(
        ColumnMapping.objects.filter(office=office, kind=kind).values_list("header", "field")
    )


def save_mapping(office, kind: str, mapping: dict[str, str], by, *, forget=()) -> None:
    """Save what the office said of its columns; `forget`: headers it left to be recognised."""
    with transaction.atomic():
        ColumnMapping.objects.filter(
            office=office, kind=kind, header__in=[h for h in forget if h not in mapping]
        ).delete()
        for header, key in mapping.items():
            ColumnMapping.objects.update_or_create(
                office=office,
                kind=kind,
                header=header[:100],
                defaults={"field": key, "updated_by": by},
            )


@dataclass(frozen=True)
class Column:
    """A column of the preview's table, between Row and Result: a row result's attribute."""

    heading: str
    attr: str
    kind: str = "text"  # "unit" (a unit code), "money" (¥, right-aligned), "moment" (date, time)


class MappingForm(forms.Form):
    """The mapping step: for each column of the file, which of our fields it is (or ignore).

    Only our fields can be chosen (a posted value that is not one is refused), each once;
    sensitive columns are not offered: they are never read."""

    def __init__(self, *args, columns: list[SheetColumn], sheet: SheetFormat, **kwargs):
        super().__init__(*args, **kwargs)
        self.columns, self.sheet = [c for c in columns if c.header and not c.sensitive], sheet
        choices = [
            ("", gettext_lazy("— not imported as a field")),
            (IGNORE, gettext_lazy("ignore this column")),
            *((f.key, f.label) for f in sheet.fields),
        ]
        for column in self.columns:
            initial = column.field or (IGNORE if column.ignored else "")
            self.fields[f"col_{column.index}"] = forms.ChoiceField(
                label=f"{column.letter} · {column.header}",
                choices=choices,
                required=False,
                initial=initial,
            )
            self.fields[f"col_{column.index}"].widget.attrs.update(
                {"class": "form-select form-select-sm", "data-header": column.header}
            )

    def rows(self):
        return [(c, self[f"col_{c.index}"]) for c in self.columns]

    def clean(self):
        chosen: dict[str, str] = {}
        for column in self.columns:
            key = self.cleaned_data.get(f"col_{column.index}") or ""
            if key and key != IGNORE and key in chosen:
                raise forms.ValidationError(
                    _("%(field)s is chosen for columns %(a)s and %(b)s; choose it once.")
                    % {
                        "field": self.sheet.labels[key],
                        "a": chosen[key],
                        "b": column.letter,
                    }
                )
            if key and key != IGNORE:
                chosen[key] = column.letter
        return self.cleaned_data

    def mapping(self) -> dict[str, str]:
        """Normalised header → field ("" ignore); a column left "not imported" is not saved,
        so that its meaning can still be found next time."""
        out = {}
        for column in self.columns:
            key = self.cleaned_data.get(f"col_{column.index}") or ""
            if key == IGNORE:
                out[column.key] = ""
            elif key:
                out[column.key] = key
        return out


@dataclass(frozen=True)
class Flow:
    """One import's pages."""

    kind: str  # ColumnMapping.Kind and ImportJob.Kind
    session_key: str  # where the session keeps this import's uploads: token → entry
    sheet: SheetFormat
    parse: Callable  # (file, *, name, mapping) → ParsedSheet; raises SheetFileError
    title: str
    upload_url: str  # URL names
    commit_url: str
    columns_url: str
    report_template: str
    columns: tuple[Column, ...]

    # --- the upload ---

    def keep(self, request, upload, entry: dict) -> tuple[str, dict]:
        """Store the upload and remember it (with `entry`, what the later steps need)."""
        kind = sniff_kind(upload)
        token = store(upload, kind)
        entry = {**entry, "name": upload.name, "kind": kind}
        stored = request.session.get(self.session_key, {})
        stored[token] = entry
        request.session[self.session_key] = stored
        return token, entry

    def forget(self, request, token: str) -> None:
        """Forget the upload and delete its file."""
        entry = self.forget_entry(request, token)
        if entry:
            stored_path(token, entry["kind"]).unlink(missing_ok=True)

    def forget_entry(self, request, token: str) -> dict | None:
        """Forget the upload but keep its file (a job has taken it over)."""
        entry = request.session.get(self.session_key, {}).pop(token, None)
        request.session.modified = True
        return entry

    def read(self, token: str, entry: dict, mapping: dict | None) -> ParsedSheet:
        with open(stored_path(token, entry["kind"]), "rb") as file:
            return self.parse(file, name=entry["name"], mapping=mapping)

    def stored(self, request) -> tuple[str, dict]:
        """The posted token and its entry; 404 unless this session was given it."""
        # Only tokens this session was given name a file, so a posted token never reaches the
        # file system unchecked.
        token = request.POST.get("token", "")
        entry = request.session.get(self.session_key, {}).get(token)
        if entry is None or not stored_path(token, entry["kind"]).exists():
            raise Http404(_("This upload has expired. Upload the file again."))
        return token, entry

    def update(self, request, token: str, entry: dict) -> None:
        stored = request.session.get(self.session_key, {})
        stored[token] = entry
        request.session[self.session_key] = stored

    # --- the pages ---

    def mapping_page(self, request, token: str, error: SheetFileError, form=None, **context):
        """The mapping step: the file's columns, their first values, and what each is."""
        form = form or MappingForm(columns=error.columns, sheet=self.sheet)
        return render(
            request,
            "imports/columns.html",
            {
                **context,
                "flow": self,
                "token": token,
                "form": form,
                "message": str(error),
                "missing": error.missing,
                "sensitive": [c for c in error.columns if c.sensitive],
            },
        )

    def columns_step(self, request, token: str, entry: dict, *, office, step, **context):
        """Show the columns (from the preview's “Change the columns”), or save the answer
        and go on with `step(token, entry, form)`: the office's mapping is saved for its next
        files of this kind."""
        try:
            parsed = self.read(token, entry, entry["mapping"])
            error = self.sheet.error(_("Check what each column of the file is."))
            error.columns, error.missing = parsed.all_columns, []
        except SheetFileError as exc:
            if not exc.columns:
                raise Http404(str(exc)) from exc
            error = exc
        context = {"office": office, **context}
        if "save" not in request.POST:
            return self.mapping_page(request, token, error, **context)
        form = MappingForm(request.POST, columns=error.columns, sheet=self.sheet)
        if not form.is_valid():
            return self.mapping_page(request, token, error, form, **context)
        chosen = form.mapping()
        shown = {c.key for c in form.columns}
        save_mapping(office, self.kind, chosen, request.user, forget=shown)
        mapping = {h: k for h, k in (entry["mapping"] or {}).items() if h not in shown}
        entry = {**entry, "mapping": mapping | chosen}
        self.update(request, token, entry)
        response = step(token, entry, form)
        if response is None:
            raise Http404(entry["error"])
        return response

    def preview(self, request, token: str, parsed: ParsedSheet, report, **context):
        return render(
            request, "imports/preview.html", self._context(token, parsed, report, context)
        )

    def committed(self, request, token: str, parsed, report, error: str, **context):
        """The report of a commit; the preview again, file kept, when nothing was written."""
        if error or not report.written:
            if not error and report.ok and report.warnings and not report.accept_warnings:
                error = _(
                    "The file has warnings: read them, tick “I have read the warnings” and "
                    "import again."
                )
            context = self._context(token, parsed, report, {**context, "error": error})
            return render(request, "imports/preview.html", context)
        self.forget(request, token)
        return render(request, self.report_template, {**context, "report": report})

    def _context(self, token, parsed, report, context) -> dict:
        table = [
            (row, [(getattr(row, c.attr, ""), c) for c in self.columns])
            for row in (report.rows if report else [])
        ]
        return {
            **context,
            "flow": self,
            "token": token,
            "report": report,
            "parsed": parsed,
            "file_columns": parsed.all_columns if parsed else [],
            "extra_note": self.sheet.extra_note,
            "columns": self.columns,
            "table": table,
            # Only a file with something to write can be imported (a payments file whose
            # receipts are all recorded has nothing).
            "can_commit": bool(report and report.ok and getattr(report, "imported", 1)),
        }


def sniff_kind(upload) -> str:
    """The upload's kind from its first bytes (imports.files sniffs the same way)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"
