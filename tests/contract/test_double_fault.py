"""A double fault: the cache stalls, a write is acknowledged, the process that answered dies.

Real processes on a Redis of the test's own (a `redis-server` on a free port,
never the shared one): a uvicorn server with two workers, pointed at it.
Each test warms the cached read, freezes Redis (SIGSTOP), makes a write that
owes the cache something (a new book: a version bump; a logout: a
tombstone), kills the worker that answered it (kill -9, its pid is in the
access log), and lets Redis go on (SIGCONT). Within 2 s every prefix must
answer as if nothing had been lost: the new book listed, the revoked token
refused. Before the outbox (common/retry.py) the pending write lived only
in the dead process: the old page for two minutes, the token for one.

Three ways the survivors may learn of it, one per test: the sibling worker
(and the one the supervisor starts in place of the dead one) reading the
outbox; the same for a revocation; and a whole new server, started while
Redis is still frozen, after every process of the old one was killed.

The embedded default cache (SQLite files) cannot be frozen from outside, so
this always uses a private Redis, on whichever database the run uses; it
skips only where no `redis-server` is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.contract.conftest import PASSWORD, PREFIXES, Account, bearer
from tests.support.processes import UvicornServer, free_port

REDIS_SERVER = shutil.which("redis-server")

# Slow (--all, CI): a private redis-server frozen and servers killed mid-write.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs the redis-server binary (a Redis of its own to freeze)"
)]

# The contract's bound, counted from the moment the cache answers again.
FRESH_WITHIN = 2.0
# Generous: a write during the stall waits out the cache's timeouts (0.5 s
# per synchronous call, 2 s on the event loop), never anything like this.
STALLED_WRITE_TIMEOUT = 30.0


class PrivateRedis:
    """`redis-server` on a free port, no persistence; `freeze()`/`thaw()` stall it."""

    def __init__(self) -> None:
        assert REDIS_SERVER is not None
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_until_up()

    def command(self, *args: str) -> bytes:
        """One command, on a connection of its own (closed at once)."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
        try:
            return client.execute_command(*args)
        finally:
            client.close()

    def freeze(self) -> None:
        """Stall: close every client's connection, then stop the process.

        Closing first matters. A command written to a stopped Redis waits in
        the kernel's socket buffer and runs the moment Redis wakes, even if
        the process that sent it is dead by then: the lost write would land
        by luck. On a fresh connection the client waits for the handshake's
        reply before it sends anything, so a write made during the stall
        never leaves its process, as when the network, not Redis, is stuck.
        """
        self.command("CLIENT", "KILL", "TYPE", "normal")
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.thaw()
        self.process.terminate()
        self.process.wait(timeout=10)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.command("PING"):
                    return
            except Exception:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server processes know Argon2, not the tests' MD5."""


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_server(
    transactional_db: None, redis_server: PrivateRedis
) -> Iterator[Callable[..., UvicornServer]]:
    """Start uvicorn servers (two workers) on the private Redis; all stopped at the end."""
    started: list[UvicornServer] = []

    def start(port: int | None = None) -> UvicornServer:
        server = UvicornServer(
            workers=2,
            extra_env={
                "REDIS_URL": redis_server.url,
                "RATE_LIMIT_ANON": "10000/minute",
                "RATE_LIMIT_USER": "10000/minute",
            },
        )
        if port is not None:
            # The same address as a server before it: cached pages are keyed by
            # the URL, host and port included, so a new port would miss anyway.
            server.port, server.base_url = port, f"http://127.0.0.1:{port}"
        server.__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


# --- helpers ---------------------------------------------------------------------------


