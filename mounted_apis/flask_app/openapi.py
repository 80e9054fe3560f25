"""The OpenAPI 3.1 document of /api/flask, written out as data.

Flask has no schema generator, and the idiom here is explicit over magical:
every path, parameter, request body and response is spelled out below,
with the same schema names DRF's document uses (Book, BookInput, User, ...).
The error responses all point at one `ErrorEnvelope` schema, except the
token endpoint's, which answers RFC 6749's `OAuthError` shape.

`openapi_document(server_url=...)` returns a fresh dict per call; the
server URL is the mount prefix, so Swagger UI's "Try it out" calls
/api/flask. The security scheme is OAuth2's password flow with the relative
tokenUrl "auth/token" (as FastAPI's document has it), so the Authorize
button posts to {prefix}/auth/token under any prefix.
"""

from __future__ import annotations

from typing import Any

from common.media_types import FORM_MEDIA_TYPE
from common.openapi_text import (
    BOOKS,
    PASSWORD_RESET,
    USERS,
    error_descriptions,
    oauth_error_descriptions,
)

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json) -> Json:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(name: str, description: str = "OK", headers: Json | None = None) -> Json:
    response: Json = {"description": description, **_json(_ref(name))}
    if headers:
        response["headers"] = headers
    return response


def _errors(*codes: int, resource: str | None = None) -> Json:
    """Error envelope responses; the words are `common.openapi_text`'s."""
    envelope = _json(_ref("ErrorEnvelope"))
    return {
        str(code): {"description": description, **envelope}
        for code, description in error_descriptions(*codes, resource=resource).items()
    }


def _oauth_errors(*codes: int) -> Json:
    """The token endpoint's responses in RFC 6749's error shape."""
    oauth_error = _json(_ref("OAuthError"))
    return {
        str(code): {"description": description, **oauth_error}
        for code, description in oauth_error_descriptions(*codes).items()
    }


def _body(name: str) -> Json:
    return {"required": True, **_json(_ref(name))}


def _query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _path_id(description: str) -> Json:
    return {"name": "id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}, "description": description}


_BEARER = [{"OAuth2PasswordBearer": []}]
_NO_CONTENT = {"204": {"description": "No content."}}
_X_CACHE = {"X-Cache": {"description": "HIT or MISS: whether the cache answered.",
                        "schema": {"type": "string", "enum": ["HIT", "MISS"]}}}
_PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1."),
    _query("page_size", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
           "Items per page, 1..100."),
]


def _operation(tag: str, summary: str, responses: Json, **extra: Any) -> Json:
    return {"tags": [tag], "summary": summary, **extra, "responses": responses}


# --- Paths ------------------------------------------------------------------------------

def _auth_paths() -> Json:
    token_form = {"required": True, "content": {FORM_MEDIA_TYPE: {"schema": _ref("TokenForm")}}}
    return {
        "/auth/register": {"post": _operation(
            "auth", "Register a new user (role user)",
            {"201": _ok("UserEnvelope", "Created."), **_errors(400, 409, 422, 429, resource=USERS)},
            requestBody=_body("RegisterInput"), security=[],
        )},
        "/auth/token": {"post": _operation(
            "auth", "OAuth2 token endpoint (password and refresh_token grants)",
            {"200": _ok("TokenResponse"), **_oauth_errors(400, 429, 503)},
            description="Form-encoded (RFC 6749). `grant_type` may be omitted: it means "
            "`password`. Errors use RFC 6749's shape `{error, error_description}`.",
            requestBody=token_form, security=[],
        )},
        "/auth/refresh": {"post": _operation(
            "auth", "Rotate a refresh token (JSON twin of the refresh_token grant)",
            {"200": _ok("TokenResponse"), **_errors(400, 422, 429, 503)},
            requestBody=_body("RefreshInput"), security=[],
        )},
        "/auth/logout": {"post": _operation(
            "auth", "Log out: revoke this login (and the given refresh token's)",
            {**_NO_CONTENT, **_errors(400, 401, 422, 429)},
            requestBody={"required": False, **_json(_ref("LogoutInput"))}, security=_BEARER,
        )},
        "/auth/me": {"get": _operation(
            "auth", "The caller", {"200": _ok("UserEnvelope"), **_errors(401, 429)},
            security=_BEARER,
        )},
        "/auth/password-reset": {"post": _operation(
            "auth", "Ask for a password reset email (202 whether or not the address is known)",
            {"202": {"description": "Accepted: an email goes out if the address belongs to "
                     "an account."}, **_errors(400, 422, 429, 503, resource=PASSWORD_RESET)},
            requestBody=_body("PasswordResetInput"), security=[],
        )},
        "/auth/password-reset/confirm": {"post": _operation(
            "auth", "Set a new password with the uid and token from the reset email",
            {**_NO_CONTENT, **_errors(400, 422, 429, 503, resource=PASSWORD_RESET)},
            requestBody=_body("PasswordResetConfirmInput"), security=[],
        )},
    }


