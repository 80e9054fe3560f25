"""OpenAPI components every DRF view shares: the error envelope and page parts."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="ErrorDetail")
class _ErrorDetailSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The body field or query parameter at fault.")
    message = serializers.CharField()


@extend_schema_serializer(component_name="ErrorBody")
class _ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="validation_error, not_found, conflict, ...")
    message = serializers.CharField(help_text="Human readable.")
    details = _ErrorDetailSerializer(
        many=True, required=False, help_text="Present for validation_error only."
    )


@extend_schema_serializer(component_name="ErrorEnvelope", many=False)
class ErrorEnvelopeSerializer(serializers.Serializer):
    """Every error of every endpoint (except the OAuth2 token endpoint)."""

    error = _ErrorSerializer()


@extend_schema_serializer(component_name="PageMeta")
class PageMetaSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    total = serializers.IntegerField()
    pages = serializers.IntegerField()


@extend_schema_serializer(component_name="PageLinks")
class PageLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    next = serializers.URLField(allow_null=True)
    prev = serializers.URLField(allow_null=True)


ERROR_DESCRIPTIONS = {
    400: "Body is not a JSON object (`bad_request`).",
    401: "No or bad bearer token (`not_authenticated` / `invalid_token`).",
    403: "Authenticated but not allowed (`permission_denied`).",
    404: "Not found (`not_found`).",
    409: "Conflicts with a stored resource (`conflict`).",
    422: "A field or query parameter fails validation (`validation_error`).",
    429: "Rate limit exceeded (`rate_limited`), see `Retry-After`.",
}


def error_responses(
    *codes: int, specific: dict[int, str] | None = None
) -> dict[int, OpenApiResponse]:
    """`{status: OpenApiResponse(ErrorEnvelope)}` for the listed status codes.

    `specific` replaces the generic description of a status for one resource
    ("No book with that id" rather than "Not found").
    """
    descriptions = {**ERROR_DESCRIPTIONS, **(specific or {})}
    return {
        code: OpenApiResponse(ErrorEnvelopeSerializer, description=descriptions[code])
        for code in codes
    }
