"""Prometheus metrics for every request, whichever framework answered it.

The composition root (config.asgi) wraps all three apps in `MetricsMiddleware`
and serves `GET /metrics`. Labels are framework, route template, method and
status: the route *template* (`/api/drf/books/{pk}`), never the raw path, so a
client cannot blow up the number of time series by requesting /books/1..10⁹.

How each framework reports its template to the middleware:
- the middleware puts a mutable dict in the scope under ROUTE_SCOPE_KEY;
  copies of the scope made further in still point at the same dict;
- Django (behind a2wsgi, which exposes the scope as environ["asgi.scope"])
  fills it from `request.resolver_match.route` (RouteTemplateMiddleware);
- Starlette-based apps (FastAPI) leave the matched route in scope["route"],
  which the dispatcher copies into the dict after the app returns.
A request no route matched is labelled "<unmatched>".

The same dict carries the authenticated user's id (`record_user`), noted by
each framework where it authenticates, and once the response is sent the
middleware writes the request's one access line (common/asgi/request_log.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from common.asgi.request_log import log_request
from common.asgi.types import Scope

# The request's notes: {"template": ..., "user_id": ...}, filled further in.
ROUTE_SCOPE_KEY = "metrics.route"
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


class MetricsMiddleware:
    """ASGI middleware: time each HTTP request, count it by its labels, log it once."""

    def __init__(self, app: Callable[..., Any], framework_of: Callable[[str], str]) -> None:
        self.app = app
        self.framework_of = framework_of

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics":
            await self._serve_metrics(send)
            return

        framework = self.framework_of(scope["path"])
        route: dict[str, Any] = {}
        scope[ROUTE_SCOPE_KEY] = route
        status = {"code": 500}
        started = time.perf_counter()

        async def send_recording_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                LATENCY.labels(
                    framework,
                    route.get("template", UNMATCHED),
                    scope["method"],
                ).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            template = route.get("template", UNMATCHED)
            REQUESTS.labels(framework, template, scope["method"], str(status["code"])).inc()
            log_request(
                scope=scope,
                framework=framework,
                route=template,
                status=status["code"],
                duration_ms=(time.perf_counter() - started) * 1000,
                user_id=route.get("user_id"),
            )

    @staticmethod
    async def _serve_metrics(send: Callable) -> None:
        body = generate_latest()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", CONTENT_TYPE_LATEST.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def record_route(scope: dict, template: str) -> None:
    """Called by a framework adapter once it knows which route matched."""
    holder = scope.get(ROUTE_SCOPE_KEY)
    if isinstance(holder, dict):
        holder["template"] = template


# A regex pattern's named group, as DRF's routers write them: (?P<id>[0-9]+).
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def readable_route(route: str) -> str:
    """A regex route (DRF's routers) as a template: "books/(?P<id>[0-9]+)$" -> "books/{id}"."""
    return _NAMED_GROUP.sub(r"{\1}", route).replace("^", "").rstrip("$")


def record_user(scope: Scope | None, user_id: int | None) -> None:
    """Called where a framework authenticates a user: the access line names them."""
    holder = scope.get(ROUTE_SCOPE_KEY) if scope is not None else None
    if isinstance(holder, dict) and user_id is not None:
        holder["user_id"] = user_id


class RouteTemplateMiddleware:
    """Django middleware: report the matched URL pattern to MetricsMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        scope = request.META.get("asgi.scope")
        unmatched = match is None or match.url_name == "drf-unmatched"
        if not unmatched and isinstance(scope, dict) and match.route:
            # resolver_match.route joins the include()d patterns: "api/drf/users/<int:id>".
            record_route(scope, "/" + readable_route(match.route))
        return response
