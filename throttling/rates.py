"""Rate strings from settings: `"100/minute"` -> `Rate(limit=100, window=60)`.

The contract (API.md, "Settings") allows exactly `N/second`, `N/minute`,
`N/hour` and `N/day`. Anything else is a configuration mistake, so it fails
loudly with ImproperlyConfigured instead of silently limiting nothing (or
everything). Parsing is cached per string, never per setting: tests and
operators may change a setting at any time and the next call sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Seconds per period word; the only words the contract allows.
PERIODS: dict[str, int] = {"second": 1, "minute": 60, "hour": 3_600, "day": 86_400}

_RATE_PATTERN = re.compile(r"^\s*(?P<limit>\d+)\s*/\s*(?P<period>[a-z]+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """`limit` requests per fixed window of `window` seconds."""

    limit: int
    window: int

    def as_tuple(self) -> tuple[int, int]:
        # django-ratelimit accepts a (count, seconds) tuple in place of its own
        # rate syntax, which is laxer than ours ("5/3m", "5" = per second).
        return (self.limit, self.window)


@lru_cache(maxsize=64)
def parse_rate(text: str) -> Rate:
    """Parse `"N/second|minute|hour|day"` (case-insensitive); N is a positive integer.

    >>> parse_rate("10/minute")
    Rate(limit=10, window=60)
    """
    match = _RATE_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ImproperlyConfigured(
            f"Invalid rate {text!r}: expected 'N/second', 'N/minute', 'N/hour' or 'N/day'"
        )
    period = match["period"].lower()
    if period not in PERIODS:
        raise ImproperlyConfigured(
            f"Invalid rate {text!r}: the period must be second, minute, hour or day"
        )
    limit = int(match["limit"])
    if limit < 1:
        # A zero budget would refuse every request: almost certainly a typo.
        raise ImproperlyConfigured(f"Invalid rate {text!r}: N must be at least 1")
    return Rate(limit=limit, window=PERIODS[period])


def rate_setting(name: str) -> Rate:
    """The rate held by setting `name`, read now (not at import)."""
    try:
        raw = getattr(settings, name)
    except AttributeError as exc:
        raise ImproperlyConfigured(f"Setting {name} is not defined") from exc
    try:
        return parse_rate(raw)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc
