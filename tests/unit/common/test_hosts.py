"""common/hosts.py: the Host matcher, with the rules Django documents for ALLOWED_HOSTS."""

from __future__ import annotations

import pytest

from common.hosts import domain_allowed, host_domain, split_host


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", ("example.com", "")),
        ("Example.COM:8000", ("example.com", "8000")),
        ("example.com.", ("example.com", "")),  # the trailing dot of a FQDN
        ("example.com.:443", ("example.com", "443")),
        ("127.0.0.1:8000", ("127.0.0.1", "8000")),
        ("[::1]", ("[::1]", "")),
        ("[2001:DB8::1]:8443", ("[2001:db8::1]", "8443")),
        ("", None),
        (".", None),
        ("exa mple.com", None),
        ("example.com:port", None),
        ("example.com:", None),
        ("user@example.com", None),
        ("example.com/path", None),
        ("[::1", None),
        ("ex\u00e4mple.com", None),  # not IDNA-encoded: refused, as Django does
    ],
)
def test_split_host(host: str, expected: tuple[str, str] | None) -> None:
    assert split_host(host) == expected
    assert host_domain(host) == (None if expected is None else expected[0])


@pytest.mark.parametrize(
    ("domain", "allowed", "expected"),
    [
        ("example.com", ["example.com"], True),
        ("example.com", ["EXAMPLE.com"], True),
        ("www.example.com", ["example.com"], False),
        ("www.example.com", [".example.com"], True),
        ("example.com", [".example.com"], True),
        ("badexample.com", [".example.com"], False),
        ("anything.org", ["*"], True),
        ("localhost", ["127.0.0.1", "localhost"], True),
        ("[::1]", ["[::1]"], True),
        ("example.com", [], False),
    ],
)
def test_domain_allowed(domain: str, allowed: list[str], expected: bool) -> None:
    assert domain_allowed(domain, allowed) is expected
