"""common.disk_cache.SharedDiskCache: Redis's semantics on SQLite files, across processes.

Each test opens its own cache on a temporary directory, so these run the
same whichever cache the settings chose (REDIS_URL set or not).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches

from common.disk_cache import CacheBusy, SharedDiskCache

PARAMS = {"LOCK_WAIT": 0.2}


class FakeClock:
    """A time.time() replacement that only moves when told to."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def disk_cache(tmp_path: Path) -> SharedDiskCache:
    return SharedDiskCache(str(tmp_path / "cache"), dict(PARAMS))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(time.time())
    monkeypatch.setattr(time, "time", fake)
    return fake


# --- the operations the limiter, the login guard and the books cache use ------------


def test_incr_of_a_missing_key_raises_value_error(disk_cache: SharedDiskCache) -> None:
    with pytest.raises(ValueError):
        disk_cache.incr("missing")
    with pytest.raises(ValueError):
        disk_cache.decr("missing")
    assert disk_cache.get("missing") is None  # and did not create it


def test_add_then_incr_counts(disk_cache: SharedDiskCache) -> None:
    assert disk_cache.add("hits", 1, timeout=60) is True
    assert disk_cache.add("hits", 1, timeout=60) is False
    assert disk_cache.incr("hits") == 2
    assert disk_cache.incr("hits", 5) == 7
    assert disk_cache.decr("hits") == 6
    assert disk_cache.get("hits") == 6


def test_incr_keeps_the_ttl(disk_cache: SharedDiskCache, clock: FakeClock) -> None:
    disk_cache.add("window", 1, timeout=10)
    clock.now += 9
    assert disk_cache.incr("window") == 2
    clock.now += 2  # 11 s after add: the window is over, however recently it counted
    assert disk_cache.get("window") is None
    with pytest.raises(ValueError):
        disk_cache.incr("window")


def test_add_succeeds_over_an_expired_key(disk_cache: SharedDiskCache, clock: FakeClock) -> None:
    disk_cache.add("lock", "first", timeout=5)
    clock.now += 6
    assert disk_cache.add("lock", "second", timeout=5) is True
    assert disk_cache.get("lock") == "second"


def test_timeout_none_never_expires(disk_cache: SharedDiskCache, clock: FakeClock) -> None:
    disk_cache.add("version", 1700000000000, timeout=None)
    disk_cache.set("other", "x", timeout=None)
    clock.now += 10 * 365 * 86_400
    assert disk_cache.get("version") == 1700000000000
    assert disk_cache.incr("version") == 1700000000001
    assert disk_cache.get("other") == "x"


def test_timeout_zero_expires_at_once(disk_cache: SharedDiskCache) -> None:
    disk_cache.set("gone", "x", timeout=0)
    assert disk_cache.get("gone") is None


def test_default_timeout_applies(disk_cache: SharedDiskCache, clock: FakeClock) -> None:
    disk_cache.set("page", ("cached",))  # Django's default: 300 s
    clock.now += 299
    assert disk_cache.get("page") == ("cached",)
    clock.now += 2
    assert disk_cache.get("page") is None


def test_many_keys_and_objects_round_trip(disk_cache: SharedDiskCache) -> None:
    disk_cache.set_many({"a": 1, "b": (None,), "c": {"nested": [1, 2]}}, timeout=60)
    assert disk_cache.get_many(["a", "b", "c", "d"]) == {
        "a": 1, "b": (None,), "c": {"nested": [1, 2]},
    }
    disk_cache.delete_many(["a", "b"])
    assert disk_cache.get_many(["a", "b", "c"]) == {"c": {"nested": [1, 2]}}
    assert disk_cache.has_key("c") and not disk_cache.has_key("a")


def test_clear_empties_every_shard(disk_cache: SharedDiskCache) -> None:
    for number in range(50):
        disk_cache.set(f"key-{number}", number, timeout=60)
    disk_cache.clear()
    assert disk_cache.get_many([f"key-{number}" for number in range(50)]) == {}


def test_a_key_lives_in_the_same_shard_in_every_process(tmp_path: Path) -> None:
    """Routing is crc32 of the key, not Python's per-process salted hash()."""
    script = (
        "import sys; from common.disk_cache import SharedDiskCache\n"
        "cache = SharedDiskCache(sys.argv[1], {})\n"
        "print([cache._shards.index(cache._shard(cache.make_key(f'key-{n}'))) for n in range(20)])"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "routing")],
            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[3],
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1
    assert len(set(json.loads(runs.pop()))) > 1  # the keys spread over several shards


