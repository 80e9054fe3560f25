"""Strict JSON field types for DRF serializers, shared by every DRF view.

DRF's CharField turns 123 into "123", IntegerField turns "123" into 123 and
BooleanField takes "true" and 1; Pydantic, in FastAPI, does not all of that.
JSON already has types, so the API insists on them and every framework
answers `"year": "1999"` with the same 422 and the same message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.errors import MSG_INVALID_BOOL, MSG_INVALID_INT, MSG_INVALID_STRING
from common.json_body import json_integer

# djangorestframework-stubs make Field generic (value, data, representation,
# instance); DRF's class is not subscriptable at run time.
if TYPE_CHECKING:
    _StrField = serializers.Field[str, Any, str, Any]
    _IntField = serializers.Field[int, Any, int, Any]
    _BoolField = serializers.Field[bool, Any, bool, Any]
    # The base of the project's documentation-only and input serializers.
    PlainSerializer = serializers.Serializer[Any]
else:
    _StrField = _IntField = _BoolField = serializers.Field
    PlainSerializer = serializers.Serializer


class _Documented:
    """A field that may state its OpenAPI keywords: `StrictCharField(openapi={"minLength": 1})`.

    The rules themselves are the domain's (a serializer's `validate_<field>`
    hooks call them); `openapi` only tells drf-spectacular what to write for
    this one field (its `extend_schema_field`, on the instance). A keyword
    argument, so it survives DRF's copy of declared fields per serializer.
    """

    openapi_type: ClassVar[str] = "string"

    def __init__(self, *args: Any, openapi: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if openapi is not None:
            # On this instance only (the class keeps its own annotation).
            annotate: Any = extend_schema_field({"type": self.openapi_type, **openapi})
            annotate(self)


@extend_schema_field(OpenApiTypes.STR)
class StrictCharField(_Documented, _StrField):
    """A JSON string, passed on untouched (trimming and lengths are domain rules)."""

    default_error_messages = {"invalid": MSG_INVALID_STRING}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return data

    def to_representation(self, value: str) -> str:
        return value


@extend_schema_field(OpenApiTypes.INT)
class StrictIntegerField(_Documented, _IntField):
    """A JSON integer (`1999` or `1999.0`; not "1999", not 1999.5, not a boolean)."""

    openapi_type = "integer"

    default_error_messages = {"invalid": MSG_INVALID_INT}

    def to_internal_value(self, data: Any) -> int:
        value = json_integer(data)
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value: int) -> int:
        return value


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(_BoolField):
    """A JSON boolean: not "true", not 1."""

    default_error_messages = {"invalid": MSG_INVALID_BOOL}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> bool:
        return bool(value)


# Patterns the documents state (JSON Schema's dialect): text without NUL,
# and trimmed text that is not blank.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
