"""See the SQL each request runs: a wrapper on every database connection, and who listens.

Django lets a wrapper run around every statement a connection executes
(`connection.execute_wrappers`); `watch` adds `_observe` to each connection
as it opens (the `connection_created` signal, connected in config/apps.py),
whatever thread opened it: DRF's and Flask's worker threads and FastAPI's
`run_db` threads alike. With nobody listening it only calls through.

Two listeners:

- `LOG_SQL=true` (config/settings.py) logs each statement on the `sql`
  logger with the request's id (`with_request_ids`, in config/asgi.py, puts
  it in a context variable, which a2wsgi and asgiref copy into the worker
  threads). The parameters are logged too: a development setting;
- `capture()` collects every statement of every thread, for a test
  (tests/contract/test_sql_shown.py holds docs/sql.md to what runs).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from common.asgi.notes import current_notes
from common.asgi.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("sql")

request_id: ContextVar[str | None] = ContextVar("sql_request_id", default=None)


@dataclass(frozen=True)
class Statement:
    """One executed statement: the SQL as Django wrote it, and the values sent apart."""

    vendor: str  # "sqlite" or "postgresql"
    sql: str  # with %s placeholders
    params: Any
    many: bool
    duration_ms: float
    # What the driver ran, values included, as Django's own query log shows it.
    executed: str
    # Run while the edge answered a request (not by a background thread).
    in_request: bool


_listeners: list[Callable[[Statement], None]] = []
_lock = threading.Lock()


def _observe(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    if not _listeners:
        return execute(sql, params, many, context)
    started = time.perf_counter()
    executed = sql  # a statement that failed, or one of many, is shown as written
    try:
        result = execute(sql, params, many, context)
        if not many:
            executed = str(context["connection"].ops.last_executed_query(
                context["cursor"], sql, params
            ))
        return result
    finally:
        statement = Statement(
            vendor=context["connection"].vendor,
            sql=sql,
            params=params,
            many=many,
            duration_ms=(time.perf_counter() - started) * 1000,
            executed=executed,
            in_request=current_notes.get() is not None,
        )
        for listener in list(_listeners):
            listener(statement)


def watch(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: wrap the new connection's statements (once)."""
    if _observe not in connection.execute_wrappers:
        connection.execute_wrappers.append(_observe)


def log_statement(statement: Statement) -> None:
    """The LOG_SQL listener: one line per statement, with the request's id."""
    rid = request_id.get()
    logger.info(
        "%.1fms %s params=%r id=%s",
        statement.duration_ms, statement.sql, statement.params, rid or "-",
        extra={"request_id": rid, "sql": statement.sql, "params": statement.params,
               "duration_ms": round(statement.duration_ms, 2)},
    )


def start_logging() -> None:
    if log_statement not in _listeners:
        _listeners.append(log_statement)


def stop_logging() -> None:
    if log_statement in _listeners:
        _listeners.remove(log_statement)


@contextmanager
def capture() -> Iterator[list[Statement]]:
    """Every statement any thread runs for a request inside the block, in order.

    A background thread's statements (the cache outbox's poll) are left out.
    """
    captured: list[Statement] = []

    def collect(statement: Statement) -> None:
        if statement.in_request:
            with _lock:
                captured.append(statement)

    _listeners.append(collect)
    try:
        yield captured
    finally:
        _listeners.remove(collect)


def _header(scope: Scope, name: bytes) -> str | None:
    headers: Sequence[tuple[bytes, bytes]] = scope.get("headers", ())
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def with_request_ids(app: ASGIApp) -> ASGIApp:
    """Put each request's X-Request-ID (set by the edge) where `log_statement` finds it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        token = request_id.set(_header(scope, b"x-request-id"))
        try:
            await app(scope, receive, send)
        finally:
            request_id.reset(token)

    return middleware
