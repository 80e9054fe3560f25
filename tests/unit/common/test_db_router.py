"""common.db_router: which reads may go to the replica, decided without a replica here.

The real engines (a primary and a lagging streaming replica) are in
tests/contract/test_read_replica.py; these pin the decisions around them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from accounts.models import User
from books.models import Book
from common import db_router
from common.db_router import ReplicaRequest, ReplicaRouter, current_request, with_replica_reads

router = ReplicaRouter()


@pytest.fixture
def in_request() -> Any:
    token = current_request.set(ReplicaRequest())
    yield current_request.get()
    current_request.reset(token)


@pytest.fixture
def caught_up(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Replace the position check: the list's value answers it, each call is recorded."""
    answers: list[bool] = [True]
    calls: list[bool] = []

    def fake() -> bool:
        calls.append(answers[0])
        return answers[0]

    monkeypatch.setattr(db_router, "replica_caught_up", fake)
    return calls


def test_outside_a_request_every_read_is_on_the_primary(caught_up: list[bool]) -> None:
    assert router.db_for_read(Book) == "default"
    assert caught_up == []


def test_a_book_read_in_an_eligible_request_uses_a_caught_up_replica(
    in_request: ReplicaRequest, caught_up: list[bool]
) -> None:
    assert router.db_for_read(Book) == "replica"
    assert router.db_for_read(Book) == "replica"
    assert caught_up == [True]  # asked once per request


def test_accounts_stay_on_the_primary_in_the_same_request(
    in_request: ReplicaRequest, caught_up: list[bool]
) -> None:
    assert router.db_for_read(User) == "default"


def test_a_lagging_replica_sends_the_request_to_the_primary(
    in_request: ReplicaRequest, caught_up: list[bool]
) -> None:
    in_request.caught_up = False
    assert router.db_for_read(Book) == "default"


def test_writes_and_migrations_are_the_primary_s() -> None:
    assert router.db_for_write(Book) == "default"
    assert router.allow_migrate("default", "books") is True
    assert router.allow_migrate("replica", "books") is False


@pytest.mark.parametrize(
    ("method", "path", "eligible"),
    [
        ("GET", "/api/drf/books", True),
        ("HEAD", "/api/fastapi/books/12", True),
        ("GET", "/api/flask/books", True),
        ("POST", "/api/drf/books", False),
        ("PATCH", "/api/drf/books/12", False),
        ("GET", "/api/drf/auth/me", False),
        ("GET", "/api/fastapi/users", False),
        ("GET", "/api/flask/books/12/extra", False),
        ("GET", "/health", False),
        ("GET", "/admin/books/book/", False),
    ],
)
def test_which_requests_are_marked(method: str, path: str, eligible: bool) -> None:
    seen: list[ReplicaRequest | None] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(current_request.get())

    asyncio.run(with_replica_reads(app)({"type": "http", "method": method, "path": path},
                                        None, None))
    assert (seen[0] is not None) is eligible
    assert current_request.get() is None


def test_a_failing_replica_is_left_alone_for_a_while(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DB_REPLICA_RETRY_SECONDS = 5
    health = db_router._ReplicaHealth()
    now = [100.0]
    monkeypatch.setattr(health, "_now", lambda: now[0])
    assert health.usable()
    health.failed()
    now[0] += 4.9
    assert not health.usable()
    now[0] += 0.2
    assert health.usable()
