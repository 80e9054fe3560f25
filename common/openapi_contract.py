"""What every OpenAPI document says about input rules, written once for all three.

Each framework still builds its own document in its own idiom
(drf-spectacular, FastAPI's generator, Flask's hand-written dict); then one
function, `apply_contract`, writes the parts that must not differ between
them, from `common.constraints` (the numbers the validation itself uses):

- the query parameters of the two lists (`GET /books`, `GET /users`):
  types, minimum/maximum, defaults, the `sort` grammar, enums;
- the constraints of request-body fields (lengths, ranges, patterns,
  enums), per operation, so `username` is constrained at registration
  and not in the brute-force demo's fake login;
- the token endpoint's form (RFC 6749's parameters);
- path ids (`{id}`: an integer from 1), whether a body is required (when its
  object has required fields), which operations need a token (all but
  PUBLIC, where one is optional);
- the answers every operation shares: 413 `payload_too_large` and 400 for
  operations with a body, 401 where a token is required, 429 (everything
  but /health is rate limited), 503 (a dependency is down), and the few
  statuses the shared code raises that a framework's decorators do not
  know about (EXTRA_STATUSES).

Rules a schema cannot state (an ISBN's check digit, Django's password
strength validators, "password needs current_password when you change your
own") are said in the field descriptions instead.

Hooked in by: DRF (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] ->
common.drf.schema.postprocess_contract), FastAPI (mounted_apis/fastapi_app/
docs.py) and Flask (mounted_apis/flask_app/openapi.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from common import constraints as c
from common.openapi_text import CURSOR_PARAMETER, ERROR_DESCRIPTIONS

Json = dict[str, Any]

# Text without NUL (refused by every text field, see common.text).
NO_NUL = r"^[^\x00]*$"
# Trimmed text that is not blank: at least one character that is not a space.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# ISBN-10 or ISBN-13 as people type them: digits with optional hyphens or
# spaces, or blank (no ISBN). The check digit is verified too (see description).
ISBN_PATTERN = r"^(\s*|[- ]*([0-9][- ]*){9}[0-9Xx][- ]*|[- ]*([0-9][- ]*){12}[0-9][- ]*)$"


def _year_max() -> int:
    from books.rules import year_max  # the moving upper bound, computed like the check

    return year_max()


def _password_min_length() -> int:
    """MinimumLengthValidator's setting in AUTH_PASSWORD_VALIDATORS (8 by default)."""
    from django.contrib.auth.password_validation import (
        MinimumLengthValidator,
        get_default_password_validators,
    )

    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return int(validator.min_length)
    return 1


# --- query parameters -----------------------------------------------------------------


def _query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False,
            "description": description, "schema": schema}


def _paging() -> list[Json]:
    return [
        _query("page", {"type": "integer", "minimum": c.PAGE_MIN, "default": 1},
               f"Page number, from {c.PAGE_MIN}."),
        _query("page_size",
               {"type": "integer", "minimum": 1, "maximum": c.MAX_PAGE_SIZE,
                "default": c.DEFAULT_PAGE_SIZE},
               f"Items per page, 1..{c.MAX_PAGE_SIZE}."),
    ]


def _search() -> Json:
    return {"type": "string", "maxLength": c.SEARCH_MAX, "pattern": NO_NUL}


def book_list_parameters() -> list[Json]:
    year = {"type": "integer", "minimum": c.YEAR_MIN, "maximum": _year_max()}
    fields = ", ".join(c.SORT_FIELDS)
    return [
        _query("search", _search(), "Title or author contains (any case)."),
        _query("title_contains", _search(), "Title contains (any case)."),
        _query("author", _search(), "Author equals (any case)."),
        _query("year_from", year, "Year >= this."),
        _query("year_to", year, "Year <= this."),
        _query("sort", {"type": "string", "pattern": c.sort_pattern(), "default": c.DEFAULT_SORT},
               f"Comma list of `field` or `field:asc|desc`, each field at most once; "
               f"fields: {fields}. Ties are always broken by id."),
        *_paging(),
        _query("cursor", {"type": "string", "maxLength": c.CURSOR_MAX_LENGTH, "pattern": NO_NUL},
               CURSOR_PARAMETER),
    ]


