"""common.retry: promised cache writes on record in the database until they land.

Each test builds its own RetryQueue with handlers that record their calls and
fail on demand (a cache that is down), so nothing here depends on the cache
backend. Real commits (`transaction=True`): `on_commit` and the outbox rows
behave as in production, and a second queue (another process) sees them.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction

from common.models import PendingInvalidation
from common.retry import RetryQueue, cache_retry

pytestmark = pytest.mark.django_db(transaction=True)

KIND = "test_write"


class FakeCache:
    """The cache side of a write: records what landed; `down` makes every write fail."""

    def __init__(self) -> None:
        self.down = False
        self.landed: list[str] = []

    def write(self, payload: str) -> None:
        if self.down:
            raise ConnectionError("cache is down")
        self.landed.append(payload)


@pytest.fixture
def fake() -> FakeCache:
    return FakeCache()


def dying_queue(fake: FakeCache, monkeypatch: pytest.MonkeyPatch) -> RetryQueue:
    """A process that is killed right after a write fails: it never retries it."""
    queue = RetryQueue(handlers={KIND: fake.write})
    monkeypatch.setattr(queue, "_queue", lambda *args: None)
    return queue


def on_record() -> list[tuple[str, str]]:
    return list(PendingInvalidation.objects.values_list("kind", "payload"))


def test_a_promise_is_on_record_with_its_transaction_and_cleared_when_it_lands(
    fake: FakeCache,
) -> None:
    queue = RetryQueue(handlers={KIND: fake.write})
    with transaction.atomic():
        queue.promise(KIND, "a")
        assert on_record() == [(KIND, "a")]  # part of the write's transaction
        assert fake.landed == []  # nothing written before COMMIT
    assert fake.landed == ["a"]
    assert on_record() == []
    assert queue.pending() == []


def test_a_rolled_back_promise_leaves_nothing(fake: FakeCache) -> None:
    queue = RetryQueue(handlers={KIND: fake.write})
    with pytest.raises(RuntimeError), transaction.atomic():
        queue.promise(KIND, "a")
        raise RuntimeError("roll back")
    assert on_record() == []
    assert fake.landed == []


def test_an_unknown_kind_is_refused_at_once(fake: FakeCache) -> None:
    queue = RetryQueue(handlers={KIND: fake.write})
    with pytest.raises(LookupError):
        queue.promise("no_such_kind", "a")
    assert on_record() == []


def test_a_failed_write_stays_on_record_and_lands_when_the_cache_is_back(
    fake: FakeCache,
) -> None:
    queue = RetryQueue(handlers={KIND: fake.write})
    fake.down = True
    queue.promise(KIND, "a")
    assert queue.pending() == [f"{KIND}:a"]
    assert on_record() == [(KIND, "a")]
    queue.drain()  # still down
    assert on_record() == [(KIND, "a")]
    fake.down = False
    queue.drain()
    assert fake.landed == ["a"]
    assert queue.pending() == []
    assert on_record() == []


def test_a_failed_run_outside_a_transaction_is_put_on_record(fake: FakeCache) -> None:
    queue = RetryQueue(handlers={KIND: fake.write})
    fake.down = True
    assert queue.run(KIND, "a") is False
    assert on_record() == [(KIND, "a")]
    fake.down = False
    queue.drain()
    assert on_record() == []
    assert queue.run(KIND, "b") is True  # landed at once: never on record
    assert on_record() == []


class _Epoch:
    """common.redis_epoch's epoch as the queue sees it: has Redis answered yet?"""

    def __init__(self) -> None:
        self.answered = False

    def known(self) -> bool:
        return self.answered


