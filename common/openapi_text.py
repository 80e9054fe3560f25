"""The words of the OpenAPI documents' error responses, for all three frameworks.

The three documents describe one contract, so what a 404 or a 429 means is
written here once (common.openapi_contract.answers hands them to each
framework's generator):

- `ERROR_DESCRIPTIONS`: the error envelope's statuses, any endpoint;
- `RESOURCE_ERROR_DESCRIPTIONS`: the 404/409 of one resource, which can say
  what was not found or what conflicted ("No book with that id");
- `OAUTH_ERROR_DESCRIPTIONS`: the token endpoint's RFC 6749 errors.
"""

from __future__ import annotations

BOOKS = "books"
USERS = "users"
PASSWORD_RESET = "password-reset"
HEALTH = "health"

ERROR_DESCRIPTIONS: dict[int, str] = {
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

RESOURCE_ERROR_DESCRIPTIONS: dict[str, dict[int, str]] = {
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
    HEALTH: {
        503: "A dependency is down: the report names the failing check.",
    },
}

OAUTH_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "`invalid_request`, `invalid_grant` or `unsupported_grant_type` (RFC 6749 §5.2).",
    429: "`locked_out` (too many failed logins) or `rate_limited`, see `Retry-After`.",
    503: "`service_unavailable`: the lockout store (cache) is down.",
}


def error_descriptions(*codes: int, resource: str | None = None) -> dict[int, str]:
    """`{status: description}` for the listed statuses, in the order given.

    With `resource` (BOOKS, USERS, PASSWORD_RESET), its own wording replaces
    the generic one.
    """
    specific = RESOURCE_ERROR_DESCRIPTIONS.get(resource, {}) if resource else {}
    return {code: specific.get(code, ERROR_DESCRIPTIONS[code]) for code in codes}


def oauth_error_descriptions(*codes: int) -> dict[int, str]:
    """`{status: description}` for the token endpoint's listed statuses."""
    return {code: OAUTH_ERROR_DESCRIPTIONS[code] for code in codes}

# The `cursor` query parameter of GET /books, in all three documents.
CURSOR_PARAMETER = (
    "Keyset paging, for deep pages: send it empty (`cursor=`) for the first page, then "
    "the URL in links.next or links.prev. Not with `page`. Cursor answers have no "
    "total: meta holds page_size only."
)