def user_list_parameters() -> list[Json]:
    return [
        _query("search", _search(), "Username or email contains (any case)."),
        _query("role", {"type": "string", "enum": list(c.ROLES)}, "Only users with this role."),
        _query("is_active", {"type": "string", "enum": list(c.BOOLEAN_QUERY_VALUES)},
               "Only active (`true`) or inactive (`false`) users."),
        *_paging(),
    ]


def bf_demo_status_parameters() -> list[Json]:
    return [_query("username", {"type": "string"}, "Also show this username's counters.")]


LIST_PARAMETERS: dict[str, Callable[[], list[Json]]] = {
    "/books": book_list_parameters,
    "/users": user_list_parameters,
    "/bf-demo/status": bf_demo_status_parameters,
}


# --- request-body fields ------------------------------------------------------------------


def _book_fields() -> dict[str, Json]:
    return {
        "title": {"minLength": 1, "maxLength": c.TITLE_MAX, "pattern": NOT_BLANK},
        "author": {"minLength": 1, "maxLength": c.AUTHOR_MAX, "pattern": NOT_BLANK},
        "year": {"minimum": c.YEAR_MIN, "maximum": _year_max()},
        "isbn": {"pattern": ISBN_PATTERN, "description": (
            "ISBN-10 or ISBN-13 (hyphens and spaces ignored) with a valid check digit; "
            "stored as ISBN-13. Blank or null: no ISBN.")},
        "description": {"maxLength": c.DESCRIPTION_MAX, "pattern": NO_NUL},
    }


def _password(description: str) -> Json:
    return {"minLength": _password_min_length(), "pattern": NO_NUL, "description": description}


STRENGTH = "Checked by Django's password validators (length, common, numeric, similarity)."


def _register_fields() -> dict[str, Json]:
    return {
        "username": {"minLength": c.USERNAME_MIN, "maxLength": c.USERNAME_MAX,
                     "pattern": c.USERNAME_PATTERN},
        "email": {"format": "email", "maxLength": c.EMAIL_MAX},
        "password": {**_password(STRENGTH), "format": "password"},
    }


def _user_update_fields() -> dict[str, Json]:
    return {
        "email": {"format": "email", "maxLength": c.EMAIL_MAX},
        "password": {**_password(f"{STRENGTH} Changing your own needs `current_password`."),
                     "format": "password"},
        "current_password": {"minLength": 1, "pattern": NO_NUL, "format": "password",
                             "description":
                             "Your current password: required with `password` on your own "
                             "account."},
        "role": {"enum": list(c.ROLES), "description": "Admin only."},
    }


def _refresh_fields() -> dict[str, Json]:
    return {"refresh_token": {"minLength": 1, "pattern": NO_NUL}}


def _logout_fields() -> dict[str, Json]:
    # Optional there: empty or null means "only this access token".
    return {"refresh_token": {"pattern": NO_NUL}}


def _password_reset_fields() -> dict[str, Json]:
    return {"email": {"format": "email", "maxLength": c.EMAIL_MAX}}


def _password_reset_confirm_fields() -> dict[str, Json]:
    return {
        "uid": {"minLength": 1, "pattern": NO_NUL},
        "token": {"minLength": 1, "pattern": NO_NUL},
        "new_password": {**_password(STRENGTH), "format": "password"},
    }


def _bf_demo_fields() -> dict[str, Json]:
    return {"username": {"minLength": 1}, "password": {"minLength": 1, "format": "password"}}


def token_form() -> Json:
    """RFC 6749's token request, form-encoded (password and refresh_token grants)."""
    text = {"type": "string", "minLength": 1}
    return {
        "required": False,  # an empty form answers invalid_request, in RFC 6749's shape
        "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object",
            "properties": {
                "grant_type": {"type": "string", "enum": ["password", "refresh_token"],
                               "default": "password"},
                "username": {**text, "description": "For grant_type=password."},
                "password": {**text, "format": "password",
                             "description": "For grant_type=password."},
                "refresh_token": {**text, "description": "For grant_type=refresh_token."},
            },
        }}},
    }


BODY_FIELDS: dict[tuple[str, str], Callable[[], dict[str, Json]]] = {
    ("/bf-demo/login", "post"): _bf_demo_fields,
    ("/auth/register", "post"): _register_fields,
    ("/auth/refresh", "post"): _refresh_fields,
    ("/auth/password-reset", "post"): _password_reset_fields,
    ("/auth/password-reset/confirm", "post"): _password_reset_confirm_fields,
    ("/auth/logout", "post"): _logout_fields,
    ("/users/{id}", "patch"): _user_update_fields,
    ("/books", "post"): _book_fields,
    ("/books/{id}", "put"): _book_fields,
    ("/books/{id}", "patch"): _book_fields,
}


