"""Tell the edge (common/asgi/edge.py) which route answered.

Metrics are labelled by route template (`/api/flask/books/<digits:book_id>`),
never by raw path. a2wsgi exposes the ASGI scope as environ["asgi.scope"],
where the edge left the request's notes (common/asgi/notes.py).
A request that matched no rule stays "<unmatched>".
"""

from __future__ import annotations

from flask import Flask, request

from common.asgi.metrics import record_route


def report_route(exc: BaseException | None = None) -> None:
    scope = request.environ.get("asgi.scope")
    if request.url_rule is not None and isinstance(scope, dict):
        # script_root is the mount prefix (/api/flask), from the scope's root_path.
        record_route(scope, request.script_root + request.url_rule.rule)


def init_app(app: Flask) -> None:
    app.teardown_request(report_route)
