"""The owner's statement link (issue 17.1): a signed, expiring, revocable token.

The token is the link's id signed with its own salt and the time it was signed
(django.core.signing.TimestampSigner). It is valid for STATEMENT_DAYS from issue, up to and
including the very second the 90 days end, unless it was revoked. Whatever is wrong with a
token — forged, altered, expired, revoked, unknown — the answer is the same `None`, so that
the public page says the same thing for all of them.
"""

import datetime

from django.core import signing
from django.db import transaction
from django.utils import timezone

from arrears.models import Case
from escalation.models import StatementEvent, StatementLink, StatementLinkRevocation

SALT = "escalation.statement-link"
STATEMENT_DAYS = 90
VALIDITY = datetime.timedelta(days=STATEMENT_DAYS)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def link_issue(*, case: Case, by, letter=None) -> StatementLink:
    """A new link for the case's household; earlier links stay valid until they expire."""
    now = timezone.now()
    return StatementLink.objects.create(
        case=case, letter=letter, issued_by=by, issued_at=now, expires_at=now + VALIDITY
    )


def token_for(link: StatementLink) -> str:
    """The token in the link's URL, signed at the moment the link was issued."""
    value = str(link.pk)
    timestamp = signing.b62_encode(int(link.issued_at.timestamp()))
    signer = _signer()
    return signing.Signer.sign(signer, f"{value}{signer.sep}{timestamp}")


def link_for_token(token: str, *, now: datetime.datetime | None = None) -> StatementLink | None:
    """The live link the token names, or None (forged, expired, revoked or unknown)."""
    now = now or timezone.now()
    try:
        value, timestamp = signing.Signer.unsign(_signer(), token).rsplit(_signer().sep, 1)
        signed_at = signing.b62_decode(timestamp)
        pk = int(value)
    except (signing.BadSignature, ValueError):
        return None
    if now.timestamp() - signed_at > VALIDITY.total_seconds():
        return None
    link = (
        StatementLink.objects.filter(pk=pk, revocation__isnull=True, expires_at__gte=now)
        .select_related("case__household", "case__campaign__office")
        .first()
    )
    return link


def link_revoke(*, link: StatementLink, by, reason: str = "") -> StatementLinkRevocation:
    """Withdraw a link for good: the revocation is kept; a new link may be issued."""
    with transaction.atomic():
        link = StatementLink.objects.select_for_update().get(pk=link.pk)
        existing = StatementLinkRevocation.objects.filter(link=link).first()
        if existing:
            return existing
        return StatementLinkRevocation.objects.create(link=link, revoked_by=by, reason=reason)


def link_is_live(link: StatementLink, *, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return not hasattr(link, "revocation") and link.expires_at >= now


def event_record(link: StatementLink, kind: str) -> StatementEvent:
    return StatementEvent.objects.create(link=link, kind=kind)
