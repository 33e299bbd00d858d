"""The statement link as a QR code (issue 17.1): a PNG for the .docx and the printed page."""

import base64
import io

import qrcode
from django.conf import settings
from django.urls import reverse

from escalation.models import StatementLink
from escalation.statement_tokens import token_for


def statement_url(link: StatementLink) -> str:
    """The link's full address, as printed on letters and sent in messages."""
    return settings.SITE_URL + reverse("statement", args=[token_for(link)])


def qr_png(text: str) -> bytes:
    """A QR code of `text` (medium error correction: survives a crease or a smudge)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(text: str) -> str:
    """The QR code for an <img src>: the page's Content-Security-Policy allows data: images."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode()
