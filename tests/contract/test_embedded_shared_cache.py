"""The embedded default's cache is shared by every process: server, workers, manage.py.

Real processes on the embedded default (REDIS_URL unset, the cache in SQLite
files under settings.CACHE_DIR): a uvicorn server, the `manage.py` commands
an operator runs beside it, and a server with two workers. Each test is
something that failed with Django's in-process cache:

- `manage.py unlock` reported a lockout lifted; the server kept answering 429;
- a book renamed in `manage.py shell` stayed a stale HIT at every prefix;
- two workers each gave a client the whole rate-limit budget.

With REDIS_URL set these are skipped: Redis is one server that every process
talks to, shared by construction (test_server_processes.py covers it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.contract.conftest import (
    PASSWORD,
    PREFIXES,
    Account,
    assert_oauth_error,
)
from tests.support.processes import UvicornServer, manage

# Slow (--all, CI): uvicorn servers and manage.py commands sharing the embedded cache.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(os.environ.get("REDIS_URL")),
    reason="REDIS_URL is set: every process shares Redis by construction",
)]

WRONG = "Wrong-Password-42"
MAX_FAILURES = 3


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server processes know Argon2, not the tests' MD5."""


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: Any) -> Iterator[UvicornServer]:
    """One server for the module; each test's data is committed (transactional_db)."""
    with django_db_blocker.unblock(), UvicornServer(
        extra_env={"LOGIN_MAX_FAILURES": str(MAX_FAILURES), "RATE_LIMIT_ANON": "1000/minute"}
    ) as running:
        yield running


def password_grant(
    server: UvicornServer, prefix: str, username: str, password: str, *, source_ip: str
) -> httpx.Response:
    """POST the token endpoint from `source_ip` (any 127.x address reaches 127.0.0.1).

    A distinct source address per attempt keeps the per-IP counters low, so
    the lock these tests see is the username's, the one `unlock --username` lifts.
    """
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source_ip)) as client:
        return client.post(
            f"{server.base_url}{prefix}/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
            timeout=30,
        )


def test_manage_py_unlock_lifts_a_lock_the_server_set(
    transactional_db: None, server: UvicornServer, alice: Account
) -> None:
    guesser = "127.0.0.10"
    for _ in range(MAX_FAILURES):
        response = password_grant(server, "/api/drf", alice.username, WRONG, source_ip=guesser)
        assert_oauth_error(response, 400, "invalid_grant")
    for prefix in PREFIXES:
        response = password_grant(server, prefix, alice.username, PASSWORD, source_ip=guesser)
        assert_oauth_error(response, 429, "locked_out")

    output = manage("unlock", "--username", alice.username)

    assert "1 lockout(s) lifted" in output  # the server's Lockout row, in the shared database
    for prefix in PREFIXES:
        response = password_grant(server, prefix, alice.username, PASSWORD, source_ip=guesser)
        assert response.status_code == 200, response.text


RENAME = (
    "from books.models import Book; "
    "book = Book.objects.get(pk={book_id}); book.title = {title!r}; book.save()"
)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_rename_in_manage_py_shell_is_a_miss_at_the_server(
    transactional_db: None, server: UvicornServer, prefix: str, alice: Account,
    make_book: Callable[..., int],
) -> None:
    book_id = make_book(alice, title="Dune")
    detail_url = f"{server.base_url}{prefix}/books/{book_id}"
    list_url = f"{server.base_url}{prefix}/books"
    for url in (detail_url, list_url):
        assert httpx.get(url).headers["X-Cache"] == "MISS"
        assert httpx.get(url).headers["X-Cache"] == "HIT"

    manage("shell", "-c", RENAME.format(book_id=book_id, title="Dune Messiah"))

    detail = httpx.get(detail_url)
    assert detail.headers["X-Cache"] == "MISS"
    assert detail.json()["data"]["title"] == "Dune Messiah"
    listed = httpx.get(list_url)
    assert listed.headers["X-Cache"] == "MISS"
    assert [book["title"] for book in listed.json()["data"]] == ["Dune Messiah"]


def test_two_workers_spend_one_rate_limit_budget(transactional_db: None) -> None:
    """20 parallel requests over both workers and every prefix: exactly 5 admitted.

    The budget is per hour, not per minute, so that the burst (a second or
    so) cannot straddle a window boundary and legitimately admit more.
    """
    with UvicornServer(extra_env={"RATE_LIMIT_ANON": "5/hour"}, workers=2) as server:
        urls = [f"{server.base_url}{PREFIXES[i % len(PREFIXES)]}/books" for i in range(20)]
        barrier = threading.Barrier(len(urls))
        statuses: list[int] = []

        def hit(url: str) -> None:
            barrier.wait(timeout=30)
            # A new connection per request, so either worker may accept it.
            statuses.append(httpx.get(url, timeout=30).status_code)

        threads = [threading.Thread(target=hit, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(statuses) == [200] * 5 + [429] * 15
        assert len(set(server.answering_pids("/books"))) == 2, "one worker took every request"
