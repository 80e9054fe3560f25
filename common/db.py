"""Giving the ORM's connections back, for the apps mounted beside Django.

Django closes a request's connections from its request_started /
request_finished signals (`close_old_connections`). The FastAPI and Flask
apps mounted in the same process never fire those signals, and Django's
connections are per thread, so each framework calls `release_connections`
on the thread that used the ORM, from its own hook:

- FastAPI: `run_db` / `run_sync`, after every call in a worker thread;
- Flask: a `teardown_request` function, after every request.

Without it, every worker thread would keep the connection it opened (with
psycopg's pool: keep it checked out) for good, and requests beyond the
pool's size would wait for a connection nobody returns (measured: see the README).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

# psycopg_pool's own default max_size; also the bound used without a pool (SQLite).
DEFAULT_POOL_MAX_SIZE = 10


def pool_max_size() -> int:
    """The psycopg pool's max_size for the default database.

    The most connections the process can hold at once: callers that hop to
    a thread per ORM call (FastAPI's `run_db`) admit no more than this many
    at a time, so they queue before the pool rather than inside it.
    """
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict):
        return int(pool.get("max_size", DEFAULT_POOL_MAX_SIZE))
    return DEFAULT_POOL_MAX_SIZE  # SQLite, or a pool with psycopg's defaults


def release_connections() -> None:
    """Close this thread's open connections (with `OPTIONS["pool"]`: back to the pool).

    What request_finished does for Django's own views under this project's
    CONN_MAX_AGE=0 (which the pool requires): every connection the thread
    opened is closed, unconditionally, since the next request may run on
    another thread and a kept connection would never be reused.
    """
    for conn in connections.all(initialized_only=True):
        conn.close()
