"""One log line per request, whichever framework answered it.

`MetricsMiddleware` (common/asgi/metrics.py) already knows the framework, the
route template, the status and the timing of every request, so it calls
`log_request` once the response is sent: no second middleware, no thread
hop, one logger call. The request id comes from the scope's headers, where
`RequestContextMiddleware` (config/asgi.py) wrote it; the user id from the
request's notes, where each framework records who it authenticated
(`record_user`).

With LOG_FORMAT=json (production's default), a line reads:

    {"time": "2026-11-28T18:30:00.123+00:00", "level": "INFO", "logger": "access",
     "message": "GET /api/fastapi/books 200 3.1ms", "request_id": "5f0c...",
     "framework": "fastapi", "method": "GET", "route": "/api/fastapi/books",
     "status": 200, "duration_ms": 3.1, "user_id": 7}

With LOG_FORMAT=text only the message is shown, with the id and the user:

    2026-11-28 18:30:00,123 INFO access GET /api/fastapi/books 200 3.1ms fastapi user=7 id=5f0c...
"""

from __future__ import annotations

import logging

from common.asgi.types import Scope

access_logger = logging.getLogger("access")


def request_id_of(scope: Scope) -> str | None:
    """The X-Request-ID RequestContextMiddleware put in the request headers."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return value.decode("latin-1")
    return None


def log_request(
    *,
    scope: Scope,
    framework: str,
    route: str,
    status: int,
    duration_ms: float,
    user_id: int | None,
) -> None:
    """Write the request's access line (skipped entirely when INFO is off)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    request_id = request_id_of(scope)
    duration_ms = round(duration_ms, 1)
    access_logger.info(
        "%s %s %s %.1fms %s user=%s id=%s",
        scope["method"], route, status, duration_ms, framework,
        "-" if user_id is None else user_id, request_id,
        extra={
            "request_id": request_id,
            "framework": framework,
            "method": scope["method"],
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": user_id,
        },
    )
