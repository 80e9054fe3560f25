"""Cache writes that must not be lost, not even with the process that promised them.

    # once per kind, at import: how to write one (raising while the cache does)
    cache_retry.register("version_bump", lambda namespace: VersionedCache(namespace).bump_once())
    # inside the write's transaction: on record now, written to the cache after COMMIT
    cache_retry.promise("version_bump", "books")
    # after a write already committed (a bulk update): written now, on record if that fails
    cache_retry.run("version_bump", "books")
    # every server process, at start-up (config/asgi.py, the lifespan)
    cache_retry.watch()

Some cache writes carry a promise: bumping the books version (no read may
serve data older than an acknowledged write), tombstoning a revoked login
family and giving a changed user a new stamp (their tokens stop working on
the cached read path, which asks no database). When the cache is down or
stalled at the moment of the write, dropping it would break the promise for
as long as the old entries live (pages 120 s, login snapshots 60 s).

Retrying in memory alone is not enough. In a double fault (the cache stalls,
the write is acknowledged, then the process that acknowledged it is killed
before the cache answers again) the pending write died with the process and
every prefix served the old page for two minutes. So the promise is kept
where the write itself is, in the database: an outbox table
(common.models.PendingInvalidation, one row per promise: kind and payload).

1. `promise()` inserts the row inside the write's own transaction: the row
   exists exactly when the write committed, with no moment where the write
   is visible and the promise is not on record.
2. After COMMIT (`transaction.on_commit`) the process writes the cache at
   once, as before, and deletes the row when that worked. A write costs one
   INSERT and one DELETE more; a read costs nothing more (a cached read is
   still one Redis round trip and no database query).
3. When the cache write fails, the row stays, and this process retries it
   every RETRY_INTERVAL seconds in a daemon thread, then deletes it.
4. Every server process also reads the table: at start-up and then every
   CACHE_OUTBOX_POLL_MS (1 s by default), one `SELECT ... ORDER BY id LIMIT`
   on a table that is empty nearly always. A row a dead process left is
   written by whoever finds it first: the worker started in its place, a
   sibling worker that never saw the fault, the next server to start. With
   the cache back, that is within about one poll interval plus one retry.

Writing one of these twice is harmless (one more bump, the same tombstone
again, a newer stamp), so two processes may well drain the same row: that
is cheaper and simpler than locking rows. One successful write settles every
row of the same kind and payload that was read before it (committed before
it), so a hundred pending bumps cost one INCR.

The other design considered: every process bumps the books version (and
moves a "refuse snapshots older than this" mark) when it starts. That
covers a worker the supervisor restarts, but not a process nobody restarts
(a `manage.py shell` killed during the stall, a worker a fixed pool does not
replace), it cannot tell which revocation was lost (so it would have to
refuse every login snapshot), and its own start-up bump can meet the same
stalled cache. The outbox keeps the exact pending writes, and any survivor
can finish them.

A name for each pending write (`pending()`, the log lines) is
"<kind>:<payload>", e.g. "version_bump:books".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction

from common.db import release_connections
from common.redis_epoch import epoch

logger = logging.getLogger(__name__)

# Seconds between tries of pending writes: with the cache back, every write
# this process knows about lands within this long (the contract allows 2 s).
RETRY_INTERVAL = 0.25
# Rows read per look at the outbox (the rest wait for the next look).
OUTBOX_BATCH = 500

Handler = Callable[[str], None]
Key = tuple[str, str]  # (kind, payload)


def _outbox() -> Any:
    """The outbox model (imported late: this module loads before the apps are ready)."""
    from common.models import PendingInvalidation

    return PendingInvalidation


class RetryQueue:
    """Promised cache writes, tried until each lands, on record in the database meanwhile."""

    interval = RETRY_INTERVAL

    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})
        # Pending writes, each with the outbox rows its landing settles.
        self._jobs: dict[Key, set[int]] = {}
        self._lock = threading.Lock()
        # One drain at a time: the thread's and a caller's must not both run a job.
        self._draining = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Seconds between looks at the outbox; None: this process does not look.
        self._poll_interval: float | None = None
        self._next_poll = 0.0
        self._unknown_kinds: set[str] = set()

    # --- What callers use --------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        """How to write a `kind`: `handler(payload)`, raising when the cache does."""
        self._handlers[kind] = handler

    @property
    def handlers(self) -> dict[str, Handler]:
        """The registered kinds (a copy: `RetryQueue(handlers=...)` makes a sibling)."""
        return dict(self._handlers)

    def promise(self, kind: str, payload: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
        """On record in the current transaction; written to the cache once it commits.

        Outside a transaction the row commits at once and the write follows.
        A rolled-back transaction takes the row with it, and writes nothing.
        """
        self._handler(kind)  # an unknown kind fails here, in the caller, not in the retrier
        row_id = _outbox().objects.using(using).create(kind=kind, payload=payload).pk
        transaction.on_commit(
            lambda: self._write_now(kind, payload, {row_id}, using=using), using=using
        )

    def run(self, kind: str, payload: str) -> bool:
        """Write now; if that fails, put it on record and retry. True if it landed now.

        For writes whose database side has already committed (after a bulk
        update): there is no transaction left to join.
        """
        try:
            if not epoch.known():  # see drain(): not without Redis's epoch
                raise ConnectionError("Redis has not answered this process yet")
            self._handler(kind)(payload)
        except Exception as exc:
            self._log_failure(kind, payload, exc)
            self._queue(kind, payload, self._record(kind, payload))
            return False
        return True

    def watch(self, poll_interval: float | None = None) -> None:
        """Read the outbox now and every `poll_interval` s (CACHE_OUTBOX_POLL_MS) from now on.

        For server processes, at start-up. 0 turns it off (the pytest process,
        whose tests drain by hand).
        """
        if poll_interval is None:
            poll_interval = settings.CACHE_OUTBOX_POLL_MS / 1000
        if poll_interval <= 0:
            return
        with self._lock:
            self._poll_interval = poll_interval
            self._next_poll = 0.0
            self._ensure_thread()
        self._wake.set()

    def unwatch(self) -> None:
        """Stop reading the outbox (the thread ends once nothing is pending)."""
        with self._lock:
            self._poll_interval = None
        self._wake.set()

    def pending(self) -> list[str]:
        """The writes this process is retrying, as "<kind>:<payload>"."""
        with self._lock:
            return sorted(f"{kind}:{payload}" for kind, payload in self._jobs)

    # --- The retrier --------------------------------------------------------------------

    def poll_outbox(self) -> int:
        """Take on every row in the outbox (whoever left it); how many there were."""
        model = _outbox()
        try:
            rows = list(model.objects.order_by("pk")
                        .values_list("pk", "kind", "payload")[:OUTBOX_BATCH])
        except Exception as exc:  # the database is down: look again next time
            logger.warning("could not read the cache outbox (%s)", exc.__class__.__name__)
            return 0
        with self._lock:
            for row_id, kind, payload in rows:
                if kind not in self._handlers:
                    self._unknown(kind)  # left on record for a process that knows it
                    continue
                self._jobs.setdefault((kind, payload), set()).add(row_id)
        if rows:
            logger.info("cache outbox: %d pending write(s) on record", len(rows))
        return len(rows)

    def drain(self) -> None:
        """Try every pending write once, now (the loop's body; tests call it).

        A failure ends the round: the cache is down, the others would wait
        out the same timeout one after the other.
        """
        settled: set[int] = set()
        with self._draining:
            if self._poll_interval is not None and time.monotonic() >= self._next_poll:
                self._next_poll = time.monotonic() + self._poll_interval
                self.poll_outbox()
            with self._lock:
                # Copies: rows added while a write is in flight are not settled by it.
                jobs = [(key, set(rows)) for key, rows in self._jobs.items()]
            if jobs and not epoch.known():
                # Redis has not answered this process yet: a write now would be
                # made without Redis's epoch, where no reader looks once it is
                # known (common/redis_epoch.py). Next round.
                jobs = []
            for (kind, payload), rows in jobs:
                try:
                    self._handler(kind)(payload)
                except Exception:
                    break
                self._settled((kind, payload), rows)
                settled |= rows
                logger.info("cache write %s:%s landed after a retry", kind, payload)
        # Off the record after the drain lock is let go: a caller's drain never
        # waits behind this thread's DELETE.
        self._forget(settled)

    def _loop(self) -> None:
        while True:
            with self._lock:
                busy = bool(self._jobs)
            self._wake.wait(self.interval if busy or self._poll_interval is None
                            else self._poll_interval)
            self._wake.clear()
            try:
                self.drain()
            except Exception:  # never let the retrier die
                logger.exception("cache retry round failed")
            finally:
                release_connections()  # this thread's connection, back to the pool
            with self._lock:
                if not self._jobs and self._poll_interval is None:
                    self._thread = None
                    return

    # --- Helpers ---------------------------------------------------------------------------

    def _handler(self, kind: str) -> Handler:
        handler = self._handlers.get(kind)
        if handler is None:
            raise LookupError(f"no cache write registered for {kind!r}")
        return handler

    def _write_now(self, kind: str, payload: str, rows: set[int], *, using: str) -> None:
        """After COMMIT: the cache write, then the row off the record."""
        try:
            if not epoch.known():  # see drain(): not without Redis's epoch
                raise ConnectionError("Redis has not answered this process yet")
            self._handler(kind)(payload)
        except Exception as exc:
            self._log_failure(kind, payload, exc)
            self._queue(kind, payload, rows)
            return
        self._forget(rows, using=using)

    def _record(self, kind: str, payload: str) -> set[int]:
        """A row for a write that failed outside a transaction (none if the database fails too)."""
        try:
            return {_outbox().objects.create(kind=kind, payload=payload).pk}
        except Exception as exc:
            logger.warning("could not put cache write %s:%s on record (%s): retrying in memory",
                           kind, payload, exc.__class__.__name__)
            return set()

    def _queue(self, kind: str, payload: str, rows: Iterable[int]) -> None:
        with self._lock:
            self._jobs.setdefault((kind, payload), set()).update(rows)
            self._ensure_thread()
        self._wake.set()

    def _settled(self, key: Key, rows: set[int]) -> None:
        """A write landed: drop it, unless rows came in while it was in flight."""
        with self._lock:
            remaining = self._jobs.get(key)
            if remaining is not None:
                remaining -= rows
                if not remaining:
                    del self._jobs[key]

    def _forget(self, rows: set[int], *, using: str = DEFAULT_DB_ALIAS) -> None:
        if not rows:
            return
        try:
            _outbox().objects.using(using).filter(pk__in=rows).delete()
        except Exception as exc:  # left on record: someone writes it once more, harmlessly
            logger.warning("could not clear cache outbox rows (%s)", exc.__class__.__name__)

    def _ensure_thread(self) -> None:
        """Start the retrier thread unless it runs (call with the lock held)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="cache-retry", daemon=True)
            self._thread.start()

    def _log_failure(self, kind: str, payload: str, exc: Exception) -> None:
        logger.warning("cache write %s:%s failed (%s): on record, retrying in the background",
                       kind, payload, exc.__class__.__name__)

    def _unknown(self, kind: str) -> None:
        if kind not in self._unknown_kinds:
            self._unknown_kinds.add(kind)
            logger.warning("cache outbox holds %r rows and nothing here writes them", kind)


cache_retry = RetryQueue()
