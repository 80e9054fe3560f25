"""Base classes for every DRF view of the project, and the body helper."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from common.errors import MSG_NOT_AN_OBJECT, BadRequest


class MethodFirstMixin:
    """Answer 405 before 401/403: no credentials can make a missing method exist.

    DRF authenticates, checks permissions and throttles in `initial()`, and
    only then looks up the handler, so `DELETE /auth/me` without a token
    would be a 401 here and a 405 in FastAPI and Flask, which route first.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
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