# --- the document ----------------------------------------------------------------------------

_PATH_PARAMETER = re.compile(r"\{[^}]+\}")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def contract_path(path: str, prefix: str = "") -> str:
    """`/api/drf/books/{book_id}` -> `/books/{id}`: one spelling for the lookups above."""
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]
    return _PATH_PARAMETER.sub("{id}", path)


def _resolve(document: Json, schema: Json) -> Json:
    """The component a `$ref` names (one level, as all three documents use them)."""
    ref = schema.get("$ref")
    if ref and ref.startswith("#/components/schemas/"):
        return document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _error_response(status: int) -> Json:
    # Each document names its error envelope component "ErrorEnvelope".
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
    }


def _constrain_body(document: Json, operation: Json, fields: dict[str, Json]) -> None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        schema = _resolve(document, media.get("schema", {}))
        properties = schema.get("properties", {})
        for name, rules in fields.items():
            if name in properties:
                # A new dict: a hand-written document may share one property
                # schema object between several fields.
                properties[name] = {**properties[name], **copy.deepcopy(rules)}


# Operations anyone may call; a token is optional there (it only changes whose
# rate-limit budget is spent). Every other operation needs one.
PUBLIC = {
    ("/books", "get"), ("/books/{id}", "get"), ("/auth/register", "post"),
    ("/auth/token", "post"), ("/auth/refresh", "post"), ("/health", "get"),
    ("/rl-demo/ping", "get"), ("/rl-demo/login-sim", "post"),
    ("/bf-demo/login", "post"), ("/bf-demo/status", "get"),
}
# Public operations that ignore any Authorization header; the other public
# ones read an optional token, and a bad one is a 401.
TOKEN_IGNORED = {("/auth/register", "post"), ("/auth/token", "post"),
                 ("/auth/refresh", "post"), ("/health", "get")}
# Statuses raised by shared code that a framework's own declarations miss.
EXTRA_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    ("/bf-demo/login", "post"): (401, 422),  # wrong demo pair; a missing field
    ("/auth/logout", "post"): (422,),  # a refresh_token that is not text
}
PATH_ID = {"type": "integer", "minimum": 1}


def _security(document: Json, public: bool) -> list[Json]:
    schemes = list(document.get("components", {}).get("securitySchemes", {}))
    required = [{name: []} for name in schemes[:1]]
    return [*required, {}] if public else required


def _request_body_required(document: Json, body: Json) -> bool:
    for media in body.get("content", {}).values():
        if _resolve(document, media.get("schema", {})).get("required"):
            return True
    return False


def _shared_statuses(where: str, method: str, operation: Json, public: bool) -> list[int]:
    statuses = list(EXTRA_STATUSES.get((where, method), ()))
    if "requestBody" in operation:
        statuses += [400, 413]
    if (where, method) not in TOKEN_IGNORED:
        statuses.append(401)
    if where != "/health":  # health is neither limited nor in the envelope when down
        statuses += [429, 503]
    return statuses


def apply_contract(document: Json, *, prefix: str = "") -> Json:
    """Write the shared input rules into one framework's `document` (in place, and returned).

    `prefix` is the mount point when the paths include it (DRF's
    `/api/drf/books`); FastAPI's and Flask's paths are relative to `servers`.
    """
    for path, operations in document.get("paths", {}).items():
        where = contract_path(path, prefix)
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            public = (where, method) in PUBLIC
            operation["security"] = _security(document, public)
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "path":
                    parameter["schema"] = dict(PATH_ID)
            if method == "get" and where in LIST_PARAMETERS:
                kept = [p for p in parameters if p.get("in") != "query"]
                operation["parameters"] = kept + LIST_PARAMETERS[where]()
            if (where, method) == ("/auth/token", "post"):
                operation["requestBody"] = token_form()
            if (where, method) in BODY_FIELDS:
                _constrain_body(document, operation, BODY_FIELDS[(where, method)]())
            if "requestBody" in operation and where != "/auth/token":
                body = operation["requestBody"]
                body["required"] = _request_body_required(document, body)
            responses = operation.setdefault("responses", {})
            for status in _shared_statuses(where, method, operation, public):
                responses.setdefault(str(status), _error_response(status))
    return document
