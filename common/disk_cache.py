"""The embedded default's cache: diskcache's Django backend, made to behave like Redis.

    CACHES = {"default": {
        "BACKEND": "common.disk_cache.SharedDiskCache",
        "LOCATION": "/path/to/project/.cache/default",
        "LOCK_WAIT": 0.5,
    }}

With REDIS_URL unset, rate-limit counters, login lockouts and the books
cache version must still be shared by everything on the machine: the server,
each of its workers and `manage.py` commands (`unlock`, a rename in `shell`).
Django's LocMemCache lives in one process's memory, so none of that worked.
diskcache keeps the cache in SQLite files (WAL journal, one write lock per
shard) that every process opens. Its `add` and `incr` each run in one
`BEGIN IMMEDIATE` transaction, so they are atomic across processes, which is
what django-ratelimit's counting (`add` + `incr`) and the login guard
(throttling/lockout.py) rely on.

`SharedDiskCache` is a Django cache backend over diskcache's public `Cache`
(one SQLite file per shard), and each choice has a reason:

1. One set of shards per process. Django builds a cache backend per thread
   and per async context: measured here, a new instance for every request
   (two for a FastAPI one). diskcache's own `DjangoCache` opens a new
   FanoutCache (8 SQLite files, schema checks) in each. Here every instance
   shares the process's shards; their SQLite connections are per thread and
   reused from request to request.
2. A stuck cache fails like a Redis that is down, and soon. DjangoCache
   retries a locked write forever (`retry=True`); with `retry=False` its
   FanoutCache turns a lock timeout into a believable answer instead
   (`add` -> False, "already there", so a lockout would silently not be set;
   `incr` -> None; `get` -> the default). Here each operation goes to its
   shard (`zlib.crc32` of the key picks it: stable across processes and
   Python runs, unlike `hash()`), retries for at most LOCK_WAIT seconds, then raises
   `CacheBusy`, which callers already treat as "cache down": the limiter
   fails open (or 503), the login guard answers 503, the books cache misses.
3. `close()` keeps the connections. Django calls it after every request
   (`request_finished`); reopening the SQLite files each time would cost
   more than the request. django-redis keeps its connections the same way.

What matches Redis (tests/unit/common/test_disk_cache.py): `incr` and `decr`
of a missing or expired key raise ValueError and keep the key's TTL; `add`
succeeds over an expired key; `timeout=None` never expires; `timeout=0`
expires at once. Expiry follows `time.time()`, as in LocMem and
django-ratelimit, so tests that patch the clock move all three together.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from diskcache import Cache, Timeout
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

T = TypeVar("T")

# Seconds one SQLite attempt waits for a shard's write lock (its busy
# timeout), then the attempt is retried: short, so a waiter notices soon that
# the lock is free. diskcache's own default.
DEFAULT_DATABASE_TIMEOUT = 0.010
# Seconds an operation may keep retrying before it gives up with CacheBusy.
# Writes hold the lock for microseconds; half a second means something is
# wrong (a process frozen mid-write). Like django-redis's SOCKET_TIMEOUT.
DEFAULT_LOCK_WAIT = 0.5
DEFAULT_SHARDS = 8

# One tuple of shards per configuration and process, shared by every backend instance.
_stores: dict[tuple[Any, ...], tuple[Cache, ...]] = {}
_stores_lock = threading.Lock()


class CacheBusy(Exception):
    """A cache shard stayed write-locked longer than LOCK_WAIT seconds."""


def shared_shards(
    directory: str, *, shards: int, database_timeout: float, options: dict[str, Any]
) -> tuple[Cache, ...]:
    """The process's shards for this directory and settings, opened on first use.

    Shard N lives in `<directory>/<NNN>`; a `size_limit` in `options` is the
    whole cache's, split evenly between the shards.
    """
    key = (str(directory), shards, database_timeout, tuple(sorted(options.items())))
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            per_shard = dict(options)
            if "size_limit" in per_shard:
                per_shard["size_limit"] = int(per_shard["size_limit"]) // shards
            store = tuple(
                Cache(str(Path(directory) / f"{number:03d}"), database_timeout, **per_shard)
                for number in range(shards)
            )
            _stores[key] = store
        return store


class SharedDiskCache(BaseCache):
    """A Django cache in SQLite files, shared by every process that opens the directory.

    Settings beside BACKEND and LOCATION (the directory): SHARDS (SQLite
    files, each with its own write lock), DATABASE_TIMEOUT (one attempt's
    wait for a lock), LOCK_WAIT (an operation's total wait before CacheBusy)
    and OPTIONS (diskcache settings such as `size_limit`).
    """

    def __init__(self, directory: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.directory = str(directory)
        self._shards = shared_shards(
            directory,
            shards=int(params.get("SHARDS", DEFAULT_SHARDS)),
            database_timeout=float(params.get("DATABASE_TIMEOUT", DEFAULT_DATABASE_TIMEOUT)),
            options=dict(params.get("OPTIONS", {})),
        )
        self.lock_wait = float(params.get("LOCK_WAIT", DEFAULT_LOCK_WAIT))

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> float | None:
        """Seconds until expiry, as diskcache takes them (Django's base gives an epoch time)."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        elif timeout == 0:
            timeout = -1  # expired at once (Django ticket 21147: no clock rounding)
        return None if timeout is None else float(timeout)

    # --- Django's cache API, each operation on its shard ----------------------

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Store only if absent (or expired): True when stored. Atomic across processes."""
        db_key = self.make_key(key, version=version)
        expire = self.get_backend_timeout(timeout)
        shard = self._shard(db_key)
        # Most adds find the key there (the limiter adds its window's counter
        # on every request). A read needs no write lock: answering False from
        # it is what SET NX would answer at that moment, and saves a write
        # transaction the other processes would queue behind.
        if db_key in shard:
            return False
        return bool(self._within_lock_wait(lambda: shard.add(db_key, value, expire, retry=False)))

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        db_key = self.make_key(key, version=version)
        expire = self.get_backend_timeout(timeout)
        shard = self._shard(db_key)
        self._within_lock_wait(lambda: shard.set(db_key, value, expire, retry=False))

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        db_key = self.make_key(key, version=version)
        shard = self._shard(db_key)
        return self._within_lock_wait(lambda: shard.get(db_key, default, retry=False))

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        db_key = self.make_key(key, version=version)
        expire = self.get_backend_timeout(timeout)
        shard = self._shard(db_key)
        return bool(self._within_lock_wait(lambda: shard.touch(db_key, expire, retry=False)))

    def delete(self, key: str, version: int | None = None) -> bool:
        db_key = self.make_key(key, version=version)
        shard = self._shard(db_key)
        return bool(self._within_lock_wait(lambda: shard.delete(db_key, retry=False)))

    def has_key(self, key: str, version: int | None = None) -> bool:
        db_key = self.make_key(key, version=version)
        return db_key in self._shard(db_key)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """Add `delta` atomically and return the new value; the TTL is kept.

        :raise ValueError: the key is missing or expired (Django's contract,
            and what Redis-backed callers expect: see books/cache.py).
        """
        db_key = self.make_key(key, version=version)
        shard = self._shard(db_key)
        try:
            return int(
                self._within_lock_wait(lambda: shard.incr(db_key, delta, default=None, retry=False))
            )
        except KeyError:
            raise ValueError(f"Key {key!r} not found") from None

    def decr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -delta, version=version)

    def clear(self) -> None:
        for shard in self._shards:
            self._within_lock_wait(partial(shard.clear, retry=False))

    def close(self, **kwargs: Any) -> None:
        """Keep the connections open: Django calls this after every request (point 3)."""

    # --- internals ----------------------------------------------------------------

    def _shard(self, key: str) -> Cache:
        return self._shards[zlib.crc32(key.encode()) % len(self._shards)]

    def _within_lock_wait(self, operation: Callable[[], T]) -> T:
        """Run `operation`, retrying while its shard is write-locked, up to LOCK_WAIT s.

        A diskcache Timeout is raised before anything is written (the lock was
        never taken), so running the operation again is safe. The deadline is
        on the monotonic clock: tests freeze time.time().
        """
        deadline = time.monotonic() + self.lock_wait
        while True:
            try:
                return operation()
            except Timeout:
                if time.monotonic() >= deadline:
                    raise CacheBusy(
                        f"cache shard write-locked for over {self.lock_wait} s"
                    ) from None
