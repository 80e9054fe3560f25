"""Fixtures for the throttling tests: a dead cache and a movable clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.test import override_settings

# django-redis pointed at a port nobody listens on: every call raises
# ConnectionInterrupted at once (connection refused), as when Redis is down.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def cache_down() -> Iterator[None]:
    """Swap the default cache for a dead Redis for the test's duration.

    override_settings (not the `settings` fixture) so the real cache is back
    before the autouse `clean_cache` fixture clears it at teardown.
    """
    with override_settings(CACHES=DEAD_REDIS):
        yield


class FakeClock:
    """A time.time() replacement that only moves when told to."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Patch time.time (read by django_ratelimit.core and LocMem expiry)."""
    fake = FakeClock(time.time())
    monkeypatch.setattr(time, "time", fake)
    return fake


def run_in_threads(count: int, target: Callable[[], str]) -> list[str]:
    """Run `target` in `count` threads released together; collect the results."""
    import threading

    barrier = threading.Barrier(count)
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        outcome = target()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results
