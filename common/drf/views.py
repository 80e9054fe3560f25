"""Base classes for every DRF view of the project, the body helper, and DRF's /health."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.drf.openapi import documented
from common.errors import MSG_NOT_AN_OBJECT, BadRequest
from common.health import health_report

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
        if request.method.upper() not in self.allowed_methods:
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


class ApiView(MethodFirstMixin, APIView):
    """The project's APIView."""


class ApiViewSet(MethodFirstMixin, viewsets.ViewSet):
    """The project's ViewSet."""


def json_object(request: Request) -> dict[str, Any]:
    """The parsed JSON body, which must be an object.

    `[1, 2]` or `null` is valid JSON but not a resource: a malformed request (400).
    """
    if not isinstance(request.data, dict):
        raise BadRequest(MSG_NOT_AN_OBJECT)
    return request.data


class _HealthChecksSerializer(serializers.Serializer):
    database = serializers.CharField(help_text="ok or unavailable")
    cache = serializers.CharField(help_text="ok or unavailable")


class HealthReportSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="ok or unavailable")
    checks = _HealthChecksSerializer()


class DrfHealthView(ApiView):
    """GET /api/drf/health: the same report, answered through DRF."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    @documented("health", response=HealthReportSerializer)
    def get(self, request: Request) -> Response:
        status, body = health_report()
        return Response(body, status=status)