# --- process-wide store, connections kept ---------------------------------------------


def test_instances_share_one_store_per_directory(tmp_path: Path) -> None:
    first = SharedDiskCache(str(tmp_path / "one"), dict(PARAMS))
    second = SharedDiskCache(str(tmp_path / "one"), dict(PARAMS))
    other = SharedDiskCache(str(tmp_path / "two"), dict(PARAMS))
    assert first._shards is second._shards
    assert other._shards is not first._shards
    first.set("k", "v", timeout=60)
    assert second.get("k") == "v" and other.get("k") is None


def test_close_keeps_the_cache_usable(disk_cache: SharedDiskCache) -> None:
    disk_cache.set("k", "v", timeout=60)
    disk_cache.close()
    assert disk_cache.get("k") == "v"


# --- failing like a Redis that is down ---------------------------------------------


@pytest.fixture
def write_locked(disk_cache: SharedDiskCache) -> Iterator[str]:
    """Hold the write lock of the shard that key "counter" lives in, from another connection."""
    disk_cache.add("counter", 1, timeout=60)
    shard = disk_cache._shard(disk_cache.make_key("counter"))
    holder = sqlite3.connect(Path(shard.directory) / "cache.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield "counter"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _missing_key_in_the_same_shard(disk_cache: SharedDiskCache, key: str) -> str:
    shard = disk_cache._shard(disk_cache.make_key(key))
    return next(
        candidate
        for candidate in (f"other-{number}" for number in range(1000))
        if disk_cache._shard(disk_cache.make_key(candidate)) is shard
    )


@pytest.mark.parametrize("operation", ["incr", "add", "set", "delete"])
def test_a_write_locked_shard_raises_cache_busy_soon(
    disk_cache: SharedDiskCache, write_locked: str, operation: str
) -> None:
    missing = _missing_key_in_the_same_shard(disk_cache, write_locked)
    calls = {
        "incr": lambda: disk_cache.incr(write_locked),
        "add": lambda: disk_cache.add(missing, 1, timeout=60),
        "set": lambda: disk_cache.set(write_locked, 1, timeout=60),
        "delete": lambda: disk_cache.delete(write_locked),
    }
    with pytest.raises(CacheBusy):
        calls[operation]()
    # Reads never wait for writers (WAL): the count is still there.
    assert disk_cache.get(write_locked) == 1


def test_add_of_a_live_key_answers_without_the_write_lock(
    disk_cache: SharedDiskCache, write_locked: str
) -> None:
    """The limiter adds its counter on every request: that add is a read, never queued."""
    assert disk_cache.add(write_locked, 1, timeout=60) is False


def test_a_write_waits_for_a_short_lock(disk_cache: SharedDiskCache) -> None:
    """A lock held for 50 ms (well under LOCK_WAIT) delays the write, never fails it."""
    disk_cache.add("counter", 1, timeout=60)
    shard = disk_cache._shard(disk_cache.make_key("counter"))
    holder = sqlite3.connect(
        Path(shard.directory) / "cache.db", isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.05, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        assert disk_cache.incr("counter") == 2
    finally:
        release.join()
        holder.close()


# --- atomic across processes ---------------------------------------------------------

_COUNTER = """
import sys
from common.disk_cache import SharedDiskCache
cache = SharedDiskCache(sys.argv[1], {"LOCK_WAIT": 10})
counts = []
for _ in range(int(sys.argv[2])):
    if cache.add("hits", 1, timeout=600):
        counts.append(1)
    else:
        counts.append(cache.incr("hits"))
print(" ".join(map(str, counts)))
"""


def test_add_and_incr_give_every_process_a_distinct_count(tmp_path: Path) -> None:
    """4 processes x 100 add-or-incr on one key: the counts are exactly 1..400."""
    from django.conf import settings

    directory = str(tmp_path / "shared")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _COUNTER, directory, "100"],
            cwd=settings.BASE_DIR, stdout=subprocess.PIPE, text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes)
    counts = sorted(int(count) for output in outputs for count in output.split())
    assert counts == list(range(1, 401))


def test_settings_choose_it_without_redis(settings) -> None:
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL is set: the cache is Redis")
    assert isinstance(caches["default"], SharedDiskCache)
    assert caches["default"].directory == str(settings.CACHE_DIR)
