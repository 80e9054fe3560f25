"""Prometheus metrics for every request, whichever framework answered it.

The edge (common/asgi/edge.py) counts and times every request and serves
`GET /metrics` (to METRICS_ALLOWED_IPS only). Labels are framework, route
template, method and status: the route *template*
(`/api/flask/books/<digits:book_id>`), never the raw path, so a client
cannot blow up the number of time series by requesting /books/1..10⁹. A
request no route matched is labelled "<unmatched>".

Each framework reports its template into the request's notes (notes.py):
- Django, behind a2wsgi (which exposes the scope as environ["asgi.scope"]),
  from `request.resolver_match.route` (RouteTemplateMiddleware, below);
- FastAPI from each route it matched (mounted_apis/fastapi_app/route_templates.py);
- Flask from `request.url_rule` (mounted_apis/flask_app/metrics.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

# Imported for its side effect: it registers the db_pool_* series that /metrics serves.
from common import db_metrics  # noqa: F401

# The framework adapters import these two from here.
from common.asgi.notes import record_route, record_user
from common.asgi.types import Send

__all__ = ["LATENCY", "REQUESTS", "UNMATCHED", "RouteTemplateMiddleware", "readable_route",
           "record_route", "record_user", "serve_metrics"]

UNMATCHED = "<unmatched>"

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by framework, route template, method and status.",
    ["framework", "route", "method", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request reaching the app to the response's first byte.",
    ["framework", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


async def serve_metrics(send: Send) -> None:
    """The Prometheus text exposition of everything above."""
    body = generate_latest()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", CONTENT_TYPE_LATEST.encode()),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A regex pattern's named group, as DRF's routers write them: (?P<id>[0-9]+).
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def readable_route(route: str) -> str:
    """A regex route (DRF's routers) as a template: "books/(?P<id>[0-9]+)$" -> "books/{id}"."""
    return _NAMED_GROUP.sub(r"{\1}", route).replace("^", "").rstrip("$")


class RouteTemplateMiddleware:
    """Django middleware: report the matched URL pattern to the edge."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        scope = request.META.get("asgi.scope")
        if (
            match is not None
            and match.url_name != "drf-unmatched"
            and isinstance(scope, dict)
            and match.route is not None
        ):
            # resolver_match.route joins the include()d patterns: "api/drf/users/<int:id>";
            # the landing page's is "" (so "/").
            record_route(scope, "/" + readable_route(match.route))
        return response
