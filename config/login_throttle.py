"""Login throttling behind a proxy: who the client is, and the two limits.

django-axes counts failed logins. Two things are ours:

- the client's address. Behind the TLS-terminating proxy every request comes from the
  proxy's address; the client's is in `X-Forwarded-For`, which each proxy extends on the
  right with the address it received the request from. Only the entries added by proxies we
  run can be believed (a client can send the header with anything in it), so with
  TRUSTED_PROXY_COUNT = n the client is the n-th entry from the right. With 0 the header is
  ignored and the address is the connection's own.
- two limits. AXES_FAILURE_LIMIT failures for one username from one address lock that
  pair (an attacker elsewhere cannot lock the owner out); AXES_ADDRESS_FAILURE_LIMIT
  failures from one address, whatever the usernames, lock the address (guessing across
  many accounts). Only the pair is reset by a good login, so logging in to one's own
  account does not wipe the address's count.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from arrears.client_address import client_address


def axes_client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE."""
    return client_address(request.META, trusted_proxies=settings.TRUSTED_PROXY_COUNT)


def failures_against_the_limit(
    *, per_pair: int, per_address: int, pair_limit: int, address_limit: int
) -> int:
    """The failure count axes compares with the pair limit.

    The pair's own count, raised to the pair limit once the address has reached its own.
    """
    if per_address >= address_limit:
        return max(per_pair, pair_limit)
    return per_pair


def _total(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """AXES_HANDLER: the database handler with the per-address limit added.

    AXES_LOCKOUT_PARAMETERS stays [["username", "ip_address"]], so what axes resets on a
    good login (and in the admin) is the pair; the address's count is read here.
    """

    def get_failures(self, request, credentials=None) -> int:
        per_pair = super().get_failures(request, credentials)
        from_address = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            from axes.attempts import get_cool_off_threshold

            from_address = from_address.filter(attempt_time__gte=get_cool_off_threshold(request))
        return failures_against_the_limit(
            per_pair=per_pair,
            per_address=_total(from_address),
            pair_limit=settings.AXES_FAILURE_LIMIT,
            address_limit=settings.AXES_ADDRESS_FAILURE_LIMIT,
        )
