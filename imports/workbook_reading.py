"""Reading an uploaded .xlsx safely: what both Excel imports (ledger, payments) share.

A file that is too large, password-protected (an OLE container, as Excel writes encrypted
workbooks and old .xls files), not a workbook, or damaged is refused with a message that
says what to do; nothing is half-read.
"""

import io
import zipfile

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What openpyxl lets through from a damaged file: a broken zip, a missing part (KeyError),
# broken XML inside a sound zip (xml.etree's ParseError and lxml's XMLSyntaxError are both
# SyntaxErrors), or a part that is XML but not what a workbook holds.
DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    OSError,
    ValueError,
    SyntaxError,
    TypeError,
    AttributeError,
    IndexError,
    EOFError,
)


def read_first_sheet(
    file,
    *,
    error,
    max_bytes: int,
    max_rows: int,
    max_columns: int,
    too_big: str,
    too_many_rows: str,
) -> list[tuple]:
    """The first sheet's rows as tuples of values. `error` is the exception class to raise;
    `too_big` and `too_many_rows` say how to split this kind of file."""
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(too_big)
    if data.startswith(OLE_MAGIC):
        raise error(
            _(
                "The file is password-protected or an old .xls workbook. Remove the password "
                "and save it as an Excel workbook (.xlsx)."
            )
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *DAMAGED) as exc:
        raise error(
            _("The file is not an Excel workbook (.xlsx) or it is damaged. Save it again as .xlsx.")
        ) from exc
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(max_col=max_columns, values_only=True):
            rows.append(row)
            if len(rows) > max_rows:
                raise error(too_many_rows)
        return rows
    except DAMAGED as exc:  # damaged inside the zip
        raise error(_("The workbook is damaged. Save it again as .xlsx.")) from exc
    finally:
        book.close()