def login(server: UvicornServer, username: str) -> tuple[str, str]:
    response = httpx.post(
        f"{server.base_url}/api/drf/auth/token",
        data={"grant_type": "password", "username": username, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["access_token"], body["refresh_token"]


def get(
    server: UvicornServer, prefix: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    # A new connection per request: either worker may take it.
    return httpx.get(f"{server.base_url}{prefix}{path}", headers=headers, timeout=30)


def titles(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [book["title"] for book in response.json()["data"]]


def warm_lists(server: UvicornServer, headers: dict[str, str] | None = None) -> None:
    """Each prefix's list stored and served as a HIT (with `headers`: the login snapshot too)."""
    for prefix in PREFIXES:
        for _ in range(3):
            response = get(server, prefix, "/books", headers=headers)
            assert response.status_code == 200, response.text
        assert response.headers["X-Cache"] == "HIT", prefix


def acknowledging_pid(server: UvicornServer, path: str) -> int:
    """The worker that answered the last request to `path` (from the access log)."""
    pids = server.answering_pids(path)
    assert pids, f"no request to {path} in the access log"
    return pids[-1]


def child_pids(server: UvicornServer) -> set[int]:
    """The supervisor's child processes, from /proc."""
    assert server._process is not None
    parent = server._process.pid
    children: set[int] = set()
    for task in Path(f"/proc/{parent}/task").iterdir():
        children |= {int(pid) for pid in (task / "children").read_text().split()}
    return children


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # gone (or a zombie of its supervisor)
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state in {"Z", "X"}:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} survived SIGKILL")


def until_fresh(check: Callable[[], bool], since: float) -> float:
    """Seconds from `since` until `check()` holds; fails if not within FRESH_WITHIN."""
    while True:
        if check():
            return time.monotonic() - since
        elapsed = time.monotonic() - since
        assert elapsed < FRESH_WITHIN, f"still stale {elapsed:.1f} s after the cache came back"
        time.sleep(0.05)


def create_book(server: UvicornServer, access: str, title: str) -> None:
    response = httpx.post(
        f"{server.base_url}/api/fastapi/books",
        json={"title": title, "author": "Ann Leckie", "year": 2013},
        headers=bearer(access),
        timeout=STALLED_WRITE_TIMEOUT,
    )
    assert response.status_code == 201, response.text


def every_prefix_lists(server: UvicornServer, title: str) -> bool:
    return all(title in titles(get(server, prefix, "/books")) for prefix in PREFIXES)


# --- the tests ---------------------------------------------------------------------------


def test_a_new_book_is_listed_everywhere_after_its_worker_dies_during_a_stall(
    start_server: Callable[..., UvicornServer], redis_server: PrivateRedis,
    alice: Account, make_book: Callable[..., int],
) -> None:
    make_book(alice, title="Dune")
    server = start_server()
    access, _refresh = login(server, alice.username)
    warm_lists(server)

    redis_server.freeze()
    create_book(server, access, "Ancillary Justice")  # acknowledged: 201
    kill(acknowledging_pid(server, "/api/fastapi/books"))
    redis_server.thaw()
    thawed = time.monotonic()

    until_fresh(lambda: every_prefix_lists(server, "Ancillary Justice"), thawed)
    # And it stays fresh: no worker goes back to the old page.
    for prefix in PREFIXES:
        assert titles(get(server, prefix, "/books")) == ["Dune", "Ancillary Justice"]


def test_a_revoked_token_is_refused_everywhere_after_its_worker_dies_during_a_stall(
    start_server: Callable[..., UvicornServer], redis_server: PrivateRedis,
    alice: Account, make_book: Callable[..., int],
) -> None:
    make_book(alice, title="Dune")
    server = start_server()
    access, refresh = login(server, alice.username)
    warm_lists(server, headers=bearer(access))
    # Control: the cached path trusts this login from its snapshot, not the database.
    snapshots = redis_server.command("KEYS", "*auth:fam:*")
    assert len(snapshots) == 1
    assert redis_server.command("GET", snapshots[0].decode()).startswith(b"ok:")

    redis_server.freeze()
    response = httpx.post(
        f"{server.base_url}/api/drf/auth/logout", json={"refresh_token": refresh},
        headers=bearer(access), timeout=STALLED_WRITE_TIMEOUT,
    )
    assert response.status_code == 204, response.text
    kill(acknowledging_pid(server, "/api/drf/auth/logout"))
    redis_server.thaw()
    thawed = time.monotonic()

    def refused_everywhere() -> bool:
        return all(
            get(server, prefix, "/books", headers=bearer(access)).status_code == 401
            for prefix in PREFIXES
        )

    until_fresh(refused_everywhere, thawed)
    for prefix in PREFIXES:
        response = get(server, prefix, "/books", headers=bearer(access))
        assert response.status_code == 401, (prefix, response.text)
        assert response.json()["error"]["code"] == "invalid_token"


def test_a_new_server_finishes_what_a_dead_one_left_pending(
    start_server: Callable[..., UvicornServer], redis_server: PrivateRedis,
    alice: Account, make_book: Callable[..., int],
) -> None:
    make_book(alice, title="Dune")
    server = start_server()
    access, _refresh = login(server, alice.username)
    warm_lists(server)

    redis_server.freeze()
    create_book(server, access, "Ancillary Justice")
    children = child_pids(server)  # the workers, and multiprocessing's helper
    assert set(server.answering_pids("/health")) <= children
    assert server._process is not None
    kill(server._process.pid)  # the supervisor first, or it would start new workers
    for pid in children:
        kill(pid)

    # Starts, and reads the outbox, while Redis is still frozen.
    replacement = start_server(port=server.port)
    redis_server.thaw()
    thawed = time.monotonic()

    until_fresh(lambda: every_prefix_lists(replacement, "Ancillary Justice"), thawed)
    for prefix in PREFIXES:
        assert titles(get(replacement, prefix, "/books")) == ["Dune", "Ancillary Justice"]
