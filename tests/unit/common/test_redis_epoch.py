"""The epoch in every key follows Redis's run_id: a new history, a new namespace; an outage, not."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from common import redis_epoch
from common.redis_epoch import RedisEpoch, make_key


class _FakeRedis:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.down = False
        self.role = "master"
        self.pool_disconnects = 0
        self.connection_pool = self

    def disconnect(self) -> None:
        self.pool_disconnects += 1

    def info(self, *sections: str) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("down")
        return {"run_id": self.run_id, "role": self.role}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> _FakeRedis:
    redis = _FakeRedis("a" * 40)
    monkeypatch.setattr(redis_epoch, "default_cache_client", lambda: redis)
    monkeypatch.setattr(RedisEpoch, "_start", lambda self: None)  # no poller thread here
    return redis


def test_a_new_run_id_is_a_new_epoch_and_an_outage_is_not(fake: _FakeRedis) -> None:
    epoch = RedisEpoch()
    first = epoch.current()
    assert first == "e" + "a" * 12 + ":"

    fake.down = True
    assert epoch.refresh() is False and epoch.current() == first

    fake.down, fake.run_id = False, "b" * 40
    assert epoch.refresh() is True and epoch.current() == "e" + "b" * 12 + ":"


def test_a_redis_never_reached_gives_keys_without_an_epoch_until_it_answers(
    fake: _FakeRedis,
) -> None:
    fake.down = True
    epoch = RedisEpoch()
    assert epoch.current() == ""

    fake.down = False
    assert epoch.refresh() is True and epoch.current().startswith("e")


def test_make_key_is_djangos_key_with_the_epoch_after_the_version(
    fake: _FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_epoch, "epoch", RedisEpoch())

    assert make_key("books:version", "api", 1) == "api:1:eaaaaaaaaaaaa:books:version"


class _FakeCluster:
    """redis-py's RedisCluster as the epoch sees it: INFO answered by every master."""

    PRIMARIES = "primaries"

    def __init__(self, run_ids: list[str]) -> None:
        self.run_ids = run_ids

    def info(self, section: str, target_nodes: str) -> dict[str, Any]:
        assert target_nodes == self.PRIMARIES
        if len(self.run_ids) == 1:  # redis-py answers one node's INFO as it is
            return {"run_id": self.run_ids[0]}
        return {f"127.0.0.1:{7000 + n}": {"run_id": run_id}
                for n, run_id in enumerate(self.run_ids)}


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> _FakeCluster:
    redis = _FakeCluster(["a" * 40, "b" * 40, "c" * 40])
    monkeypatch.setattr(redis_epoch, "default_cache_client", lambda: redis)
    monkeypatch.setattr(redis_epoch, "_is_cluster", lambda: True)
    monkeypatch.setattr(RedisEpoch, "_start", lambda self: None)
    return redis


def test_on_a_cluster_any_master_with_a_new_run_id_is_a_new_epoch(cluster: _FakeCluster) -> None:
    epoch = RedisEpoch()
    first = epoch.current()
    assert first.startswith("e") and len(first) == 1 + 12 + 1

    cluster.run_ids = list(reversed(cluster.run_ids))  # the same masters, in another order
    assert epoch.refresh() is False

    cluster.run_ids[1] = "d" * 40  # one master restarted, or its replica promoted
    assert epoch.refresh() is True and epoch.current() != first


def test_a_cluster_of_one_master_has_an_epoch_too(cluster: _FakeCluster) -> None:
    cluster.run_ids = ["a" * 40]

    assert RedisEpoch().current().startswith("e")


def test_a_redis_never_reached_is_asked_again_when_a_key_is_made(fake: _FakeRedis) -> None:
    """No poll to wait for: the first key made once Redis answers carries its epoch."""
    fake.down = True
    epoch = RedisEpoch()
    assert epoch.current() == "" and not epoch.known()

    fake.down = False
    assert epoch.current() == "e" + "a" * 12 + ":" and epoch.known()


def test_threads_arriving_while_the_first_ask_is_out_wait_for_its_answer(
    fake: _FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten threads make their first key at once: one asks, all ten get the same epoch.

    Threads that went on with "" while one asked made keys in another keyspace:
    the rate limiter then kept two budgets in one process (CI saw 10 admitted
    for a limit of 5).
    """
    asked = threading.Event()
    answer = threading.Event()
    calls: list[str] = []
    plain_info = fake.info

    def slow_info(*section: str) -> dict[str, Any]:
        # Another test's poller thread may ask the same patched client: not ours.
        if threading.current_thread().name.startswith("first-key"):
            calls.append("info")
            asked.set()
            answer.wait(5)
        return plain_info(*section)

    monkeypatch.setattr(fake, "info", slow_info)
    epoch = RedisEpoch()
    start = threading.Barrier(10)
    seen: list[str] = []

    def make_first_key() -> None:
        start.wait()
        seen.append(epoch.current())

    threads = [threading.Thread(target=make_first_key, name=f"first-key-{n}") for n in range(10)]
    for thread in threads:
        thread.start()
    assert asked.wait(5)
    time.sleep(0.05)  # the other nine reach the lock while the first ask is out
    answer.set()
    for thread in threads:
        thread.join(5)

    assert seen == ["e" + "a" * 12 + ":"] * 10
    assert calls == ["info"]


def test_threads_waiting_on_an_ask_that_fails_do_not_each_ask_again(
    fake: _FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stalled Redis costs the waiting threads one socket timeout, not one each in turn."""
    asked = threading.Event()
    answer = threading.Event()
    calls: list[str] = []

    def failing_info(*section: str) -> dict[str, Any]:
        if threading.current_thread().name.startswith("first-key"):
            calls.append("info")
            asked.set()
            answer.wait(5)
        raise ConnectionError("timed out")

    monkeypatch.setattr(fake, "info", failing_info)
    epoch = RedisEpoch()
    seen: list[str] = []
    first = threading.Thread(target=lambda: seen.append(epoch.current()), name="first-key-0")
    first.start()
    assert asked.wait(5)
    waiters = [threading.Thread(target=lambda: seen.append(epoch.current()),
                                name=f"first-key-{n}") for n in range(1, 6)]
    for thread in waiters:
        thread.start()
    time.sleep(0.05)
    answer.set()
    for thread in [first, *waiters]:
        thread.join(5)

    assert seen == [""] * 6 and not any(thread.is_alive() for thread in waiters)
    assert len(calls) == 1


def test_a_replica_answering_is_no_epoch_and_its_connections_are_dropped(
    fake: _FakeRedis,
) -> None:
    """Behind Sentinel after a failover: a pooled connection still on the demoted master."""
    epoch = RedisEpoch()
    first = epoch.current()

    fake.role, fake.run_id = "slave", "b" * 40  # the old master, demoted
    assert epoch.refresh() is False and epoch.current() == first
    assert fake.pool_disconnects == 1

    fake.role = "master"  # the pool reconnected through the sentinels: the new master
    assert epoch.refresh() is True and epoch.current() == "e" + "b" * 12 + ":"
    assert fake.pool_disconnects == 2  # a new history: every pooled connection made again
