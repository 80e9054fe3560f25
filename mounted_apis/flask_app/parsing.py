"""Reading the request explicitly: JSON bodies, the token form, query strings.

Flask's `request.get_json()` would accept NaN, answer its own 400 page and
read the body whenever it is called; here every rule is written out, with
DRF's wording (the reference implementation), so /api/flask answers the
same 400s and 422s as /api/drf:

    payload = json_object()                       # 400 for a bad body
    values = validate(payload, BOOK_INPUT)        # 422 with one detail per field

Views call these *inside* the view function, that is after the
authentication, permission and rate-limit decorators have run: DRF parses
lazily in the view too, so a caller without a token hears 401, not 400.

Body rules (DRF's JSONParser with STRICT_JSON, and its "no content" case):

- empty body                        -> `{}`: missing fields say "This field is required."
- content type not application/json -> 400 "Content type must be application/json."
- not UTF-8, not JSON, NaN/Infinity -> 400 "Request body is not valid JSON."
- valid JSON but not an object      -> 400 "Request body must be a JSON object."
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.http import QueryDict
from flask import request

from common.errors import (
    MSG_NOT_AN_OBJECT,
    MSG_UNSUPPORTED_MEDIA,
    BadRequest,
    FieldError,
    OAuthError,
    ValidationFailed,
)

# DRF's default messages for the field types the contract uses
# (rest_framework/fields.py and common/drf_fields.py).
MSG_REQUIRED = "This field is required."
MSG_NULL = "This field may not be null."

JSON_MIMETYPE = "application/json"
FORM_MIMETYPE = "application/x-www-form-urlencoded"
MSG_FORM_ENCODED = "The request must be form-encoded (application/x-www-form-urlencoded)."


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's json module accepts them by default.
    raise ValueError(f"{name} is not valid JSON")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object.

    :raise BadRequest: wrong content type, not JSON, or not an object (400).
    """
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if request.mimetype != JSON_MIMETYPE:
        raise BadRequest(MSG_UNSUPPORTED_MEDIA)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest() from None
    if not isinstance(data, dict):
        raise BadRequest(MSG_NOT_AN_OBJECT)
    return data


def token_form() -> dict[str, str | None]:
    """The url-encoded form of the OAuth2 token endpoint, one value per name.

    Parsed with Django's QueryDict, exactly what DRF's FormParser builds (the
    last of repeated names wins; werkzeug's `request.form` keeps the first).
    An empty body is an empty form.

    :raise OAuthError: invalid_request for a non-empty body of another type.
    """
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if request.mimetype != FORM_MIMETYPE:
        raise OAuthError("invalid_request", MSG_FORM_ENCODED)
    form = QueryDict(raw)
    return {name: form.get(name) for name in form}


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
    invalid: ClassVar[str] = "Invalid value."

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError(".accepts() must be overridden")


class String(Field):
    invalid = "Not a valid string."

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)


class Integer(Field):
    invalid = "A valid integer is required."

    def accepts(self, value: Any) -> bool:
        # bool is an int subclass in Python, not in JSON.
        return isinstance(value, int) and not isinstance(value, bool)


class Boolean(Field):
    invalid = "Must be a valid boolean."

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
            values[name] = value
        else:
            errors.append(FieldError(name, field.invalid))
    if errors:
        raise ValidationFailed(errors)
    return values
