"""The one set of errors every layer raises and every framework maps.

Domain code (services, selectors, the token service, the throttling core)
raises these; each framework turns them into a response in exactly one place:

- DRF: `drf_support.exceptions.exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"])
- FastAPI: `@app.exception_handler(ApplicationError)`
- Flask: `app.register_error_handler(ApplicationError, ...)`

All three call `ApplicationError.body()` and `.response_headers()`, so the
status, the JSON and the headers cannot drift apart. The OAuth2 token
endpoint alone answers in RFC 6749's shape: see `OAuthError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

# Messages are constants so tests, and all three frameworks, share one wording.
MSG_BAD_JSON = "Request body is not valid JSON."
MSG_NOT_AN_OBJECT = "Request body must be a JSON object."
MSG_UNSUPPORTED_MEDIA = "Content type must be application/json."
MSG_TOO_DEEP = "Request body is nested too deeply (at most {limit} levels)."
MSG_LONE_SURROGATE = "Request body contains a lone surrogate, which is not valid Unicode text."
MSG_PAYLOAD_TOO_LARGE = "Request body is larger than {limit} bytes."
# RFC 6749 §5.1: token responses, successes and errors alike, are never stored.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

MSG_BAD_HOST = "The Host header names a host this server does not serve."
MSG_TWO_HOSTS = "The request has more than one Host header."
MSG_TWO_AUTHORIZATIONS = "The request has more than one Authorization header."
MSG_TOO_MANY_FIELDS = "The request has more than {limit} query parameters or form fields."
MSG_HEADERS_TOO_LARGE = "The request headers are larger than {limit} bytes in all."
MSG_REQUEST_TIMEOUT = "The request body was not received within {limit} seconds."
MSG_VALIDATION = "The request has invalid fields."
MSG_NOT_AUTHENTICATED = "Authentication credentials were not provided."
MSG_INVALID_TOKEN = "The access token is invalid, expired or revoked."
MSG_PERMISSION_DENIED = "You do not have permission to perform this action."
MSG_NOT_FOUND = "Not found."
MSG_METHOD_NOT_ALLOWED = "Method {method} is not allowed on this path."
MSG_CONFLICT = "The resource already exists."
MSG_RATE_LIMITED = "Too many requests; retry after {retry_after} seconds."
MSG_LOCKED_OUT = "Too many failed logins; retry after {retry_after} seconds."
MSG_INTERNAL = "An unexpected error occurred."
MSG_UNAVAILABLE = "A service this endpoint depends on is unavailable."
MSG_BODIES_IN_FLIGHT = "The server is receiving too many request bodies; retry shortly."

# DRF's default field messages (rest_framework/fields.py) for the checks every
# framework makes before the domain sees a value: presence, null, JSON type.
# The DRF fields, the Pydantic error mapping, the Flask validator and the
# domain's own "required" checks all use these, so a 422 reads the same.
MSG_REQUIRED = "This field is required."
MSG_NULL = "This field may not be null."
MSG_BLANK = "This field may not be blank."
MSG_INVALID = "Invalid value."
MSG_INVALID_STRING = "Not a valid string."
MSG_INVALID_INT = "A valid integer is required."
MSG_INVALID_BOOL = "Must be a valid boolean."
MSG_INVALID_CHOICE = '"{input}" is not a valid choice.'


@dataclass(frozen=True)
class FieldError:
    """One entry of `details`: which field (or query parameter) and why."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class FieldInvalid(ValueError):
    """A single value broke a domain rule (ISBN check digit, year range...).

    Raised by the rule functions in `books.rules` / `accounts.rules`. It is a
    ValueError on purpose: inside a Pydantic validator it becomes an ordinary
    validation error, and DRF serializers re-raise it as one.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApplicationError(Exception):
    """Base class: a status, a machine-readable code and a human message."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = MSG_INTERNAL

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        self.message = message or self.default_message
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def compact_json(self) -> bytes:
        """`body()` as the frameworks' JSON renderers write it: UTF-8, no spaces.

        For the places that answer without a framework's renderer (the
        composition root, Django's own error views), so the bytes match too.
        """
        return json.dumps(self.body(), separators=(",", ":"), ensure_ascii=False).encode()

    def response_headers(self) -> dict[str, str]:
        return dict(self.headers)


class BadRequest(ApplicationError):
    status = 400
    code = "bad_request"
    default_message = MSG_BAD_JSON