def _user_paths() -> Json:
    user_id = _path_id("The user's id.")
    return {
        "/users": {"get": _operation(
            "users", "List users (admin)",
            {"200": _ok("UserPage"), **_errors(401, 403, 422, 429)},
            parameters=[
                _query("search", {"type": "string"}, "Username or email contains."),
                _query("role", {"type": "string", "enum": ["user", "admin"]}, "Role equals."),
                _query("is_active", {"type": "string", "enum": ["true", "false"]},
                       "Active or not."),
                *_PAGING,
            ],
            security=_BEARER,
        )},
        "/users/{id}": {
            "get": _operation(
                "users", "Read a user (self or admin)",
                {"200": _ok("UserEnvelope"), **_errors(401, 403, 404, 429, resource=USERS)},
                description="A non-admin asking for any other id gets 403, whether or not "
                "it exists.",
                parameters=[user_id], security=_BEARER,
            ),
            "patch": _operation(
                "users", "Update a user (self: email, password; admin: also role, is_active)",
                {"200": _ok("UserEnvelope"),
                 **_errors(400, 401, 403, 404, 409, 422, 429, resource=USERS)},
                description="Changing one's own password needs `current_password`; it "
                "revokes every earlier token of that user.",
                parameters=[user_id], requestBody=_body("UserPatch"), security=_BEARER,
            ),
            "delete": _operation(
                "users", "Soft-delete a user (self or admin)",
                {**_NO_CONTENT, **_errors(401, 403, 404, 429, resource=USERS)},
                parameters=[user_id], security=_BEARER,
            ),
        },
    }


def _book_paths() -> Json:
    book_id = _path_id("The book's id.")
    write = "Bearer token required."
    return {
        "/books": {
            "get": _operation(
                "books", "List books (public, paginated, cached)",
                {"200": _ok("BookPage", headers=_X_CACHE), **_errors(422, 429)},
                parameters=[
                    _query("search", {"type": "string"},
                           "Title or author contains (case-insensitive)."),
                    _query("title_contains", {"type": "string"},
                           "Title contains (case-insensitive)."),
                    _query("author", {"type": "string"}, "Author equals (case-insensitive)."),
                    _query("year_from", {"type": "integer"}, "Published in or after this year."),
                    _query("year_to", {"type": "integer"}, "Published in or before this year."),
                    _query("sort", {"type": "string"},
                           "Comma list of `field` or `field:asc|desc`; fields: id, title, "
                           "author, year, created_at. Default `id:asc`; ties are always "
                           "broken by id."),
                    *_PAGING,
                ],
                security=[],
            ),
            "post": _operation(
                "books", "Create a book (any authenticated user)",
                {"201": _ok("BookEnvelope", "Created; the book's URL is in `Location`.",
                            headers={"Location": {"schema": {"type": "string"}}}),
                 **_errors(400, 401, 409, 422, 429, resource=BOOKS)},
                description=write, requestBody=_body("BookInput"), security=_BEARER,
            ),
        },
        "/books/{id}": {
            "get": _operation(
                "books", "Get one book (public, cached)",
                {"200": _ok("BookEnvelope", headers=_X_CACHE),
                 **_errors(404, 429, resource=BOOKS)},
                parameters=[book_id], security=[],
            ),
            "put": _operation(
                "books", "Replace a book (creator or admin)",
                {"200": _ok("BookEnvelope"),
                 **_errors(400, 401, 403, 404, 409, 422, 429, resource=BOOKS)},
                description=f"{write} Optional fields left out are reset to their defaults.",
                parameters=[book_id], requestBody=_body("BookInput"), security=_BEARER,
            ),
            "patch": _operation(
                "books", "Change some fields of a book (creator or admin)",
                {"200": _ok("BookEnvelope"),
                 **_errors(400, 401, 403, 404, 409, 422, 429, resource=BOOKS)},
                description=write, parameters=[book_id], requestBody=_body("BookInput"),
                security=_BEARER,
            ),
            "delete": _operation(
                "books", "Delete a book (admin only)",
                {**_NO_CONTENT, **_errors(401, 403, 404, 429, resource=BOOKS)},
                description=write, parameters=[book_id], security=_BEARER,
            ),
        },
    }


