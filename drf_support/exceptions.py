"""DRF's side of the shared error contract: one exception handler, one 404 view.

REST_FRAMEWORK["EXCEPTION_HANDLER"] points at `exception_handler`; it turns
every exception a DRF view can raise (our `ApplicationError`s, DRF's own
exceptions, Django's Http404, database outages, anything else) into the
contract's envelope. Nothing reaches Django's HTML error pages.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from common.asgi.notes import record_rate_limit
from common.errors import (
    MSG_NOT_AN_OBJECT,
    MSG_UNSUPPORTED_MEDIA,
    ApplicationError,
    BadRequest,
    FieldError,
    InternalError,
    InvalidToken,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    OAuthError,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger(__name__)


def flatten_validation_detail(detail: Any, prefix: str = "") -> list[FieldError]:
    """DRF's nested `{"field": ["msg", ...]}` as a flat list, first message per field."""
    if isinstance(detail, dict):
        errors: list[FieldError] = []
        for field, value in detail.items():
            name = f"{prefix}.{field}" if prefix else str(field)
            errors.extend(flatten_validation_detail(value, name))
        return errors
    if isinstance(detail, list):
        if detail and all(not isinstance(item, dict | list) for item in detail):
            return [FieldError(prefix or "body", str(detail[0]))]
        errors = []
        for index, item in enumerate(detail):
            errors.extend(flatten_validation_detail(item, f"{prefix}[{index}]"))
        return errors
    return [FieldError(prefix or "body", str(detail))]


def _body_is_not_an_object(exc: exceptions.ValidationError) -> bool:
    """A body that is valid JSON but not an object (`null`, `[1, 2]`): a malformed request.

    A serializer given such data reports it under `non_field_errors` with
    the codes "null" or "invalid"; a field error never looks like that.
    """
    codes = exc.get_codes()
    if not isinstance(codes, dict) or set(codes) != {"non_field_errors"}:
        return False
    found = codes["non_field_errors"]
    return isinstance(found, list) and set(map(str, found)) <= {"null", "invalid"}


def to_application_error(exc: Exception, context: dict[str, Any]) -> ApplicationError:
    """Map any exception raised inside a DRF view to one of ours."""
    if isinstance(exc, ApplicationError):
        return exc
    if isinstance(exc, exceptions.ParseError):
        return BadRequest()
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return BadRequest(MSG_UNSUPPORTED_MEDIA)
    if isinstance(exc, exceptions.ValidationError):
        if _body_is_not_an_object(exc):
            return BadRequest(MSG_NOT_AN_OBJECT)
        return ValidationFailed(flatten_validation_detail(exc.detail))
    if isinstance(exc, exceptions.NotAuthenticated):
        return NotAuthenticated()
    if isinstance(exc, exceptions.AuthenticationFailed):
        return InvalidToken()
    if isinstance(exc, exceptions.PermissionDenied):
        return PermissionDenied()
    if isinstance(exc, Http404 | exceptions.NotFound):
        return NotFound()
    if isinstance(exc, exceptions.MethodNotAllowed):
        request = context.get("request")
        view = context.get("view")
        method = request.method if request is not None else "?"
        allowed = list(getattr(view, "allowed_methods", []) or [])
        return MethodNotAllowed(method, allowed)
    if isinstance(exc, exceptions.Throttled):
        # DRF sets `wait` in Throttled.__init__; the stubs do not declare it.
        return RateLimited(int(exc.wait or 1))  # type: ignore[attr-defined]
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        return ServiceUnavailable()
    if isinstance(exc, DatabaseError):
        logger.exception("database error in DRF view")
        return InternalError()
    logger.exception("unhandled error in DRF view")
    return InternalError()


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, OAuthError):
        return Response(exc.body(), status=exc.status, headers=exc.response_headers())
    error = to_application_error(exc, context)
    if isinstance(error, RateLimited):  # a service's refusal (a throttle's is recorded already)
        request = context.get("request")
        scope = request.META.get("asgi.scope") if request is not None else None
        record_rate_limit(scope, error.decision)
    return Response(error.body(), status=error.status, headers=error.response_headers())


def json_error_response(error: ApplicationError) -> HttpResponse:
    """The envelope from plain Django views (URL catch-all, handler500).

    Compact separators, as DRF's JSONRenderer and FastAPI write it, so the
    bytes match too, not only the parsed JSON.
    """
    response = HttpResponse(
        error.compact_json(), status=error.status, content_type="application/json"
    )
    for name, value in error.response_headers().items():
        response[name] = value
    return response


@csrf_exempt  # a PUT to an unknown path is a 404, not Django's HTML CSRF page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Catch-all for unknown paths under /api/drf: the envelope, not Django's page."""
    return json_error_response(NotFound())


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: whatever escaped, the client sees no stack trace."""
    return json_error_response(InternalError())
