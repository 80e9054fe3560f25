"""Exception handlers: every failure answers in the contract's envelope.

`install_error_handlers(app)` registers one handler per kind of exception
(FastAPI's `app.add_exception_handler`, what `@app.exception_handler(...)` does):

    ApplicationError          -> its own status, body() and headers (common.errors:
                                 the domain's 401, 403, 404, 409, 422, 429, 503)
    OAuthError                -> RFC 6749 §5.2 {"error", "error_description"} (token endpoint)
    RequestValidationError    -> 422 validation_error: Pydantic's own messages, one
                                 detail per field; a body that is not a JSON object
                                 is 400 bad_request; a path id that is not a
                                 positive integer is 404 not_found
    HTTPException (Starlette) -> 404 not_found / 405 method_not_allowed + Allow,
                                 400 for a body FastAPI could not parse
    OperationalError, InterfaceError (Django DB) -> 503 service_unavailable
    anything else             -> 500 internal_error, nothing of the original text

The wording of a 422 is Pydantic's ("Input should be a valid integer", or
"Value error, " + the domain's sentence from a validator); the contract fixes
the status, `error.code` and the `details[].field` names, never the words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from common.asgi.notes import record_rate_limit
from common.errors import (
    MSG_NOT_AN_OBJECT,
    MSG_UNSUPPORTED_MEDIA,
    ApplicationError,
    BadRequest,
    FieldError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    OAuthError,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

# Where Pydantic's `loc` starts: the part of the request, then the field.
_PARTS = ("body", "query", "header", "cookie")


def _body_error(error: dict[str, Any]) -> ApplicationError:
    """An error about the body as a whole (`loc == ("body",)`): 400, never a field's 422."""
    if isinstance(error.get("input"), bytes):
        # FastAPI parses JSON only when the Content-Type says so; else it hands on bytes.
        return BadRequest(MSG_UNSUPPORTED_MEDIA)
    if error["type"] == "json_invalid":
        return BadRequest()
    return BadRequest(MSG_NOT_AN_OBJECT)  # absent, or JSON that is not an object


def validation_error_to_application_error(errors: Sequence[Any]) -> ApplicationError:
    """FastAPI's list of errors as the contract's answer (module docstring)."""
    if any(error["loc"][:1] == ("path",) for error in errors):
        return NotFound()
    details: list[FieldError] = []
    seen: set[str] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if loc == ("body",):
            return _body_error(error)
        # ("body", "year") -> "year"; ("query", "page") -> "page".
        field = str(loc[1]) if loc[:1] in (("body",), ("query",)) and len(loc) > 1 else ".".join(
            str(part) for part in loc if part not in _PARTS)
        if field not in seen:  # one message per field: the first Pydantic gives
            seen.add(field)
            details.append(FieldError(field, str(error["msg"])))
    return ValidationFailed(details)


def error_response(error: ApplicationError) -> JSONResponse:
    """The envelope: `{"error": {...}}` with the error's own status and headers."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.response_headers())


async def application_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApplicationError)
    if isinstance(exc, RateLimited):  # a service's refusal: the edge writes its headers
        record_rate_limit(request.scope, exc.decision)
    return error_response(exc)


async def oauth_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The token endpoint alone answers in RFC 6749's shape."""
    assert isinstance(exc, OAuthError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.response_headers())


async def request_validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(validation_error_to_application_error(exc.errors()))


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path accepts.

    Starlette raises 405 from the first route whose path matched, so its
    Allow header names that route's methods only (GET for GET /books, though
    POST /books exists too). Ask the router, method by method, instead.
    """
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's 404 (no route) and 405 (route, wrong method); FastAPI's body 400."""
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, ApplicationError):
        # The contract's JSON rule refused the body (json_request.py); FastAPI
        # wrapped that in its "error parsing the body" 400.
        return error_response(exc.__cause__)
    if exc.status_code == 404:
        return error_response(NotFound())
    if exc.status_code == 405:
        return error_response(MethodNotAllowed(request.method, _allowed_methods(request)))
    if exc.status_code == 400:
        return error_response(BadRequest())
    logger.warning("unexpected HTTPException %s", exc.status_code)
    error = InternalError()
    return JSONResponse(error.body(), status_code=exc.status_code, headers=exc.headers)


async def database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database refused or dropped the connection: 503."""
    logger.warning("database unavailable: %s", exc.__class__.__name__)
    return error_response(ServiceUnavailable())


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Last resort: no stack trace, no SQL, no secrets in the body.

    Starlette calls this from its outermost middleware and re-raises the
    exception afterwards so the server logs the traceback.
    """
    return error_response(InternalError())


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler above; called once by the app factory."""
    app.add_exception_handler(ApplicationError, application_error_handler)
    app.add_exception_handler(OAuthError, oauth_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(OperationalError, database_unavailable_handler)
    app.add_exception_handler(InterfaceError, database_unavailable_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
