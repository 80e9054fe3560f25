"""Flask's side of the shared error contract: every failure becomes the envelope.

`init_app(app)` registers one handler per kind of exception with
`app.register_error_handler`, Flask's way to turn exceptions into
responses. Flask picks the most specific handler by the exception's class
hierarchy:

    ApplicationError          -> its own status, body() and response_headers()
    OAuthError                -> RFC 6749 §5.2 {"error", "error_description"}
    werkzeug HTTPException    -> 404 not_found (no route) / 405 method_not_allowed
                                 + Allow (the contract's methods, sorted);
                                 anything else werkzeug raises keeps its status
    OperationalError, InterfaceError (Django DB) -> 503 service_unavailable
    any other Exception       -> 500 internal_error, nothing of the original text

Every body is rendered by rendering.ContractJSONProvider (compact, UTF-8),
so the bytes are the same as at the other prefixes.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.db import InterfaceError, OperationalError
from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound

from common.asgi.notes import record_rate_limit
from common.errors import (
    ApplicationError,
    BadRequest,
    InternalError,
    MethodNotAllowed,
    NotFound,
    OAuthError,
    RateLimited,
    ServiceUnavailable,
)

logger = logging.getLogger(__name__)


def json_response(body: Any) -> Response:
    """`body` as JSON through the app's provider (rendering.ContractJSONProvider)."""
    # Flask annotates JSONProvider.response with werkzeug's sansio Response;
    # on a Flask app it is the app's response_class, flask.Response.
    return cast(Response, current_app.json.response(body))


def error_response(error: ApplicationError, status: int | None = None) -> Response:
    """The envelope `{"error": {...}}` with the error's status and headers."""
    response = json_response(error.body())
    response.status_code = status if status is not None else error.status
    response.headers.update(error.response_headers())
    return response


def handle_application_error(exc: ApplicationError) -> Response:
    response = error_response(exc)
    if isinstance(exc, RateLimited) and exc.decision is not None:
        # The refused decision as RateLimit headers, here and for the edge in front.
        record_rate_limit(request.environ.get("asgi.scope"), exc.decision)
        response.headers.update(exc.decision.headers())
    return response


def handle_oauth_error(exc: OAuthError) -> Response:
    """The token endpoint alone answers in RFC 6749's shape."""
    response = json_response(exc.body())
    response.status_code = exc.status
    response.headers.update(exc.response_headers())
    return response


def handle_http_exception(exc: HTTPException) -> Response:
    """werkzeug's routing errors, in our envelope.

    HEAD and OPTIONS are left out of the contract (rules are built without
    them, see routing.ContractRule), so they reach here as ordinary 405s.
    """
    if isinstance(exc, WerkzeugNotFound):
        return error_response(NotFound())
    if isinstance(exc, WerkzeugMethodNotAllowed):
        return error_response(MethodNotAllowed(request.method, list(exc.valid_methods or [])))
    # Nothing in this app raises another HTTPException on purpose (a 413
    # from a size limit, say): keep werkzeug's status, use our envelope.
    logger.warning("unexpected HTTPException %s", exc.code)
    status = exc.code or 500
    error = BadRequest() if status == 400 else InternalError()
    return error_response(error, status)


def handle_database_unavailable(exc: Exception) -> Response:
    """The database refused or dropped the connection: 503 service_unavailable."""
    logger.warning("database unavailable: %s", exc.__class__.__name__)
    return error_response(ServiceUnavailable())


def handle_unexpected_error(exc: Exception) -> Response:
    """Last resort: logged with its traceback, answered with no detail at all."""
    logger.exception("unhandled error in Flask view")
    return error_response(InternalError())


def init_app(app: Flask) -> None:
    """Register every handler above; called once by the application factory."""
    app.register_error_handler(ApplicationError, handle_application_error)
    app.register_error_handler(OAuthError, handle_oauth_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
