"""Tell the edge which FastAPI route answered: its template, for metrics and the log.

FastAPI offers no public way to ask which path operation matched a request:
Starlette's router leaves the matched route object in `scope["route"]`, an
undocumented key. This module is the one place that reads it
(`matched_template`, with its own test), from a thin ASGI wrapper around the
app, after the app has answered; the template is written into the request's
notes (common/asgi/notes.py), with the mount prefix from `root_path`.

A path no route matched (404) leaves nothing in the scope and stays unmatched.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from common.asgi.metrics import record_route


def matched_template(scope: Scope) -> str | None:
    """The template of the route Starlette matched (`/books/{book_id:int}`), or None."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def with_route_templates(app: FastAPI) -> ASGIApp:
    """`app`, reporting each request's route template to the edge."""

    async def reporting(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        # Starlette writes into the scope it is given (the dispatcher's own copy).
        try:
            await app(scope, receive, send)
        finally:
            template = matched_template(scope)
            if template is not None:
                record_route(scope, scope.get("root_path", "") + template)

    return reporting
