"""The owner's statement's rate limit: so many requests a token and a client address may make
in a window (the cache counts them; a full window gets "try again later", 429)."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

WINDOW_SECONDS = 600


def _key(kind: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"statement:{kind}:{digest}:{window}"


def _over(kind: str, value: str, limit: int) -> bool:
    window = int(timezone.now().timestamp()) // WINDOW_SECONDS
    key = _key(kind, value, window)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > limit


def statement_throttled(*, token: str, address: str | None) -> bool:
    """Counts this request; True when the token or the address is over its limit."""
    over_token = _over("token", token, settings.STATEMENT_TOKEN_LIMIT)
    over_address = _over("address", address or "-", settings.STATEMENT_ADDRESS_LIMIT)
    return over_token or over_address
