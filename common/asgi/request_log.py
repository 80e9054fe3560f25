"""One log line per request, whichever framework answered it, refusals included.

The edge (common/asgi/edge.py) knows the framework, the status and the timing
of every request, and the request's notes (notes.py) hold the route template
and the user each framework recorded; so the edge calls `log_request` once
the response is sent: no second middleware, no thread hop, one logger call.
A request the edge refused itself (a bad Host, a slow body) gets its line too.

With LOG_FORMAT=json (production's default), a line reads:

    {"time": "2026-11-28T18:30:00.123+00:00", "level": "INFO", "logger": "access",
     "message": "GET /api/fastapi/books 200 3.1ms", "request_id": "5f0c...",
     "framework": "fastapi", "method": "GET", "route": "/api/fastapi/books",
     "path": "/api/fastapi/books", "status": 200, "duration_ms": 3.1, "user_id": 7}

`route` is the template (`/api/drf/books/{id}`), or "<unmatched>" when no
route matched; `path` is the path as requested, so an unmatched request
still says what was asked for (cut to 200 characters, control characters
escaped: a client cannot forge or flood lines with it).

With LOG_FORMAT=text only the message is shown, with the id and the user:

    2026-11-28 18:30:00,123 INFO access GET /api/fastapi/books 200 3.1ms fastapi user=7 id=5f0c...
    2026-11-28 18:30:00,456 INFO access GET <unmatched> /api/nothing 404 0.2ms django user=- id=...
"""

from __future__ import annotations

import logging

access_logger = logging.getLogger("access")

UNMATCHED = "<unmatched>"
MAX_PATH_CHARS = 200


def printable_path(path: str) -> str:
    """The path for a log line: at most MAX_PATH_CHARS, control characters escaped."""
    path = path[:MAX_PATH_CHARS]
    return path if path.isprintable() else path.encode("unicode_escape").decode("ascii")


def log_request(
    *,
    method: str,
    path: str,
    route: str | None,
    framework: str,
    status: int,
    duration_ms: float,
    user_id: int | None,
    request_id: bytes,
) -> None:
    """Write the request's access line (skipped entirely when INFO is off)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    shown_path = printable_path(path)
    template = route if route is not None else UNMATCHED
    request_id_text = request_id.decode("ascii")
    duration_ms = round(duration_ms, 1)
    access_logger.info(
        "%s %s %s %.1fms %s user=%s id=%s",
        method, template if route is not None else f"{UNMATCHED} {shown_path}", status,
        duration_ms, framework, "-" if user_id is None else user_id, request_id_text,
        extra={
            "request_id": request_id_text,
            "framework": framework,
            "method": method,
            "route": template,
            "path": shown_path,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": user_id,
        },
    )
