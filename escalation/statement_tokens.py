"""The statement link's token (issue 17.1): the link's id and the second it was issued,
signed with the link's own salt. Kept apart so that letters can print it."""

import datetime

from django.core import signing

from escalation.models import StatementLink

SALT = "escalation.statement-link"
STATEMENT_DAYS = 90
VALIDITY = datetime.timedelta(days=STATEMENT_DAYS)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_for(link: StatementLink) -> str:
    """The token in the link's URL, signed at the moment the link was issued."""
    value = str(link.pk)
    timestamp = signing.b62_encode(int(link.issued_at.timestamp()))
    signer = _signer()
    return signing.Signer.sign(signer, f"{value}{signer.sep}{timestamp}")
