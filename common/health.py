"""Readiness: do the database and the cache answer, within a bounded time?

`GET /ready` (the edge) and `GET {p}/health` (each framework) answer from
`readiness_report`; `GET /health` is liveness and never comes here.

Two choices keep the answer honest and quick when the process is loaded:

- the database check opens its own short-lived connection, outside the
  request pool: a pool busy with 60 slow requests is a loaded process, not
  a down database, and must not make a load balancer drop it;
- each check runs on its own single thread and is waited for at most
  `CHECK_TIMEOUT_S`: a hung dependency is reported as unavailable within
  that time, and concurrent probes share the check already running instead
  of piling up threads.

While the process drains before it exits (common/asgi/drain.py) the
report is 503 with status "draining", whatever the checks say.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.utils import load_backend

from common.asgi.drain import drain

logger = logging.getLogger(__name__)

# A probe answers within 2 s (the contract); the rest is the response's own time.
CHECK_TIMEOUT_S = 1.5
OK = "ok"
UNAVAILABLE = "unavailable"


def _check_database() -> str:
    """SELECT 1 on a connection of its own (not the request pool's), closed at once."""
    settings_dict = dict(connections["default"].settings_dict)  # the test database in tests
    options = dict(settings_dict.get("OPTIONS") or {})
    options.pop("pool", None)
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        options["connect_timeout"] = 1
    settings_dict["OPTIONS"] = options
    backend = load_backend(settings_dict["ENGINE"])
    wrapper = backend.DatabaseWrapper(settings_dict, alias="readiness")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down" to a readiness check
        logger.warning("ready: database check failed: %s", exc.__class__.__name__)
        return UNAVAILABLE
    finally:
        wrapper.close()
    return OK


def _check_cache() -> str:
    probe_key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(probe_key, "1", timeout=5)
        ok = cache.get(probe_key) == "1"
        cache.delete(probe_key)
    except Exception as exc:
        logger.warning("ready: cache check failed: %s", exc.__class__.__name__)
        return UNAVAILABLE
    return OK if ok else UNAVAILABLE


class _Check:
    """One check on its own thread; callers arriving while it runs share its result."""

    def __init__(self, name: str, run: Callable[[], str]) -> None:
        self.name = name
        self._run = run
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"ready-{name}"
        )
        self._lock = threading.Lock()
        self._running: concurrent.futures.Future[str] | None = None

    def start(self) -> concurrent.futures.Future[str]:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._executor.submit(self._run)
            return self._running


CHECKS = (_Check("database", _check_database), _Check("cache", _check_cache))


def start_checks() -> dict[str, concurrent.futures.Future[str]]:
    """Each check's future (already running, or started now)."""
    return {check.name: check.start() for check in CHECKS}


def report(results: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """(status code, body) from each check's result."""
    ready = all(state == OK for state in results.values())
    if drain.active:
        return 503, {"status": "draining", "checks": results}
    body = {"status": OK if ready else UNAVAILABLE, "checks": results}
    return (200 if ready else 503), body


def result_of(future: concurrent.futures.Future[str]) -> str:
    """A finished check's answer; a check still running by the deadline is unavailable."""
    return future.result() if future.done() else UNAVAILABLE


def readiness_report() -> tuple[int, dict[str, Any]]:
    """(status code, body): 200 when every check is ok in time, else 503 naming the failure."""
    futures = start_checks()
    concurrent.futures.wait(futures.values(), timeout=CHECK_TIMEOUT_S)
    return report({name: result_of(future) for name, future in futures.items()})


# The frameworks' {p}/health answers like /ready.
health_report = readiness_report
