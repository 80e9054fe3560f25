"""Reads on a PostgreSQL streaming replica, only where they cannot serve the past.

    DATABASE_URL=postgres://…/books  DATABASE_REPLICA_URL=postgres://…replica…/books

A replica replays the primary's write-ahead log some time behind it. A
textbook router (every read to the replica) then serves the past: the call
right after a login gets 401 (the token's rows are not there yet), and a
cache MISS after a write stores the old title under the *new* books version,
so every following HIT is stale too. `ReplicaRouter` sends a read to the
replica only when all of these hold, and otherwise to the primary:

- it runs inside a request `with_replica_reads` marked eligible: GET or HEAD
  on a public book read (`/api/<prefix>/books`, `/api/<prefix>/books/<id>`);
  never a login, token, user, admin, health or write path, and never outside
  a request (management commands, workers, background threads);
- it reads a model of an app in REPLICA_APPS (`books`): the token and user
  checks of the same request stay on the primary;
- no transaction is open on the primary (a read inside one belongs with it);
- the replica has replayed everything the primary had written when the
  request first read a book: the primary's WAL insert position, taken first,
  is at or below the replica's replay position, taken second. The replica
  then holds every write acknowledged before that moment, the client's own
  included, so what it answers is what the primary would have answered a
  moment earlier: exactly what the cache's versioning already allows for a
  MISS (the version is read before the rows), so a page it fills is fresh.

The position check costs one tiny query on each side, once per request that
reads books past the cache (a HIT reads no database); the list's queries and
counts then run on the replica. A replica that lags (or has
`recovery_min_apply_delay`) serves nothing until it catches up; one that
fails is left alone for DB_REPLICA_RETRY_SECONDS. Without
DATABASE_REPLICA_URL this router is not installed (config/settings.py).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Model

from common.asgi.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
# Apps whose rows may be read on the replica: public data only, never accounts
# (logins, tokens, revocations) or throttling (lockouts).
REPLICA_APPS = frozenset({"books"})
# The requests whose reads may go to the replica: public book reads.
REPLICA_PATHS = re.compile(r"/api/(drf|fastapi|flask)/books(/[0-9]+)?")
REPLICA_METHODS = frozenset({"GET", "HEAD"})


class ReplicaRequest:
    """One eligible request: whether the replica was found caught up (None: not asked yet).

    Shared, not copied, by the worker threads a2wsgi and FastAPI run the
    request on (they copy the context, which holds this one object).
    """

    __slots__ = ("caught_up",)

    def __init__(self) -> None:
        self.caught_up: bool | None = None


current_request: ContextVar[ReplicaRequest | None] = ContextVar("replica_request", default=None)


def with_replica_reads(app: ASGIApp) -> ASGIApp:
    """Wrap the composed app: mark the requests whose book reads may use the replica."""

    async def marked(scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope.get("method") in REPLICA_METHODS
                and REPLICA_PATHS.fullmatch(scope.get("path", ""))):
            await app(scope, receive, send)
            return
        token = current_request.set(ReplicaRequest())
        try:
            await app(scope, receive, send)
        finally:
            current_request.reset(token)

    return marked


class _ReplicaHealth:
    """When the replica last failed: it is left alone for DB_REPLICA_RETRY_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed_at: float | None = None

    def usable(self) -> bool:
        with self._lock:
            failed_at = self._failed_at
        return failed_at is None or self._now() - failed_at >= settings.DB_REPLICA_RETRY_SECONDS

    def failed(self) -> None:
        with self._lock:
            self._failed_at = self._now()

    def recovered(self) -> None:
        with self._lock:
            self._failed_at = None

    def _now(self) -> float:
        # Used for mocking in tests
        return time.monotonic()


replica_health = _ReplicaHealth()


def replica_caught_up() -> bool:
    """Has the replica replayed every WAL record the primary has inserted so far?

    The primary's position first, then the replica's: the other order could
    compare an old replica position with a newer primary one the wrong way.
    Any failure answers False (read the primary), a replica failure also
    rests the replica for a while.
    """
    if not replica_health.usable():
        return False
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            primary_position = cursor.fetchone()[0]
    except Exception:  # the primary's own read will fail and answer for it
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [primary_position])
            row = cursor.fetchone()
    except Exception:
        logger.warning("the replica did not answer; reading the primary for %ss",
                       settings.DB_REPLICA_RETRY_SECONDS, exc_info=True)
        replica_health.failed()
        return False
    replica_health.recovered()
    # NULL (not a replica at all: no replay position) is not caught up.
    return bool(row and row[0])


class ReplicaRouter:
    """DATABASE_ROUTERS entry: the replica for proven-fresh book reads, the primary otherwise."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        request = current_request.get()
        if (
            request is None
            or model._meta.app_label not in REPLICA_APPS
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        if request.caught_up is None:
            request.caught_up = replica_caught_up()
        return REPLICA if request.caught_up else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # The same rows on both: an object read on the replica relates to any other.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica replays the primary's migrations; it cannot run its own.
        return db == PRIMARY
