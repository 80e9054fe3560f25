"""The books read cache: whole response bodies, tagged with the books version.

    GET /api/fastapi/books?page=2  ->  books:page:<URL hash> = b"1732435200123\n{...json...}"
    books:version                  ->  1732435200123

What is cached is the response body each framework already rendered, as
bytes: a hit sends them as they are, with no query, no serializer and no
JSON encoder on the way. The key is the request's full URL (scheme, host,
prefix, path, query string as sent): the body holds absolute links, so
each prefix and host has its own entries. Only 200 answers are stored; a
bad query (422) is recomputed, and refused, every time.

Instead of finding and deleting every cached page a write affects (which
pages hold a book depends on every filter and sort), each stored body is
tagged with the version it was computed under, and `books:version` moves on
at every write. A read fetches the version and the page together (one round
trip, see books/fast_read.py) and trusts the page only if its tag is the
current version. So a write makes every stored page a MISS at once, at every
prefix, and the next read stores the fresh body over the old one.

The version starts from the clock (milliseconds), not 1: if the version key
is evicted or Redis restarts while old entries survive, a restarted counter
could land on an old version and serve its stale pages.

The bump is wired to Book's post_save/post_delete signals, deferred with
`transaction.on_commit`: services, the admin, management commands and plain
ORM code all invalidate, and only once their transaction is visible (a read
racing an uncommitted write would otherwise re-tag old rows with the new
version). Bulk `QuerySet.update()`/`bulk_create()` send no signals: call
`book_cache.bump()` yourself after those.

A bump is a promise kept in the database (common/retry.py): the signal
handler puts a `version_bump` row in the outbox inside the write's own
transaction, and after COMMIT the bump is tried at once and the row cleared.
A bump that fails (the cache down or stalled during a write) stays on
record and is retried in the background until it lands, by this process
or, if it dies first, by any other server process (each one reads the
outbox at start-up and every second). So within 2 s of the cache answering
again no read serves data older than the last acknowledged write, even after
a double fault. The read side is untouched: a hit asks no database. The cache
is an optimisation, never a dependency: every cache error is logged and
treated as a MISS (reads then go to the database).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, NamedTuple

from django.core.cache import cache as default_cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from books.models import Book
from common import redis_client as store
from common.retry import cache_retry

logger = logging.getLogger(__name__)

# The outbox kind of a version bump (common/retry.py); its payload is the
# cache's namespace.
VERSION_BUMP = "version_bump"

class StoredPage(NamedTuple):
    """A stored response body and the version it was computed under."""

    version: int
    body: bytes

    def encode(self) -> bytes:
        return b"%d\n" % self.version + self.body

    @classmethod
    def decode(cls, raw: bytes | None) -> StoredPage | None:
        if not raw:
            return None
        tag, _, body = bytes(raw).partition(b"\n")
        try:
            return cls(int(tag), body)
        except ValueError:
            return None  # not ours, or truncated: a MISS


class VersionedCache:
    """Response bodies under a version that `bump()` moves on.

    `cache` and `timer` are class attributes so tests can swap them (a
    failing cache, a clock). The hot read itself (version and page in one
    round trip) is books/fast_read.py; this class owns the keys, the version
    and the writes.
    """

    cache = default_cache
    timer = staticmethod(time.time)
    # Seconds an entry may live. Not a staleness bound any more (tags and the
    # bump retry are): it only lets rarely asked pages leave the cache.
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
            self.warn("read the version", exc)
            return None

    def bump(self) -> None:
        """Move to a new version now: every page stored before is now a MISS.

        For writes that have already committed (after `bulk_create()` or
        `QuerySet.update()`). A failure (cache down or stalled) is put on
        record in the outbox and retried until it lands.
        """
        cache_retry.run(VERSION_BUMP, self.namespace)

    def bump_on_commit(self, *, using: str = DEFAULT_DB_ALIAS) -> None:
        """Bump once the current transaction commits, on record in the database until then.

        The outbox row is part of the transaction: if it commits, the bump is
        owed even if this process dies before the cache answers.
        """
        cache_retry.promise(VERSION_BUMP, self.namespace, using=using)

    def bump_once(self) -> None:
        """One try at the bump; raises when the cache does."""
        try:
            self.cache.incr(self.version_key)
        except ValueError:
            # No version yet (first write, eviction, flush): start a new one.
            self.cache.add(self.version_key, self._initial_version(), timeout=None)

    def page_key(self, url: str) -> str:
        """The key of the body answered for `url` (hashed: URLs can be long)."""
        digest = hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=16)
        return f"{self.namespace}:page:{digest.hexdigest()}"

    def store(self, key: str, page: StoredPage) -> None:
        """Keep a freshly rendered body; a failure only costs the next read a MISS.

        On Redis the bytes are written raw (not pickled by django-redis), so
        the pipelined read in books/fast_read.py gets them back as they are.
        """
        try:
            store.set_value(key, page.encode(), self.timeout)
        except Exception as exc:
            self.warn("write", exc)

    def _initial_version(self) -> int:
        return int(self.timer() * 1000)

    def warn(self, action: str, exc: Exception) -> None:
        logger.warning(
            "cache unavailable, could not %s for %s (%s): treating as a miss",
            action,
            self.namespace,
            exc.__class__.__name__,
        )


book_cache = VersionedCache("books")


def _land_bump(namespace: str) -> None:
    """One try at a pending bump (the retrier's and the outbox's handler)."""
    if namespace == book_cache.namespace:
        book_cache.bump_once()
    else:
        VersionedCache(namespace).bump_once()


cache_retry.register(VERSION_BUMP, _land_bump)


@receiver(post_save, sender=Book, dispatch_uid="books.cache.bump_on_save")
@receiver(post_delete, sender=Book, dispatch_uid="books.cache.bump_on_delete")
def _bump_on_write(*, using: str, **kwargs: Any) -> None:
    # The outbox row joins the write's transaction; the bump runs after COMMIT
    # (at once outside a transaction), and never if the transaction rolls
    # back (nothing changed, nothing to bump). One row and one bump per saved
    # row, even when many rows share a transaction: an INSERT and an INCR are
    # cheap, and deduplicating would lean on Django internals.
    book_cache.bump_on_commit(using=using)