def _demo_and_health_paths() -> Json:
    return {
        "/rl-demo/ping": {"get": _operation(
            "demos", "Rate-limit demo: a relaxed limit",
            {"200": _ok("MessageEnvelope"), **_errors(429)},
            description="Limited to `RL_DEMO_PING` (default 10/minute) per client IP. Call it "
            "11 times within a minute: watch `RateLimit`'s `r` count down, then the 429.",
        )},
        "/rl-demo/login-sim": {"post": _operation(
            "demos", "Rate-limit demo: a strict limit, as a login endpoint would have",
            {"200": _ok("MessageEnvelope"), **_errors(429)},
            description="Limited to `RL_DEMO_LOGIN_SIM` (default 3/minute) per client IP.",
        )},
        "/bf-demo/login": {"post": _operation(
            "demos", "Brute-force demo: a login with lockout",
            {"200": _ok("BfDemoLoginEnvelope"), **_errors(400, 401, 422, 429, 503)},
            description="A fixed demo pair (username `demo`, password `correct-horse`; not a "
            "real account), the token endpoint's lockout rules, its own counters. Five wrong "
            "passwords, then 429 `locked_out` even with the right one.",
            requestBody=_body("BfDemoLogin"),
        )},
        "/bf-demo/status": {"get": _operation(
            "demos", "Brute-force demo: your counters and lock",
            {"200": _ok("BfDemoStatusEnvelope"), **_errors(429, 503)},
            parameters=[_query("username", {"type": "string"}, "Also show this username.")],
        )},
        "/health": {"get": _operation(
            "health", "Database and cache checks",
            {"200": _ok("HealthReport"), "503": _ok("HealthReport", "A dependency is down.")},
            security=[],
        )},
    }


# --- Schemas ----------------------------------------------------------------------------

def _object(properties: Json, required: list[str] | None = None) -> Json:
    schema: Json = {"type": "object", "properties": properties}
    if required is None:
        required = list(properties)
    if required:
        schema["required"] = required
    return schema


_STR: Json = {"type": "string"}
_INT: Json = {"type": "integer"}
_BOOL: Json = {"type": "boolean"}
_DATETIME: Json = {"type": "string", "format": "date-time"}
_NULLABLE_STR: Json = {"type": ["string", "null"]}


def _envelope(name: str) -> Json:
    return _object({"data": _ref(name)})


def _page(name: str) -> Json:
    return _object({"data": {"type": "array", "items": _ref(name)},
                    "meta": _ref("PageMeta"), "links": _ref("PageLinks")})


