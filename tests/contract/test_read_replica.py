"""A read replica 2 s behind the primary never serves the past (common/db_router.py).

On real engines started here on loopback: a PostgreSQL primary (`initdb`), a
streaming replica of it (`pg_basebackup -R`) replaying with
`recovery_min_apply_delay = 2s`, and `uvicorn config.asgi:application` with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica. At every
prefix: a client's own writes are read back at once (a new book, a changed
title, through the cache and past it), a login right after registering
succeeds and its token works at once; and once the replica has caught up,
book reads do run on it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.contract.conftest import PREFIXES, register_and_login
from tests.contract.postgres_servers import PostgresCluster, StreamingReplica, postgres_bin
from tests.support.processes import UvicornServer, manage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_bin("initdb") is None, reason="needs PostgreSQL's server binaries"),
]

APPLY_DELAY_S = 2.0
DATABASE = "app"
UNLIMITED = {"RATE_LIMIT_ANON": "100000/minute", "RATE_LIMIT_USER": "100000/minute"}


class Engines:
    def __init__(self, primary: PostgresCluster, replica: StreamingReplica,
                 server: UvicornServer) -> None:
        self.primary, self.replica, self.server = primary, replica, server

    def client(self, prefix: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.server.base_url}{prefix}", timeout=30)

    def ran(self, on: PostgresCluster | StreamingReplica, text: str) -> bool:
        """Did the server `on` run a statement containing `text`? (Both log every statement.)"""
        return text in on.log_text()


@pytest.fixture(scope="module")
def engines() -> Iterator[Engines]:
    # Every statement in each server's log (the replica copies the setting):
    # the tests read there which server answered a query.
    with PostgresCluster(settings=["log_statement = 'all'"]) as primary:
        primary.createdb(DATABASE)
        manage("migrate", "--no-input", "-v", "0",
               extra_env={"DATABASE_URL": primary.url(DATABASE)})
        with primary.replica(apply_delay_s=APPLY_DELAY_S) as replica:
            replica.wait_until_caught_up()
            env = {
                "DATABASE_URL": primary.url(DATABASE),
                "DATABASE_REPLICA_URL": replica.url(DATABASE),
                **UNLIMITED,
            }
            with UvicornServer(extra_env=env) as server:
                yield Engines(primary, replica, server)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_no_read_is_stale_after_the_clients_own_write(engines: Engines, prefix: str) -> None:
    with engines.client(prefix) as client:
        # At once, while the replica is still 2 s behind: the login finds the new user.
        headers = register_and_login(client)
        term = f"zz{uuid.uuid4().hex[:10]}"
        created = client.post("/books", headers=headers, json={
            "title": f"First {term}", "author": "Replica Tester", "year": 2001,
        })
        assert created.status_code == 201, created.text
        book_id = created.json()["data"]["id"]
        # Read at once, anonymous and with the token, the book and the list.
        assert client.get(f"/books/{book_id}").json()["data"]["title"] == f"First {term}"
        listed = client.get("/books", params={"search": term}, headers=headers).json()
        assert [book["id"] for book in listed["data"]] == [book_id]

        changed = client.patch(f"/books/{book_id}", headers=headers,
                               json={"title": f"Second {term}"})
        assert changed.status_code == 200, changed.text
        # Every read through the replica's lag (MISS, then HITs) sees the new title.
        deadline = time.monotonic() + APPLY_DELAY_S + 1
        reads = 0
        while time.monotonic() < deadline:
            one = client.get(f"/books/{book_id}")
            assert one.status_code == 200, one.text
            assert one.json()["data"]["title"] == f"Second {term}"
            page = client.get("/books", params={"search": term}).json()
            assert [book["title"] for book in page["data"]] == [f"Second {term}"]
            reads += 2
            time.sleep(0.1)
        assert reads >= 10


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_login_path_never_waits_for_the_replica(engines: Engines, prefix: str) -> None:
    with engines.client(prefix) as client:
        # At once, while the replica is still 2 s behind: the login finds the new user.
        headers = register_and_login(client)
        # A token refresh and a logout right after the login, then the token is refused.
        assert client.get("/auth/me", headers=headers).status_code == 200
        assert client.post("/auth/logout", headers=headers).status_code in (200, 204)
        assert client.get("/auth/me", headers=headers).status_code == 401


@pytest.mark.parametrize("prefix", PREFIXES)
def test_book_reads_use_the_replica_once_it_has_caught_up(engines: Engines, prefix: str) -> None:
    engines.replica.wait_until_caught_up()
    terms = [f"nothing{uuid.uuid4().hex}" for _ in range(3)]
    with engines.client(prefix) as client:
        for term in terms:  # new searches: cache MISSes that read the database
            response = client.get("/books", params={"search": term})
            assert response.status_code == 200, response.text
            assert response.headers.get("X-Cache") == "MISS"
    for term in terms:
        assert engines.ran(engines.replica, term)
        assert not engines.ran(engines.primary, term)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_while_the_replica_lags_book_reads_go_to_the_primary(
    engines: Engines, prefix: str
) -> None:
    with engines.client(prefix) as client:
        headers = register_and_login(client)  # writes: the replica is now 2 s behind
        term = f"lagging{uuid.uuid4().hex}"
        response = client.get("/books", params={"search": term}, headers=headers)
        assert response.status_code == 200, response.text
    assert engines.ran(engines.primary, term)
    assert not engines.ran(engines.replica, term)
