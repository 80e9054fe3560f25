"""Reading the request explicitly: JSON bodies, the token form, query strings.

Flask's `request.get_json()` would accept NaN, answer its own 400 page and
read the body whenever it is called; here the body rule shared with FastAPI
(`common.json_body`) and the token form rule (`accounts.oauth`) are applied
to werkzeug's request, and the field checks use DRF's wording (the
reference implementation), so /api/flask answers the same 400s and 422s as
/api/drf:

    payload = json_object()                       # 400 for a bad body
    values = validate(payload, BOOK_INPUT)        # 422 with one detail per field

Views call these *inside* the view function, that is after the
authentication, permission and rate-limit decorators have run: DRF parses
lazily in the view too, so a caller without a token hears 401, not 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.http import QueryDict
from flask import request

from accounts.oauth import read_token_form
from common.errors import (
    MSG_INVALID,
    MSG_INVALID_BOOL,
    MSG_INVALID_INT,
    MSG_INVALID_STRING,
    MSG_NULL,
    MSG_REQUIRED,
    FieldError,
    ValidationFailed,
)
from common.json_body import json_integer, json_object_body


def json_object() -> dict[str, Any]:
    """The request body as a JSON object (`common.json_body`'s rule).

    :raise BadRequest: wrong content type, not JSON, or not an object (400).
    """
    return json_object_body(request.get_data(cache=True), request.content_type)


def token_form() -> dict[str, str | None]:
    """The url-encoded form of the OAuth2 token endpoint (`accounts.oauth`'s rule).

    Read from the raw body rather than werkzeug's `request.form`, which keeps
    the first of repeated names where DRF's FormParser keeps the last.

    :raise OAuthError: invalid_request for a non-empty body of another type.
    """
    return read_token_form(request.get_data(cache=True), request.content_type)


def query_params() -> QueryDict:
    """The query string as Django's QueryDict: DRF's `request.query_params`.

    The shared filters and paging read it with `.get()`, which takes the last
    of repeated names; werkzeug's `request.args` would take the first.
    """
    return QueryDict(request.query_string)


# --- Field types: presence and JSON type only (values are the domain's job) ----------


@dataclass(frozen=True)
class Field:
    """One expected key of a JSON object; subclasses say which JSON type it holds."""

    required: bool = True
    allow_null: bool = False
    invalid: ClassVar[str] = MSG_INVALID

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError(".accepts() must be overridden")

    def convert(self, value: Any) -> Any:
        """The accepted value as the domain gets it (unchanged unless overridden)."""
        return value


class String(Field):
    invalid = MSG_INVALID_STRING

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)


class Integer(Field):
    invalid = MSG_INVALID_INT

    def accepts(self, value: Any) -> bool:
        # bool is an int subclass in Python, not in JSON; 1999.0 is 1999.
        return json_integer(value) is not None

    def convert(self, value: Any) -> Any:
        return json_integer(value)


class Boolean(Field):
    invalid = MSG_INVALID_BOOL

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


Schema = Mapping[str, Field]


def validate(data: Mapping[str, Any], schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    """The keys of `data` that `schema` declares, checked for presence, null and type.

    As a DRF serializer does: errors in declaration order, unknown keys
    ignored, absent optional keys left out (so a PATCH passes on only what
    the client sent), and with `partial=True` nothing is required.

    :raise ValidationFailed: one detail per offending field (422).
    """
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, field in schema.items():
        if name not in data:
            if field.required and not partial:
                errors.append(FieldError(name, MSG_REQUIRED))
            continue
        value = data[name]
        if value is None:
            if field.allow_null:
                values[name] = None
            else:
                errors.append(FieldError(name, MSG_NULL))
        elif field.accepts(value):
            values[name] = field.convert(value)
        else:
            errors.append(FieldError(name, field.invalid))
    if errors:
        raise ValidationFailed(errors)
    return values
