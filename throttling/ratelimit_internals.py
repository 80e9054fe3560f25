"""The two django-ratelimit functions the limiter needs that it does not export.

    window_end = window("203.0.113.7", 60)
    key = cache_key("anon", window_end, "100/m", "203.0.113.7", ALL_METHODS)

django-ratelimit's public `get_usage` counts with two cache calls (`add`,
then `incr`). The limiter's Redis path does the same count in one Lua call
(throttling/limiter.py, COUNT_IN_WINDOW), and a count made either way must
land in the same key, or a client would have two budgets. The library names
a window and builds its key in private helpers, so this module is the only
place that imports them: if a django-ratelimit upgrade renames or changes
them, one file changes, and tests/unit/throttling/test_counter.py (which
counts the same request both ways and expects one budget) fails first.
Pinned version: requirements/base.txt.
"""

from __future__ import annotations

from django_ratelimit.core import _get_window as window
from django_ratelimit.core import _make_cache_key as cache_key

__all__ = ["cache_key", "window"]
