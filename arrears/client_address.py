"""Who the client is behind our proxies (config.login_throttle explains the rule); used by
the login throttle and the owner's statement's rate limit."""

import ipaddress
from collections.abc import Mapping


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(meta: Mapping[str, str], *, trusted_proxies: int) -> str | None:
    """The client's address from request.META, believing `trusted_proxies` proxies.

    A header with fewer entries than proxies, or whose entry is not an address, did not
    come through our proxies as they write it: the connection's address is used instead.
    """
    remote = meta.get("REMOTE_ADDR")
    if trusted_proxies <= 0:
        return remote
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote
    return _address(hops[-trusted_proxies]) or remote
