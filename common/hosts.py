"""Is a Host header one this server serves? ALLOWED_HOSTS, as Django documents it.

Written out here rather than borrowed from `django.http.request` (whose
`split_domain_port` and `validate_host` are not documented API), with the
rules Django documents for ALLOWED_HOSTS:

- a Host value is `name[:port]` or `[ipv6][:port]`: letters, digits, `.` and
  `-` only (anything else is malformed); it is compared without its port, in
  lower case, without a trailing dot;
- an entry `*` allows any well-formed host; `.example.com` allows
  `example.com` and every subdomain of it; any other entry must equal the
  host exactly (case-insensitive).

The edge's Host check (`HostCheck`, common/asgi/edge.py) and the
password-reset link's origin (accounts/password_reset.py) both use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HOST = re.compile(
    r"^(?P<domain>[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::(?P<port>[0-9]+))?$"
)


def split_host(host: str) -> tuple[str, str] | None:
    """(domain, port) of a Host value, normalised; port "" when absent; None when malformed."""
    match = _HOST.match(host.lower())
    if match is None:
        return None
    domain = match["domain"]
    if domain.endswith("."):
        domain = domain[:-1]
    if not domain:
        return None
    return domain, match["port"] or ""


def host_domain(host: str) -> str | None:
    """The domain of a Host value, normalised; None when it is malformed."""
    parts = split_host(host)
    return None if parts is None else parts[0]


def domain_allowed(domain: str, allowed_hosts: Iterable[str]) -> bool:
    """Whether `domain` (from `split_host`/`host_domain`) matches an ALLOWED_HOSTS entry."""
    for pattern in allowed_hosts:
        pattern = pattern.lower()
        if pattern == "*" or pattern == domain:
            return True
        if pattern.startswith(".") and (domain.endswith(pattern) or domain == pattern[1:]):
            return True
    return False


class HostCheck:
    """`allows(host)` for a fixed ALLOWED_HOSTS, remembering recent answers.

    Every request asks and clients send a handful of Host values, so the
    verdicts are kept, up to a bound (a forged Host per request must not
    grow the table).
    """

    MAX_REMEMBERED = 256

    def __init__(self, allowed_hosts: list[str]) -> None:
        self.allowed_hosts = list(allowed_hosts)
        self._verdicts: dict[bytes, bool] = {}

    def allows(self, host: bytes) -> bool:
        verdict = self._verdicts.get(host)
        if verdict is None:
            domain = host_domain(host.decode("latin-1"))
            verdict = bool(domain) and domain_allowed(domain, self.allowed_hosts)
            if len(self._verdicts) < self.MAX_REMEMBERED:
                self._verdicts[host] = verdict
        return verdict