def _schemas() -> Json:
    return {
        "ErrorEnvelope": _object({"error": _ref("ErrorBody")}),
        "ErrorBody": _object({
            "code": {**_STR, "description": "validation_error, not_found, conflict, ..."},
            "message": {**_STR, "description": "Human readable."},
            "details": {"type": "array", "items": _ref("ErrorDetail"),
                        "description": "Present for validation_error only."},
        }, required=["code", "message"]),
        "ErrorDetail": _object({"field": _STR, "message": _STR}),
        "OAuthError": _object({
            "error": {**_STR, "description": "invalid_request, invalid_grant, "
                      "unsupported_grant_type, locked_out, ..."},
            "error_description": _STR,
        }),
        "PageMeta": _object({"page": _INT, "page_size": _INT, "total": _INT, "pages": _INT}),
        "PageLinks": _object({"self": _STR, "next": _NULLABLE_STR, "prev": _NULLABLE_STR}),
        "Book": _object({
            "id": _INT, "title": _STR, "author": _STR, "year": _INT, "isbn": _NULLABLE_STR,
            "description": _STR, "created_by": _INT, "created_at": _DATETIME,
            "updated_at": _DATETIME,
        }),
        "BookInput": _object({
            "title": {**_STR, "minLength": 1, "maxLength": 200},
            "author": {**_STR, "minLength": 1, "maxLength": 200},
            "year": {**_INT, "minimum": 1450},
            "isbn": {**_NULLABLE_STR, "description": "ISBN-10 or ISBN-13, hyphens allowed."},
            "description": {**_NULLABLE_STR, "maxLength": 5000},
        }, required=["title", "author", "year"]),
        "BookEnvelope": _envelope("Book"),
        "BookPage": _page("Book"),
        "User": _object({
            "id": _INT, "username": _STR, "email": _STR,
            "role": {"type": "string", "enum": ["user", "admin"]},
            "is_active": _BOOL, "date_joined": _DATETIME,
        }),
        "UserEnvelope": _envelope("User"),
        "UserPage": _page("User"),
        "RegisterInput": _object({
            "username": {**_STR, "minLength": 3, "maxLength": 150},
            "email": {**_STR, "format": "email"},
            "password": {**_STR, "format": "password"},
        }),
        "UserPatch": _object({
            "email": {**_STR, "format": "email"},
            "password": {**_STR, "format": "password"},
            "current_password": {**_STR, "format": "password",
                                 "description": "Needed to change one's own password."},
            "role": {"type": "string", "enum": ["user", "admin"],
                     "description": "Admins only."},
            "is_active": {**_BOOL, "description": "Admins only."},
        }, required=[]),
        "TokenForm": _object({
            "grant_type": {"type": "string", "enum": ["password", "refresh_token"],
                           "default": "password"},
            "username": _STR,
            "password": {**_STR, "format": "password"},
            "refresh_token": _STR,
        }, required=[]),
        "TokenResponse": _object({
            "access_token": _STR, "refresh_token": _STR,
            "token_type": {"type": "string", "enum": ["bearer"]},
            "expires_in": {**_INT, "description": "Seconds until the access token expires."},
        }),
        "RefreshInput": _object({"refresh_token": _STR}),
        "PasswordResetInput": _object({"email": {**_STR, "format": "email"}}),
        "PasswordResetConfirmInput": _object({
            "uid": {**_STR, "description": "The `uid` from the reset email."},
            "token": {**_STR, "description": "The `token` from the reset email."},
            "new_password": {**_STR, "format": "password"},
        }),
        "LogoutInput": _object({"refresh_token": {
            **_NULLABLE_STR, "description": "Also revoke this refresh token's login."}},
            required=[]),
        "MessageEnvelope": _object({"data": _object({"message": _STR})}),
        "BfDemoLogin": _object({"username": _STR, "password": {**_STR, "format": "password"}}),
        "BfDemoLoginEnvelope": _object({"data": _object({"authenticated": _BOOL})}),
        "BfDemoStatusEnvelope": _object({"data": _object({
            "namespace": _STR, "username": _NULLABLE_STR, "ip": _STR,
            "failures": _object({"username": {"type": ["integer", "null"]}, "ip": _INT}),
            "max_failures": _INT, "failure_window": _INT, "locked": _BOOL,
            "locked_until": {"type": ["string", "null"], "format": "date-time"},
            "retry_after": {"type": ["integer", "null"]},
        })}),
        "HealthReport": _object({
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": _object({"database": _STR, "cache": _STR}),
        }),
    }


DESCRIPTION = """The shared contract, served by Flask (blueprints, explicit parsing) at /api/flask.

Authorize with a username and password (OAuth2 password flow): the access
token is then sent as `Authorization: Bearer ...` on every call.
Every error answers `{"error": {"code", "message", "details"?}}`, except the
token endpoint's RFC 6749 errors.
"""


def openapi_document(*, server_url: str) -> Json:
    """The whole document; `server_url` is where the API is mounted (/api/flask)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Books API: Flask", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "paths": {**_auth_paths(), **_user_paths(), **_book_paths(),
                  **_demo_and_health_paths()},
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"OAuth2PasswordBearer": {
                "type": "oauth2",
                "description": "Log in with a username and password; the access token is "
                "sent as Bearer.",
                "flows": {"password": {"tokenUrl": "auth/token", "scopes": {}}},
            }},
        },
    }
