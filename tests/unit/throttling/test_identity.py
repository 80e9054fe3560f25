from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.client_address import client_ip
from throttling.identity import bucket_for_ip


def test_peer_is_used_when_no_proxy_is_trusted(settings) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_ip(peer="198.51.100.9", forwarded_for="1.2.3.4") == "198.51.100.9"


def test_xff_from_an_untrusted_peer_is_ignored(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_ip(peer="198.51.100.9", forwarded_for="1.2.3.4") == "198.51.100.9"


def test_xff_from_a_trusted_peer_gives_the_rightmost_untrusted_hop(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    # The client wrote "6.6.6.6" itself; our proxy appended the real peer.
    assert client_ip(peer="10.0.0.1", forwarded_for="6.6.6.6, 203.0.113.7") == "203.0.113.7"


def test_trusted_cidr_hops_are_skipped(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.1.1"]
    xff = "6.6.6.6, 203.0.113.7, 10.1.2.3, 192.168.1.1"
    assert client_ip(peer="10.0.0.5", forwarded_for=xff) == "203.0.113.7"


def test_malformed_entries_are_ignored(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    xff = "203.0.113.7, not-an-ip, 10.0.0.9, "
    assert client_ip(peer="10.0.0.5", forwarded_for=xff) == "203.0.113.7"
    assert client_ip(peer="10.0.0.5", forwarded_for="garbage") == "10.0.0.5"


def test_all_hops_trusted_gives_the_leftmost(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(peer="10.0.0.5", forwarded_for="10.9.9.9, 10.0.0.7") == "10.9.9.9"


def test_ipv6_and_mapped_addresses(settings) -> None:
    settings.TRUSTED_PROXIES = ["::1"]
    assert client_ip(peer="::1", forwarded_for="2001:db8::1") == "2001:db8::1"
    assert client_ip(peer="::ffff:203.0.113.7", forwarded_for=None) == "203.0.113.7"


def test_non_ip_and_missing_peers_are_used_as_is() -> None:
    assert client_ip(peer="testclient", forwarded_for="1.2.3.4") == "testclient"
    assert client_ip(peer=None, forwarded_for="1.2.3.4") == "unknown"


def test_bad_trusted_proxy_setting_fails_loudly(settings) -> None:
    settings.TRUSTED_PROXIES = ["not-a-network"]
    with pytest.raises(ImproperlyConfigured):
        client_ip(peer="10.0.0.1", forwarded_for="1.2.3.4")


def test_ipv6_clients_are_bucketed_by_slash_64() -> None:
    assert bucket_for_ip("2001:db8:1:2:aaaa::1") == bucket_for_ip("2001:db8:1:2:bbbb::9")
    assert bucket_for_ip("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert bucket_for_ip("203.0.113.7") == "203.0.113.7"
    assert bucket_for_ip("testclient") == "testclient"
