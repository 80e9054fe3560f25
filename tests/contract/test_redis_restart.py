"""A Redis back from an older snapshot serves nothing from before: new title, revoked token refused.

A `redis-server` of the module's own on a free loopback port and one server
on it. At every prefix: a cached read and a token vouched for by its
snapshot; Redis saves its snapshot; the book's title changes and the login
ends; Redis is killed (-9) and restarted from that snapshot, which holds the
old page, the old version and the login's snapshot from before its logout.
Within 2 s of Redis answering again, every prefix serves the new title and
refuses the logged-out token: the keys carry Redis's run_id
(common/redis_epoch.py), which a restarted Redis never shares.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.contract.conftest import PASSWORD, PREFIXES
from tests.support.network import free_port
from tests.support.processes import UvicornServer

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="needs redis-server (Debian package redis-server)")

WITHIN_S = 2.0


class RedisProcess:
    """One redis-server that can be killed and started again on its port and folder."""

    def __init__(self, folder: str) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder,
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.RedisError:
                time.sleep(0.02)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


@pytest.fixture(scope="module")
def redis_process() -> Iterator[RedisProcess]:
    with tempfile.TemporaryDirectory(prefix="redis-restart-") as folder:
        process = RedisProcess(folder)
        process.start()
        try:
            yield process
        finally:
            if process.process is not None and process.process.poll() is None:
                process.process.terminate()
                process.process.wait(timeout=10)


def _titles(client: httpx.Client, prefix: str) -> list[str]:
    response = client.get(f"{prefix}/books")
    assert response.status_code == 200, response.text
    return [book["title"] for book in response.json()["data"]]


def test_a_restart_from_an_older_snapshot_serves_nothing_from_before(
    redis_process: RedisProcess, transactional_db: None
) -> None:
    from accounts.models import User

    User.objects.create_user(username="alice", email="alice@example.com", password=PASSWORD,
                             role="admin")
    env = {"REDIS_URL": f"redis://127.0.0.1:{redis_process.port}/0", "LOG_LEVEL": "WARNING"}
    with UvicornServer(extra_env=env) as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as client:
        token = client.post("/api/drf/auth/token", data={
            "grant_type": "password", "username": "alice", "password": PASSWORD,
        }).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        created = client.post("/api/fastapi/books", headers=bearer,
                              json={"title": "Old title", "author": "A. Author", "year": 2001})
        assert created.status_code == 201, created.text
        book_id = created.json()["data"]["id"]
        for prefix in PREFIXES:
            for _ in range(2):  # a MISS that stores the page, then a HIT
                assert "Old title" in _titles(client, prefix)
                assert client.get(f"{prefix}/books", headers=bearer).status_code == 200
            assert client.get(f"{prefix}/books").headers["X-Cache"] == "HIT"

        redis_process.client().save()  # the snapshot: old page, old version, live login
        patched = client.patch(f"/api/flask/books/{book_id}", headers=bearer,
                               json={"title": "New title"})
        assert patched.status_code == 200, patched.text
        assert client.post("/api/drf/auth/logout", headers=bearer).status_code == 204
        redis_process.kill()
        redis_process.start()  # loads dump.rdb: the past
        answering = time.monotonic()

        stale: list[str] = []
        while True:
            stale = []
            for prefix in PREFIXES:
                if "New title" not in _titles(client, prefix):
                    stale.append(f"{prefix}: old title")
                if client.get(f"{prefix}/books", headers=bearer).status_code != 401:
                    stale.append(f"{prefix}: logged-out token accepted")
            if not stale or time.monotonic() - answering > WITHIN_S:
                break
            time.sleep(0.1)

    assert not stale, f"{WITHIN_S} s after Redis answered: {stale}"