class PayloadTooLarge(ApplicationError):
    """413: the body is larger than MAX_BODY_BYTES (refused before it is read whole)."""

    status = 413
    code = "payload_too_large"

    def __init__(self, limit: int):
        super().__init__(MSG_PAYLOAD_TOO_LARGE.format(limit=limit))


class RequestTimeout(ApplicationError):
    """408: the body did not arrive whole within BODY_TIMEOUT."""

    status = 408
    code = "request_timeout"

    def __init__(self, limit: float):
        super().__init__(MSG_REQUEST_TIMEOUT.format(limit=f"{limit:g}"))


class HeadersTooLarge(ApplicationError):
    """431: the request's header lines are larger than MAX_HEADER_BYTES in all."""

    status = 431
    code = "headers_too_large"

    def __init__(self, limit: int):
        super().__init__(MSG_HEADERS_TOO_LARGE.format(limit=limit))


class ValidationFailed(ApplicationError):
    """422 with one `details` entry per offending field, in input order."""

    status = 422
    code = "validation_error"
    default_message = MSG_VALIDATION

    def __init__(self, details: list[FieldError], message: str | None = None):
        super().__init__(message)
        self.details = details

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["details"] = [detail.as_dict() for detail in self.details]
        return body


class NotAuthenticated(ApplicationError):
    """No credentials at all: RFC 6750 says a bare `Bearer` challenge."""

    status = 401
    code = "not_authenticated"
    default_message = MSG_NOT_AUTHENTICATED

    def response_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="api"', **self.headers}


class InvalidToken(ApplicationError):
    """A token was sent but is malformed, expired, revoked or of the wrong type."""

    status = 401
    code = "invalid_token"
    default_message = MSG_INVALID_TOKEN

    def response_headers(self) -> dict[str, str]:
        challenge = 'Bearer realm="api", error="invalid_token"'
        return {"WWW-Authenticate": challenge, **self.headers}


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
    default_message = MSG_PERMISSION_DENIED


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = MSG_NOT_FOUND


class MethodNotAllowed(ApplicationError):
    status = 405
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: list[str]):
        super().__init__(MSG_METHOD_NOT_ALLOWED.format(method=method.upper()))
        self.allowed = sorted({m.upper() for m in allowed})

    def response_headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed), **self.headers}


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = MSG_CONFLICT


class RateLimited(ApplicationError):
    """429 from the rate limiter. `headers` carries the RateLimit headers.

    `decision` is the limiter's refused decision (throttling.limiter), for the
    adapter that writes the RateLimit headers; None when no window was counted
    (too many logins in flight).
    """

    status = 429
    code = "rate_limited"

    def __init__(
        self, retry_after: int, *, headers: dict[str, str] | None = None, decision: Any = None
    ):
        super().__init__(MSG_RATE_LIMITED.format(retry_after=retry_after), headers=headers)
        self.retry_after = retry_after
        self.decision = decision

    def response_headers(self) -> dict[str, str]:
        return {
            **self.headers,
            "Retry-After": str(self.retry_after),
            "Cache-Control": "no-store",
        }


class LockedOut(ApplicationError):
    """429 from the brute-force lockout (token endpoint and bf-demo)."""

    status = 429
    code = "locked_out"

    def __init__(self, retry_after: int):
        super().__init__(MSG_LOCKED_OUT.format(retry_after=retry_after))
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after), "Cache-Control": "no-store", **self.headers}


class ServiceUnavailable(ApplicationError):
    status = 503
    code = "service_unavailable"
    default_message = MSG_UNAVAILABLE

    def __init__(self, message: str | None = None, *, retry_after: int | None = 30):
        super().__init__(message)
        self.retry_after = retry_after

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class InternalError(ApplicationError):
    """Never carries the original exception's text: no SQL, no secrets."""


class OAuthError(Exception):
    """An error of the OAuth2 token endpoint, in RFC 6749 §5.2's shape.

    `{"error": "invalid_grant", "error_description": "..."}`, always with
    `Cache-Control: no-store` (RFC 6749 §5.1 asks it of token responses).
    """

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def response_headers(self) -> dict[str, str]:
        return {**NO_STORE, **self.headers}

    @classmethod
    def from_application_error(cls, exc: ApplicationError) -> OAuthError:
        """Lockouts and outages seen at the token endpoint keep its shape."""
        return cls(exc.code, exc.message, status=exc.status, headers=exc.response_headers())
