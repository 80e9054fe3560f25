"""Cache writes that must not be lost: retried in the background until they land.

    cache_retry.run("books:version", book_cache.bump_once)

Some cache writes carry a promise: bumping the books version (no read may
serve data older than an acknowledged write) and marking a login family
revoked (its tokens stop working at every prefix). When the cache is down
or stalled at the moment of the write, dropping it would break the promise
for as long as old entries live. So a failed write is queued here and a
daemon thread retries it every RETRY_INTERVAL seconds until it succeeds.

Each job has a name: queuing a job whose name is already waiting replaces it
(two lost bumps need one bump to land, not two). The queue is per process;
it is lost only if the process dies before the cache answers again, and
then the entries' own TTLs bound how stale anything can be.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Seconds between tries: with the cache back, every queued write lands within
# this long (the contract allows 2 s).
RETRY_INTERVAL = 0.25


class RetryQueue:
    """Named jobs retried until each returns without raising."""

    interval = RETRY_INTERVAL

    def __init__(self) -> None:
        self._jobs: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()
        # One drain at a time: the thread's and a caller's must not both run a job.
        self._draining = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self, name: str, job: Callable[[], None]) -> bool:
        """Try `job` now; on failure queue it for retries. True if it landed now."""
        try:
            job()
        except Exception as exc:
            logger.warning("cache write %s failed (%s): retrying in the background",
                           name, exc.__class__.__name__)
            self.defer(name, job)
            return False
        return True

    def defer(self, name: str, job: Callable[[], None]) -> None:
        with self._lock:
            self._jobs[name] = job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="cache-retry", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._jobs)

    def drain(self) -> None:
        """Try every queued job once, now (the loop's body; tests call it)."""
        with self._draining:
            with self._lock:
                jobs = list(self._jobs.items())
            for name, job in jobs:
                try:
                    job()
                except Exception:
                    continue
                with self._lock:
                    if self._jobs.get(name) is job:
                        del self._jobs[name]
                        logger.info("cache write %s landed after a retry", name)

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.drain()
            with self._lock:
                if not self._jobs:
                    self._thread = None
                    return


cache_retry = RetryQueue()