def test_nothing_is_written_before_redis_has_given_its_epoch(
    fake: FakeCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write made without Redis's epoch would land where no reader looks once it is known."""
    from common import retry

    redis_epoch = _Epoch()
    monkeypatch.setattr(retry, "epoch", redis_epoch)
    queue = RetryQueue(handlers={KIND: fake.write})
    assert queue.run(KIND, "a") is False  # the cache answers, the epoch is not known yet
    queue.drain()
    assert fake.landed == [] and queue.pending() == [f"{KIND}:a"]
    assert on_record() == [(KIND, "a")]
    redis_epoch.answered = True
    queue.drain()  # or the queue's own thread, a moment earlier
    assert fake.landed == ["a"] and queue.pending() == []
    deadline = time.monotonic() + 5  # the thread deletes the row after its round
    while on_record() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert on_record() == []


def test_a_write_a_dead_process_left_pending_is_landed_by_another(
    fake: FakeCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.down = True
    dying_queue(fake, monkeypatch).promise(KIND, "a")  # acknowledged, then the process dies
    fake.down = False

    survivor = RetryQueue(handlers={KIND: fake.write})
    assert survivor.poll_outbox() == 1
    survivor.drain()
    assert fake.landed == ["a"]
    assert on_record() == []


def test_one_write_settles_every_row_of_its_kind_and_payload(fake: FakeCache) -> None:
    for payload in ["a", "a", "a", "b"]:
        PendingInvalidation.objects.create(kind=KIND, payload=payload)
    queue = RetryQueue(handlers={KIND: fake.write})
    assert queue.poll_outbox() == 4
    queue.drain()
    assert sorted(fake.landed) == ["a", "b"]
    assert on_record() == []


def test_a_round_stops_at_the_first_failure(fake: FakeCache) -> None:
    """The cache is down: the other writes would only wait out the same timeout."""
    calls: list[str] = []

    def down(payload: str) -> None:
        calls.append(payload)
        raise ConnectionError("cache is down")

    for payload in ["a", "b", "c"]:
        PendingInvalidation.objects.create(kind=KIND, payload=payload)
    queue = RetryQueue(handlers={KIND: down})
    queue.poll_outbox()
    queue.drain()
    assert len(calls) == 1
    assert len(on_record()) == 3


def test_rows_of_a_kind_nobody_here_writes_are_left_alone(fake: FakeCache) -> None:
    PendingInvalidation.objects.create(kind="from_a_newer_release", payload="a")
    queue = RetryQueue(handlers={KIND: fake.write})
    queue.poll_outbox()
    queue.drain()
    assert queue.pending() == []
    assert on_record() == [("from_a_newer_release", "a")]


def test_a_watching_process_lands_what_it_finds_by_itself(
    fake: FakeCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What every server process does from start-up: no request needed."""
    fake.down = True
    dying_queue(fake, monkeypatch).promise(KIND, "a")
    fake.down = False

    watcher = RetryQueue(handlers={KIND: fake.write})
    watcher.watch(poll_interval=0.1)
    try:
        deadline = time.monotonic() + 5
        while on_record() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.landed == ["a"]
        assert on_record() == []
    finally:
        watcher.unwatch()


def test_the_project_registers_every_kind_it_promises() -> None:
    from accounts.token_snapshots import TOKEN_REVOCATION, USER_STAMP
    from books.cache import VERSION_BUMP

    assert {VERSION_BUMP, TOKEN_REVOCATION, USER_STAMP} <= set(cache_retry.handlers)


def test_a_revocation_a_dead_process_left_pending_refuses_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The double fault on the token path, in one process: the tombstone outlives its writer."""
    from accounts import token_snapshots
    from accounts.models import RevokedReason, User
    from accounts.token_snapshots import SnapshotCheck
    from accounts.tokens import token_service
    from common import redis_client

    alice = User.objects.create_user(
        username="alice", email="alice@example.com", password="x-Unused-pass-1"
    )

    claims = token_service.verify_access(token_service.issue_for_login(alice).access_token)
    check = SnapshotCheck(family_id=str(claims["fam"]), user_id=str(alice.pk))
    for _ in range(2):  # a stamp, then the snapshot (what two checked reads leave)
        check.remember(redis_client.get_many(check.keys)[1])

    def vouched() -> bool:
        return check.verdict(*redis_client.get_many(check.keys))

    assert vouched()

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache is down")

    with monkeypatch.context() as stalled:
        stalled.setattr(token_snapshots.store, "set_value", down)
        stalled.setattr(cache_retry, "_queue", lambda *args: None)  # and the process dies
        token_service.revoke_all_for_user(alice, RevokedReason.LOGOUT)
    assert vouched()  # the tombstone was lost with the process...

    survivor = RetryQueue(handlers=cache_retry.handlers)
    survivor.poll_outbox()
    survivor.drain()
    assert not vouched()  # ...and written by the next one to look
    assert on_record() == []
