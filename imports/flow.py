"""What the pages of both imports share: upload → dry-run preview → commit → report.

The uploaded file waits between preview and commit in a private directory under VAR_DIR,
named by a random token that is also kept in the uploader's session: the commit re-reads
exactly the file that was previewed, and nobody can name another person's upload.

Each import's views describe their flow once (`Flow`): how its file is parsed, where its
uploads are remembered, its templates, and the columns its preview shows of each row. The
templates share one include for the preview (imports/includes/preview.html) and one for the
report (imports/includes/report.html).
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from imports.sheet import SheetFileError

KEEP_SECONDS = 24 * 3600


def require_manager(user, may) -> None:
    """403 unless the rule book's predicate `may` (arrears.access) lets the user import."""
    if not may(user):
        raise PermissionDenied


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def store(upload) -> str:
    """Keep the upload until the commit; old leftovers are swept on the way."""
    directory = upload_dir()
    for old in directory.glob("*.xlsx"):
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    with open(directory / f"{token}.xlsx", "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


@dataclass(frozen=True)
class Column:
    """A column of the preview's table, between Row and Result: a row result's attribute."""

    heading: str
    attr: str
    kind: str = "text"  # "unit" (a unit code), "money" (¥, right-aligned), "moment" (date, time)


@dataclass(frozen=True)
class Flow:
    """One import's pages."""

    session_key: str  # where the session keeps this import's uploads: token → entry
    parse: Callable  # a file → its parsed sheet; raises SheetFileError
    preview_template: str
    report_template: str
    columns: tuple[Column, ...]

    def run(self, file, write: Callable) -> tuple[object | None, str | None]:
        """(report, None) from `write(parsed)`, or (None, why) when the file cannot be read."""
        try:
            parsed = self.parse(file)
        except SheetFileError as exc:
            return None, str(exc)
        return write(parsed), None

    def preview(self, request, upload, entry: dict, context: dict):
        """Keep the checked upload for the commit (with `entry`, what the commit needs to know)
        and show the dry run."""
        upload.seek(0)
        token = store(upload)
        stored = request.session.get(self.session_key, {})
        stored[token] = {**entry, "name": upload.name}
        request.session[self.session_key] = stored
        return self._preview(request, {**context, "token": token, "name": upload.name})

    def stored(self, request) -> tuple[str, Path, dict]:
        """The posted token, its file and its entry; 404 unless this session was given it."""
        # Only tokens this session was given name a file, so a posted token never reaches the
        # file system unchecked.
        token = request.POST.get("token", "")
        entry = request.session.get(self.session_key, {}).get(token)
        if entry is None:
            raise Http404(_("This upload has expired. Upload the file again."))
        path = upload_dir() / f"{token}.xlsx"
        if not path.exists():
            raise Http404(_("This upload has expired. Upload the file again."))
        return token, path, entry

    def committed(self, request, token: str, path: Path, context: dict):
        """The report of a commit; the preview again, file kept, when nothing was written."""
        context = {**context, "token": token}
        if context.get("error") or not context["report"].written:
            # Something changed since the preview: show the problems, keep the file for a retry.
            return self._preview(request, context)
        path.unlink(missing_ok=True)
        stored = request.session.get(self.session_key, {})
        stored.pop(token, None)
        request.session[self.session_key] = stored
        return render(request, self.report_template, context)

    def _preview(self, request, context: dict):
        report = context.get("report")
        table = [
            (row, [(getattr(row, c.attr), c) for c in self.columns])
            for row in (report.rows if report else [])
        ]
        context = {**context, "columns": self.columns, "table": table}
        return render(request, self.preview_template, context)
