"""The books read cache: versioned keys, bumped after every committed write.

Instead of finding and deleting every cached page a write affects (which
pages hold a book depends on every filter and sort), each key embeds a
version number:

    books:v1732435200123:list:<sha256 of the normalised query>
    books:v1732435200123:detail:42

A write bumps `books:version`; from then on every read computes keys nobody
has written yet, a MISS with fresh data, and the old entries expire by TTL.
The version starts from the clock (milliseconds), not 1: if the version key
is evicted or Redis restarts while old entries survive, a restarted counter
could land on an old version and serve its stale pages.

The bump is wired to Book's post_save/post_delete signals, deferred with
`transaction.on_commit`: services, the admin, management commands and plain
ORM code all invalidate, and only once their transaction is visible (a read
racing an uncommitted write would otherwise re-cache old rows under the new
version). Bulk `QuerySet.update()`/`bulk_create()` send no signals: call
`book_cache.bump()` yourself after those.

The cache is an optimisation, never a dependency: every cache error is
logged and treated as a MISS (reads then go to the database). A bump lost
while Redis is down is why entries carry a TTL: staleness is bounded by it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache as default_cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from books.models import Book

logger = logging.getLogger(__name__)

T = TypeVar("T")


class VersionedCache:
    """Read-through cache under a version that `bump()` moves on.

    `get_or_compute` is the one entry point for reads; `cache` and `timer`
    are class attributes so tests can swap them (a failing cache, a clock).
    """

    cache = default_cache
    timer = time.time
    # Seconds an entry may live: the bound on staleness if a bump is lost.
    timeout = 120

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.version_key = f"{namespace}:version"

    def version(self) -> int | None:
        """The current version, created on first use; None when the cache is down."""
        try:
            version = self.cache.get(self.version_key)
            if version is None:
                # add, not set: of two processes starting at once, one wins and
                # both then read the same value.
                self.cache.add(self.version_key, self._initial_version(), timeout=None)
                version = self.cache.get(self.version_key)
            return int(version) if version is not None else None
        except Exception as exc:  # any cache failure means "no cache"
            self._warn("read the version", exc)
            return None

    def bump(self) -> None:
        """Move to a new version: every key computed before is now unreachable."""
        try:
            try:
                self.cache.incr(self.version_key)
            except ValueError:
                # No version yet (first write, eviction, flush): start a new one.
                self.cache.add(self.version_key, self._initial_version(), timeout=None)
        except Exception as exc:
            self._warn("bump the version", exc)

    def key(self, version: int, *parts: str) -> str:
        return ":".join([self.namespace, f"v{version}", *parts])

    def get_or_compute(self, parts: tuple[str, ...], compute: Callable[[], T]) -> tuple[T, bool]:
        """`(value, hit)`: from the cache when there, else computed and stored.

        The version is read once: if a write bumps it while we compute, we
        store under the old version, which no later read asks for, so a
        value computed from pre-write rows can never be served as current.
        """
        version = self.version()
        if version is None:
            return compute(), False
        key = self.key(version, *parts)
        try:
            # Wrapped in a 1-tuple so a cached None ("no such book") is a HIT.
            cached = self.cache.get(key)
        except Exception as exc:
            self._warn("read", exc)
            return compute(), False
        if cached is not None:
            return cached[0], True
        value = compute()
        try:
            self.cache.set(key, (value,), timeout=self.timeout)
        except Exception as exc:
            self._warn("write", exc)
        return value, False

    def _initial_version(self) -> int:
        return int(self.timer() * 1000)

    def _warn(self, action: str, exc: Exception) -> None:
        logger.warning(
            "cache unavailable, could not %s for %s (%s): treating as a miss",
            action,
            self.namespace,
            exc.__class__.__name__,
        )


book_cache = VersionedCache("books")


def digest(params: dict[str, Any]) -> str:
    """A short, stable key part for a dict of normalised parameters."""
    text = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@receiver(post_save, sender=Book, dispatch_uid="books.cache.bump_on_save")
@receiver(post_delete, sender=Book, dispatch_uid="books.cache.bump_on_delete")
def _bump_on_write(*, using: str, **kwargs: Any) -> None:
    # Outside a transaction on_commit runs at once; inside, after COMMIT, and
    # never if the transaction rolls back (nothing changed, nothing to bump).
    # One bump per saved row, even when many rows share a transaction: an
    # INCR is cheap, and deduplicating would lean on Django internals.
    transaction.on_commit(book_cache.bump, using=using)
