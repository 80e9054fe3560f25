"""FastAPI's side of the shared error contract: every failure becomes the envelope.

`install_error_handlers(app)` registers one handler per kind of exception, the
FastAPI idiom for what `common.drf.exceptions.exception_handler` does for DRF. The two
must give the same status, body and headers for the same request, so every
message here comes from `common.errors` or copies DRF's wording:

    ApplicationError          -> its own status, body() and response_headers()
    OAuthError                -> RFC 6749 §5.2 {"error", "error_description"}
    RequestValidationError    -> 422 validation_error, details in DRF's words
                                 (or 400 bad_request for a body that is not a
                                 JSON object, 404 for a malformed path id)
    Starlette HTTPException   -> 404 not_found / 405 method_not_allowed + Allow
    OperationalError, InterfaceError (Django DB) -> 503 service_unavailable
    anything else             -> 500 internal_error, nothing of the original text

Pydantic reports errors by `type`; `_drf_message` translates the types a
presence-and-type schema can produce into the sentences DRF's fields use.
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

from common.errors import (
    MSG_INVALID,
    MSG_INVALID_BOOL,
    MSG_INVALID_CHOICE,
    MSG_INVALID_INT,
    MSG_INVALID_STRING,
    MSG_NOT_AN_OBJECT,
    MSG_NULL,
    MSG_REQUIRED,
    ApplicationError,
    BadRequest,
    FieldError,
    FieldInvalid,
    InternalError,
    MethodNotAllowed,
    NotFound,
    OAuthError,
    ServiceUnavailable,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

# request.state attribute where `routing.ContractRoute` leaves a body it could
# not parse, to be reported only once authentication and limits have passed.
BODY_ERROR_STATE = "body_error"

_INT_TYPES = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
_STRING_TYPES = {"string_type", "string_unicode", "string_sub_type"}
_BOOL_TYPES = {"bool_type", "bool_parsing"}
_CHOICE_TYPES = {"literal_error", "enum"}


def _drf_message(error: dict[str, Any]) -> str:
    """One Pydantic error as the sentence DRF would have written for it."""
    kind = error["type"]
    if kind == "missing":
        return MSG_REQUIRED
    if kind in ("value_error", "assertion_error"):
        # Raised by a validator: FieldInvalid (a ValueError) carries the
        # domain's own message; keep it verbatim, without Pydantic's prefix.
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldInvalid):
            return cause.message
        if isinstance(cause, Exception):
            return str(cause)
        return str(error.get("msg", MSG_INVALID))
    if error.get("input", ...) is None:
        # A present `null` for a field that is not nullable: DRF checks this
        # before the type, whatever the type.
        return MSG_NULL
    if kind in _INT_TYPES:
        return MSG_INVALID_INT
    if kind in _STRING_TYPES:
        return MSG_INVALID_STRING
    if kind in _BOOL_TYPES:
        return MSG_INVALID_BOOL
    if kind in _CHOICE_TYPES:
        return MSG_INVALID_CHOICE.format(input=error.get("input"))
    return str(error.get("msg", MSG_INVALID))


def _field_name(loc: Sequence[str | int]) -> str:
    """("body", "tags", 0, "name") -> "tags[0].name", DRF's flattened spelling."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name = f"{name}.{part}" if name else str(part)
    return name or "body"


def validation_error_to_application_error(
    errors: Sequence[dict[str, Any]],
) -> ApplicationError:
    """Map FastAPI's list of errors to the one ApplicationError DRF would raise."""
    # DRF's router matches `/books/abc` and then answers 404 for the bad id:
    # a path parameter that is not an integer is "not found", not a 422.
    if any(err["loc"] and err["loc"][0] == "path" for err in errors):
        return NotFound()

    details: list[FieldError] = []
    seen: set[str] = set()
    for err in errors:
        loc = tuple(err["loc"])
        if loc[:1] == ("body",) and len(loc) == 1:
            if err["type"] == "json_invalid":
                return BadRequest()
            # The body as a whole is not an object (a list, a string, null).
            return BadRequest(MSG_NOT_AN_OBJECT)
        if loc[:1] in (("body",), ("query",), ("header",)):
            loc = loc[1:]
        field = _field_name(loc)
        if field in seen:
            continue  # DRF reports the first message per field
        seen.add(field)
        details.append(FieldError(field, _drf_message(err)))
    return ValidationFailed(details)


def error_response(error: ApplicationError) -> JSONResponse:
    """The envelope: `{"error": {...}}` with the error's own status and headers."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.response_headers())


async def application_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApplicationError)
    return error_response(exc)


async def oauth_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The token endpoint alone answers in RFC 6749's shape."""
    assert isinstance(exc, OAuthError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.response_headers())


async def request_validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # A body ContractRoute could not parse wins over the field errors FastAPI
    # found in the placeholder it validated instead (see routing.py).
    body_error = getattr(request.state, BODY_ERROR_STATE, None)
    if isinstance(body_error, ApplicationError):
        return error_response(body_error)
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
    """Starlette's own 404 (no route) and 405 (route, wrong method), in our envelope."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(NotFound())
    if exc.status_code == 405:
        return error_response(MethodNotAllowed(request.method, _allowed_methods(request)))
    # Nothing else in this app raises HTTPException; keep its status, use the
    # generic message of the closest envelope code.
    logger.warning("unexpected HTTPException %s", exc.status_code)
    error = BadRequest() if exc.status_code == 400 else InternalError()
    return JSONResponse(error.body(), status_code=exc.status_code, headers=exc.headers)


async def database_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """The database refused or dropped the connection: 503, as DRF answers."""
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
