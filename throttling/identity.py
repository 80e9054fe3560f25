"""Who is counted: the identity an address spends its rate-limit budget under.

The client address itself is common/client_address.py's answer (the edge
believes X-Forwarded-For only from TRUSTED_PROXIES); this module only says
which addresses share one budget.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from common.client_address import parse_ip

# One IPv6 customer usually owns a whole /64: limiting single addresses would
# let them rotate through 2**64 buckets. IPv4 addresses are counted one by one.
IPV6_BUCKET_PREFIX = 64


@lru_cache(maxsize=4096)
def bucket_for_ip(ip: str) -> str:
    """The identity an IP is counted under: itself, or its /64 for IPv6.

    Memoised: asked on every request, and clients repeat.
    """
    address = parse_ip(ip)
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network(f"{address}/{IPV6_BUCKET_PREFIX}", strict=False)
        return str(network)
    return str(address) if address is not None else ip
