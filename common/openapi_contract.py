"""The parts of every OpenAPI document that come from the contract, not from a framework.

`common.operations` declares each operation's facts (summary, who may call
it, its statuses); this module turns them into OpenAPI pieces that each
framework's generator takes through its own channel:

- `answers(operation)`: every response (status, words, which body);
- `security(operation)`: `[{scheme: []}]`, `[{scheme: []}, {}]` (token
  optional) or None (no token read);
- `query_parameters(operation)`: the list endpoints' query parameters,
  with the bounds the validation uses (`common.constraints`);
- `token_form()`: RFC 6749's form-encoded token request.

What no generator can say is written in by `complete_document`, after
generation: the value rules of request-body fields (`BODY_FIELDS`: lengths,
ranges, patterns, formats) and the lower bound of path ids. The Pydantic
models and the DRF serializers check only presence and JSON type (the
domain checks values, with its own messages); some rules move at run time
(the year's upper bound is next year, the password's minimum length is a
setting). `complete_document` only adds keywords a generated schema lacks:
it never replaces what a generator wrote.

Rules a schema cannot state (an ISBN's check digit, Django's password
strength validators, "password needs current_password when you change your
own") are said in the field descriptions instead.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from common import constraints as c
from common.openapi_text import (
    CURSOR_PARAMETER,
    error_descriptions,
    oauth_error_descriptions,
)
from common.operations import SECURITY_SCHEME, Operation
from common.operations import find as find_operation

Json = dict[str, Any]

# Text without NUL (refused by every text field, see common.text).
NO_NUL = r"^[^\x00]*$"
# Trimmed text that is not blank: at least one character that is not a space.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# ISBN-10 or ISBN-13 as people type them: digits with optional hyphens or
# spaces, or blank (no ISBN). The check digit is verified too (see description).
ISBN_PATTERN = r"^(\s*|[- ]*([0-9][- ]*){9}[0-9Xx][- ]*|[- ]*([0-9][- ]*){12}[0-9][- ]*)$"


def _year_max() -> int:
    # The moving upper bound, by the same rule the validation uses.
    return c.year_max_on(timezone.now().date())


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


USERNAME_RULE = (f"{c.USERNAME_MIN} to {c.USERNAME_MAX} characters: letters and digits of any "
                 "script, and `@`, `.`, `+`, `-`, `_`.")
STRENGTH = "Checked by Django's password validators (length, common, numeric, similarity)."


def _register_fields() -> dict[str, Json]:
    return {
        # No `pattern`: Django accepts letters and digits of every script, and a
        # pattern's `\\w` means ASCII to the ECMA-262 regexes OpenAPI tools use.
        # NO_NUL is true in every dialect; the rest is said in words.
        "username": {"minLength": c.USERNAME_MIN, "maxLength": c.USERNAME_MAX,
                     "pattern": NO_NUL, "description": USERNAME_RULE},
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


# --- the pieces each generator takes ------------------------------------------------------

_PATH_PARAMETER = re.compile(r"\{[^}]+\}")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ERROR_ENVELOPE = "ErrorEnvelope"
OAUTH_ERROR = "OAuthErrorBody"
X_CACHE: Json = {"X-Cache": {"description": "HIT or MISS: whether the cache answered.",
                             "schema": {"type": "string", "enum": ["HIT", "MISS"]}}}
LOCATION: Json = {"Location": {"description": "The new resource's URL.",
                               "schema": {"type": "string"}}}
PATH_ID = {"type": "integer", "minimum": 1}


@dataclass(frozen=True)
class Answer:
    """One documented response of an operation."""

    status: int
    description: str
    # The body's model, by name: the operation's `answer`, ERROR_ENVELOPE or
    # OAUTH_ERROR; None: no body.
    model: str | None
    headers: Json = field(default_factory=dict)


def answers(operation: Operation) -> list[Answer]:
    """The success answer first, then every error, with `common.openapi_text`'s words."""
    headers = {**(X_CACHE if operation.cached else {}),
               **(LOCATION if operation.status == 201 and operation.tag == "books" else {})}
    found = [Answer(operation.status, operation.ok, operation.answer, headers)]
    oauth = oauth_error_descriptions(*operation.oauth_errors)
    envelope = error_descriptions(*operation.errors, resource=operation.resource)
    for status in operation.errors:
        if status in operation.answer_errors:
            found.append(Answer(status, envelope[status], operation.answer))
        elif status in oauth:
            found.append(Answer(status, oauth[status], OAUTH_ERROR))
        else:
            found.append(Answer(status, envelope[status], ERROR_ENVELOPE))
    return found


def security(operation: Operation) -> list[Json] | None:
    """The operation's `security`: None when it reads no token."""
    if operation.auth == "none":
        return None
    required: list[Json] = [{SECURITY_SCHEME: []}]
    return [*required, {}] if operation.auth == "optional" else required


def query_parameters(operation: Operation) -> list[Json]:
    """The query parameters the operation reads (GET /books, GET /users, GET /bf-demo/status)."""
    if operation.method != "GET" or operation.path not in LIST_PARAMETERS:
        return []
    return LIST_PARAMETERS[operation.path]()


# --- what no generator can say ------------------------------------------------------------


def contract_path(path: str, prefix: str = "") -> str:
    """`/api/drf/books/{book_id}` -> `/books/{id}`: the declaration's spelling."""
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]
    return _PATH_PARAMETER.sub("{id}", path)


def _resolve(document: Json, schema: Json) -> Json:
    """The component a `$ref` names (one level, as all three documents use them)."""
    ref = schema.get("$ref")
    if ref and ref.startswith("#/components/schemas/"):
        component: Json = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return component
    return schema


def _add_rules(document: Json, operation: Json, fields: dict[str, Json]) -> None:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        schema = _resolve(document, media.get("schema", {}))
        properties = schema.get("properties", {})
        for name, rules in fields.items():
            if name in properties:
                # A new dict (generated schemas may share one object between
                # fields); the generator's own keywords win.
                properties[name] = {**copy.deepcopy(rules), **properties[name]}


def complete_document(document: Json, *, prefix: str = "") -> Json:
    """Add the value rules no generator can state (see the module docstring); in place.

    `prefix` is the mount point when the paths include it (DRF's
    `/api/drf/books`); FastAPI's and Flask's paths are relative to `servers`.
    """
    for path, operations in document.get("paths", {}).items():
        where = contract_path(path, prefix)
        for method, operation in operations.items():
            if method not in METHODS or find_operation(method, where) is None:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    parameter["schema"] = {**PATH_ID, **(parameter.get("schema") or {})}
            if (where, method) in BODY_FIELDS:
                _add_rules(document, operation, BODY_FIELDS[(where, method)]())
    return document
