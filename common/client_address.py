"""Who is the client: the address a request came from, believing proxies only when trusted.

The peer address (the TCP connection's other end) cannot be forged; the
`X-Forwarded-For` header can be sent by anyone. So XFF is believed only when
the peer is one of our own proxies (setting TRUSTED_PROXIES, IPs or CIDRs),
and then only as far as our proxies vouch for it: the list is walked from
the right (the entry our nearest proxy appended) to the left, skipping our
own proxies, and the first address that is not ours is the client. Entries
left of it were written by the client and are never believed, so a client
cannot choose the address it is counted under by sending a header.

    peer 10.0.0.5 (trusted), XFF "6.6.6.6, 203.0.113.7"  ->  203.0.113.7
    peer 198.51.100.9 (not trusted), any XFF              ->  198.51.100.9

The edge (common/asgi/edge.py) asks once per request and hands the answer to
every framework as the connection's address; rate limits and lockouts
(throttling/identity.py) count what it found.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Shown when a request has no peer at all (e.g. a Unix socket without XFF).
UNKNOWN_CLIENT = "unknown"


def parse_ip(value: str) -> IPAddress | None:
    """An address, or None for anything malformed (ports, names, garbage)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # "::ffff:1.2.3.4" is an IPv4 client reaching a dual-stack socket.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=16)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {entry!r} is not an IP or CIDR") from exc
    return tuple(networks)


def trusted_networks() -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks, read at call time (parsing is memoised per value)."""
    entries: Iterable[str] = getattr(settings, "TRUSTED_PROXIES", ()) or ()
    return _networks(tuple(entries))


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(*, peer: str | None, forwarded_for: str | None = None) -> str:
    """The client address for rate limiting and lockouts.

    Asked once per request, by the edge (common/asgi/edge.py), which then
    hands the answer to every framework as the connection's client address
    (`scope["client"]`, hence REMOTE_ADDR and `request.client.host`).
    `peer` is the TCP peer; `forwarded_for` the raw X-Forwarded-For header,
    or None. A peer that is
    not an IP address (Starlette's test client says "testclient") is used
    as-is: it is still the connection's own word, not the client's.
    """
    return _client_ip(peer, forwarded_for, trusted_networks())


@lru_cache(maxsize=4096)
def _client_ip(
    peer: str | None, forwarded_for: str | None, networks: tuple[IPNetwork, ...]
) -> str:
    # Memoised per (peer, header, proxies): asked on every request, and the
    # same few clients repeat. Bounded, so varied forged headers cannot grow it.
    if not peer:
        return UNKNOWN_CLIENT
    peer_address = parse_ip(peer)
    if peer_address is None:
        return peer.strip()
    if not forwarded_for or not _is_trusted(peer_address, networks):
        return str(peer_address)

    hops = [parse_ip(entry) for entry in forwarded_for.split(",")]
    valid = [hop for hop in hops if hop is not None]  # malformed entries are ignored
    for hop in reversed(valid):
        if not _is_trusted(hop, networks):
            return str(hop)
    # Every hop is one of ours (an internal client): the leftmost one is it.
    return str(valid[0]) if valid else str(peer_address)


def is_trusted_proxy(peer: str) -> bool:
    """Whether the TCP peer is one of TRUSTED_PROXIES (so its X-Forwarded-* count)."""
    networks = trusted_networks()
    if not networks:
        return False
    address = parse_ip(peer)
    return address is not None and _is_trusted(address, networks)
