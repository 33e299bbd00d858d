"""Login throttling behind a proxy: who the client is, and the two limits."""

import pytest
from django.urls import reverse

from config.login_throttle import client_address, failures_against_the_limit

PROXY = "10.0.0.2"  # the TLS-terminating proxy: every request reaches us from it
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


# --- who the client is ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("forwarded", "trusted", "expected"),
    [
        (None, 0, PROXY),
        (ATTACKER, 0, PROXY),  # no proxy trusted: the header is whatever the client typed
        (ATTACKER, 1, ATTACKER),
        (f"{OWNER}, {ATTACKER}", 1, ATTACKER),  # the client's own claim is to the left
        (f"{OWNER},{ATTACKER}", 2, OWNER),
        (f" {OWNER} ,  {ATTACKER} ", 2, OWNER),
        (ATTACKER, 2, PROXY),  # fewer hops than proxies: not through them all, not trusted
        (None, 1, PROXY),
        ("", 1, PROXY),
        ("not-an-address", 1, PROXY),
        (f"{OWNER}, 999.1.1.1", 1, PROXY),
        ("2001:db8::1", 1, "2001:db8::1"),
        ("unknown, 192.0.2.1", 1, "192.0.2.1"),
    ],
)
def test_the_client_address_counts_trusted_proxies_from_the_right(forwarded, trusted, expected):
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(meta, trusted_proxies=trusted) == expected


def test_a_negative_proxy_count_trusts_no_header():
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ATTACKER}
    assert client_address(meta, trusted_proxies=-1) == PROXY


@pytest.mark.parametrize(
    ("pair", "address", "expected"),
    [
        (0, 0, 0),
        (4, 4, 4),
        (5, 5, 5),  # the pair's own limit
        (4, 29, 4),  # one short of the address limit: the pair's count stands
        (0, 30, 5),  # the address limit reached: as locked as the pair limit
        (2, 72, 5),
        (7, 40, 7),
    ],
)
def test_failures_are_counted_against_the_pair_limit(pair, address, expected):
    assert (
        failures_against_the_limit(
            per_pair=pair, per_address=address, pair_limit=5, address_limit=30
        )
        == expected
    )


# --- through the login view, behind the proxy ------------------------------------------


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ADDRESS_FAILURE_LIMIT = 30
    return settings


def log_in(client, username, password, *, forwarded_for=None, remote=PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = client.post(
        reverse("login"), {"username": username, "password": password}, **headers
    )
    client.logout()
    return response.status_code


def test_an_attacker_cannot_lock_an_account_for_the_owners_address(client, world, behind_proxy):
    for _ in range(6):
        assert log_in(client, "manager", "wrong", forwarded_for=ATTACKER) in (200, 429)
    # The attacker's address is locked for that account, even with the right password…
    assert log_in(client, "manager", "pw-manager", forwarded_for=ATTACKER) == 429
    # …the owner, through the same proxy from her own address, is not.
    assert log_in(client, "manager", "pw-manager", forwarded_for=OWNER) == 302


def test_failures_across_many_usernames_lock_the_address(client, world, behind_proxy):
    statuses = [
        log_in(client, f"guess{i}", f"wrong-{n}", forwarded_for=ATTACKER)
        for i in range(18)
        for n in range(4)  # never 5 for one username: the pair limit alone locks nothing
    ]
    assert len(statuses) == 72
    assert statuses[:29] == [200] * 29 and set(statuses[29:]) == {429}
    # Locked for every account, a real one with its right password included…
    assert log_in(client, "collector_a", "pw-collector_a", forwarded_for=ATTACKER) == 429
    # …while everyone else behind the same proxy logs in.
    assert log_in(client, "collector_a", "pw-collector_a", forwarded_for=OWNER) == 302


def test_logging_in_to_ones_own_account_does_not_reset_the_address_count(
    client, world, behind_proxy
):
    for i in range(7):
        for _ in range(4):
            log_in(client, f"guess{i}", "wrong", forwarded_for=ATTACKER)
    assert log_in(client, "collector_a", "pw-collector_a", forwarded_for=ATTACKER) == 302
    log_in(client, "guess8", "wrong", forwarded_for=ATTACKER)
    log_in(client, "guess9", "wrong", forwarded_for=ATTACKER)
    assert log_in(client, "collector_a", "pw-collector_a", forwarded_for=ATTACKER) == 429


def test_without_trusted_proxies_a_spoofed_header_does_not_escape_the_lockout(
    client, world, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        log_in(client, "manager", "wrong", forwarded_for=f"192.0.2.{n}", remote=ATTACKER)
    assert (
        log_in(client, "manager", "pw-manager", forwarded_for="192.0.2.77", remote=ATTACKER) == 429
    )
    assert log_in(client, "manager", "pw-manager", remote=OWNER) == 302


def test_a_spoofed_left_hand_entry_does_not_escape_the_lockout(client, world, behind_proxy):
    # The proxy appends the address it saw; what the client sent stays to the left.
    for n in range(5):
        log_in(client, "manager", "wrong", forwarded_for=f"192.0.2.{n}, {ATTACKER}")
    assert log_in(client, "manager", "pw-manager", forwarded_for=f"192.0.2.99, {ATTACKER}") == 429


def test_the_lockout_page_says_what_to_do(client, world, behind_proxy):
    for _ in range(5):
        log_in(client, "manager", "wrong", forwarded_for=ATTACKER)
    response = client.post(
        reverse("login"),
        {"username": "manager", "password": "pw-manager"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=ATTACKER,
        HTTP_COOKIE="django_language=en",
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert "Wait" in page and "administrator" in page


def test_the_settings_use_the_proxy_aware_address_and_both_limits():
    from django.conf import settings

    assert settings.AXES_CLIENT_IP_CALLABLE == "config.login_throttle.axes_client_ip"
    assert settings.AXES_HANDLER == "config.login_throttle.LoginThrottleHandler"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
