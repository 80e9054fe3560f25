"""The error answers each route documents: FastAPI's `responses=` argument.

    @router.get("/{book_id}", responses=errors(401, 404, 429, 503, resource=BOOKS))

FastAPI documents the success answer from the route's `response_model` (or
return annotation) and its `status_code`; the other answers are listed per
route ("Additional Responses in OpenAPI" in FastAPI's docs), each with the
model of its body: the envelope, or RFC 6749's shape at the token endpoint.
"""

from __future__ import annotations

from typing import Any

from .schemas import ErrorEnvelope, OAuthErrorBody

BOOKS = "books"
USERS = "users"
PASSWORD_RESET = "password-reset"

DESCRIPTIONS: dict[int, str] = {
    400: "The body is not a JSON object, not JSON, nested deeper than 64 levels, or holds "
    "a lone surrogate (`bad_request`).",
    401: "No or bad bearer token (`not_authenticated` / `invalid_token`), "
    "with `WWW-Authenticate: Bearer`.",
    403: "Authenticated but not allowed (`permission_denied`).",
    404: "No such resource (`not_found`).",
    409: "The value is already taken (`conflict`).",
    413: "The body is larger than MAX_BODY_BYTES (`payload_too_large`); it was not read.",
    422: "A field or query parameter fails validation (`validation_error`).",
    429: "Rate limit exceeded (`rate_limited`), see `Retry-After`.",
    503: "The database or the cache is down (`service_unavailable`).",
}

# What a 404 or a 409 means for one resource.
RESOURCE_DESCRIPTIONS: dict[str, dict[int, str]] = {
    BOOKS: {
        404: "No book with that id (`not_found`).",
        409: "Another book has that ISBN (`conflict`).",
    },
    USERS: {
        404: "No user with that id (`not_found`).",
        409: "Another user has that username or email (`conflict`).",
    },
    PASSWORD_RESET: {
        400: "The body is not a JSON object (`bad_request`), or the reset token is "
        "invalid, expired or already used (`invalid_token`).",
        503: "The cache is down: reset requests cannot be counted (`service_unavailable`).",
    },
}

OAUTH_DESCRIPTIONS: dict[int, str] = {
    400: "`invalid_request`, `invalid_grant` or `unsupported_grant_type` (RFC 6749 §5.2).",
    429: "`locked_out` (too many failed logins) or `rate_limited`, see `Retry-After`.",
    503: "`service_unavailable`: the lockout store (cache) is down.",
}

X_CACHE: dict[str, Any] = {"X-Cache": {"description": "HIT or MISS: whether the cache answered.",
                                       "schema": {"type": "string", "enum": ["HIT", "MISS"]}}}
LOCATION: dict[str, Any] = {"Location": {"description": "The new resource's URL.",
                                         "schema": {"type": "string"}}}


def errors(*statuses: int, resource: str | None = None) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these statuses, answered in the envelope."""
    words = {**DESCRIPTIONS, **RESOURCE_DESCRIPTIONS.get(resource or "", {})}
    return {status: {"model": ErrorEnvelope, "description": words[status]} for status in statuses}


def oauth_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the token endpoint: RFC 6749's shape (413 comes from the edge)."""
    return {status: {"model": OAuthErrorBody, "description": OAUTH_DESCRIPTIONS[status]}
            if status in OAUTH_DESCRIPTIONS else
            {"model": ErrorEnvelope, "description": DESCRIPTIONS[status]}
            for status in statuses}

