"""Base classes for every DRF view of the project, the body helper, and DRF's /health.

Also the two views of the prefix itself: the API root (/api/drf/, DRF's
APIRootView, for browsers) and the trailing-slash rule.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, routers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import APIView

from common.accept import prefers_html
from common.health import health_report
from drf_support.exceptions import api_not_found
from drf_support.fields import PlainSerializer

# HEAD and OPTIONS are not part of the contract: every framework answers them
# 405 and leaves them out of `Allow` (CORS preflights are answered before any
# framework, in config.asgi).
_NOT_IN_CONTRACT = {"HEAD", "OPTIONS"}


class MethodFirstMixin:
    """Answer 405 before 401/403: no credentials can make a missing method exist.

    DRF authenticates, checks permissions and throttles in `initial()`, and
    only then looks up the handler, so `DELETE /auth/me` without a token
    would be a 401 here and a 405 in FastAPI, which routes first.
    """

    @property
    def allowed_methods(self) -> list[str]:
        # DRF copies this into the `Allow` header of every response: keep it
        # to the contract's methods, sorted, as every framework lists them.
        methods = super().allowed_methods  # type: ignore[misc]
        return sorted(m for m in methods if m not in _NOT_IN_CONTRACT)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = (request.method or "").upper()
        if method not in self.allowed_methods:
            raise exceptions.MethodNotAllowed(method)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


class ApiView(MethodFirstMixin, APIView):
    """The project's APIView."""


def envelope(serializer: serializers.BaseSerializer[Any]) -> ReturnDict[str, Any]:
    """`{"data": serializer.data}`: the contract's envelope of one resource.

    A ReturnDict that remembers its serializer, as `serializer.data` does, so
    DRF's browsable API finds the instance to fill its PUT and PATCH forms with.
    """
    return ReturnDict({"data": serializer.data}, serializer=serializer)


class _HealthChecksSerializer(PlainSerializer):
    database = serializers.CharField(help_text="ok or unavailable")
    cache = serializers.CharField(help_text="ok or unavailable")


class HealthReportSerializer(PlainSerializer):
    status = serializers.CharField(help_text="ok or unavailable")
    checks = _HealthChecksSerializer()


class DrfHealthView(ApiView):
    """GET /api/drf/health: the same report, answered through DRF."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    @extend_schema(
        operation_id="health", tags=["health"], summary="Database and cache checks",
        description="200 when both answer; 503 names the failing check. Not rate limited.",
        responses={
            200: OpenApiResponse(HealthReportSerializer, "Both answer."),
            503: OpenApiResponse(HealthReportSerializer,
                                 "A dependency is down: the report names the failing check."),
        },
    )
    def get(self, request: Request) -> Response:
        status, body = health_report()
        return Response(body, status=status)


# --- The prefix itself ------------------------------------------------------------------


class ApiRootView(MethodFirstMixin, routers.APIRootView):
    """GET /api/drf/: a link to every resource, as DefaultRouter's root view gives.

    For browsers, the page a visitor starts from (every link is clickable);
    a JSON client gets the same links as a JSON object. It is the one path
    of the prefix that ends in a slash, because it is the prefix itself.
    """

    schema = None  # not part of the contract's OpenAPI document
    # name in the page -> URL name (config/drf_urls.py and the apps' urls.py)
    api_root_dict = {
        "books": "book-list",
        "users": "user-list",
        "auth/register": "auth-register",
        "auth/token": "auth-token",
        "auth/refresh": "auth-refresh",
        "auth/me": "auth-me",
        "auth/logout": "auth-logout",
        "auth/password-reset": "auth-password-reset",
        "auth/password-reset/confirm": "auth-password-reset-confirm",
        "rl-demo/ping": "rl-demo-ping",
        "rl-demo/login-sim": "rl-demo-login-sim",
        "bf-demo/login": "bf-demo-login",
        "bf-demo/status": "bf-demo-status",
        "health": "drf-health",
        "openapi.json": "drf-openapi",
        "docs": "drf-docs",
        "redoc": "drf-redoc",
    }

    def get_view_name(self) -> str:
        return "Books API"


@csrf_exempt  # a POST here is a 404, not Django's HTML CSRF page
def trailing_slash(request: HttpRequest, path: str) -> HttpResponse:
    """Any other path ending in "/": one rule for the whole prefix.

    A browser asking for a page (GET, `Accept` prefers HTML) is sent to the
    same path without the slash, query string kept (301). Anyone else gets
    the contract's 404 envelope: API paths have no trailing slash, and a
    redirect would drop a POST's body or hide a client's mistake.
    """
    if request.method == "GET" and prefers_html(request.META.get("HTTP_ACCEPT")):
        query = request.META.get("QUERY_STRING", "")
        target = request.path[:-1].rstrip("/") + (f"?{query}" if query else "")
        return HttpResponsePermanentRedirect(target)
    return api_not_found(request)
