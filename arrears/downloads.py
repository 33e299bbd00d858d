"""Files the desk hands out: one way to name them (RFC 6266).

A file name can hold a unit code typed by a person (`6栋-101`, or worse `A"1;x`): it never
goes into the header by hand. Django's `content_disposition_header` quotes and escapes plain
ASCII and writes anything else (Chinese, a line break) as `filename*=utf-8''…`.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def disposition(filename: str) -> str:
    """The Content-Disposition value that downloads `filename` as an attachment."""
    return content_disposition_header(True, filename)


def attachment(data: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download of `data` named `filename` (never shown inline by the browser)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = disposition(filename)
    return response
