"""The health check every framework answers: is the database up, is the cache up?"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down" to a health check
        logger.warning("health: database check failed: %s", exc.__class__.__name__)
        return "unavailable"
    return "ok"


def _check_cache() -> str:
    probe_key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(probe_key, "1", timeout=5)
        ok = cache.get(probe_key) == "1"
        cache.delete(probe_key)
    except Exception as exc:
        logger.warning("health: cache check failed: %s", exc.__class__.__name__)
        return "unavailable"
    return "ok" if ok else "unavailable"


def health_report() -> tuple[int, dict[str, Any]]:
    """(status code, body): 200 when every check is ok, else 503 naming the failure."""
    checks = {"database": _check_database(), "cache": _check_cache()}
    healthy = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return (200 if healthy else 503), body
