"""Is a Host header one this server serves? ALLOWED_HOSTS, as Django reads it.

Written out here rather than borrowed from `django.http.request` (whose
`split_domain_port` and `validate_host` are not documented API), with the
same rules, which Django documents for ALLOWED_HOSTS:

- the Host value is `name[:port]` or `[ipv6][:port]`, letters, digits, `.`
  and `-` only (anything else is refused); it is compared without its port,
  in lower case, without a trailing dot;
- an entry `*` allows any well-formed host; `.example.com` allows
  `example.com` and every subdomain of it; any other entry must equal the
  host exactly (case-insensitive).
"""

from __future__ import annotations

import re

_HOST = re.compile(r"^(?P<domain>[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::[0-9]+)?$")


def host_domain(host: str) -> str | None:
    """The host part of a Host value, normalised; None when it is malformed."""
    match = _HOST.match(host.lower())
    if match is None:
        return None
    domain = match["domain"]
    return domain[:-1] if domain.endswith(".") else domain


def domain_allowed(domain: str, allowed_hosts: list[str]) -> bool:
    """Whether `domain` (from `host_domain`) matches an ALLOWED_HOSTS entry."""
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
