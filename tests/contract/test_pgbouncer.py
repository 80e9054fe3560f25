"""The app through pgbouncer in transaction mode: every prefix works, connections stay bounded.

On real engines started here on loopback: a PostgreSQL server (`initdb`),
pgbouncer (`pool_mode = transaction`, 5 server connections) in front of it,
and two uvicorn workers of `config.asgi:application` with DATABASE_URL on
pgbouncer and DB_PGBOUNCER=true, each with psycopg's pool of 10. At every
prefix a client registers, logs in, writes, reads back and logs out; under
concurrent load the server never holds more than pgbouncer's 5 connections
for the app, where the two processes alone would open up to 20.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.contract.conftest import PREFIXES, register_and_login
from tests.contract.postgres_servers import PgBouncer, PostgresCluster, postgres_bin
from tests.support.processes import UvicornServer, manage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_bin("initdb") is None or shutil.which("pgbouncer") is None,
                       reason="needs PostgreSQL's server binaries and pgbouncer"),
]

DATABASE = "app"
POOL_SIZE = 5
WORKERS = 2


class Stack:
    def __init__(self, postgres: PostgresCluster, server: UvicornServer) -> None:
        self.postgres, self.server = postgres, server

    def client(self, prefix: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.server.base_url}{prefix}", timeout=30)

    def app_connections(self) -> int:
        """Server connections to the app's database (pgbouncer's, plus none of ours)."""
        return int(self.postgres.psql(
            "postgres",
            f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DATABASE}'",
        ))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with PostgresCluster(settings=["max_connections = 40"]) as postgres:
        postgres.createdb(DATABASE)
        manage("migrate", "--no-input", "-v", "0",
               extra_env={"DATABASE_URL": postgres.url(DATABASE)})
        with PgBouncer(postgres, DATABASE, pool_size=POOL_SIZE) as bouncer:
            env = {
                "DATABASE_URL": bouncer.url(),
                "DB_PGBOUNCER": "true",
                "DB_POOL_MIN_SIZE": "4",
                "DB_POOL_MAX_SIZE": "10",
                "RATE_LIMIT_ANON": "100000/minute",
                "RATE_LIMIT_USER": "100000/minute",
            }
            with UvicornServer(extra_env=env, workers=WORKERS) as server:
                yield Stack(postgres, server)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_client_session_works_through_transaction_pooling(stack: Stack, prefix: str) -> None:
    with stack.client(prefix) as client:
        headers = register_and_login(client)
        # More than psycopg's default prepare threshold (5) of the same
        # statements: a prepared statement would be lost between transactions.
        for _ in range(8):
            assert client.get("/auth/me", headers=headers).status_code == 200
        term = f"bouncer{uuid.uuid4().hex[:10]}"
        created = client.post("/books", headers=headers, json={
            "title": f"Pooled {term}", "author": "Transaction Mode", "year": 2010,
        })
        assert created.status_code == 201, created.text
        book_id = created.json()["data"]["id"]
        changed = client.patch(f"/books/{book_id}", headers=headers,
                               json={"title": f"Repooled {term}"})
        assert changed.status_code == 200, changed.text
        assert client.get(f"/books/{book_id}").json()["data"]["title"] == f"Repooled {term}"
        for n in range(8):
            page = client.get("/books", params={"search": term, "page_size": str(n + 1)})
            assert [b["id"] for b in page.json()["data"]] == [book_id]
        assert client.post("/auth/logout", headers=headers).status_code == 204
        assert client.get("/auth/me", headers=headers).status_code == 401


def test_connections_stay_at_pgbouncer_s_pool_under_load(stack: Stack) -> None:
    def one(n: int) -> int:
        prefix = PREFIXES[n % len(PREFIXES)]
        with stack.client(prefix) as client:
            # A new search each time: a cache MISS, so the database answers.
            return client.get("/books", params={"search": f"load{uuid.uuid4().hex}"}).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(one, range(240)))
    assert statuses == [200] * len(statuses)
    # Two processes, each with a pool of at least 4 (min) and up to 10
    # client connections, but no more server connections than pgbouncer's pool.
    assert 0 < stack.app_connections() <= POOL_SIZE
