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


def error_responses(descriptions: dict[int, str], *codes: int) -> dict[int, OpenApiResponse]:
    """`{status: OpenApiResponse(ErrorEnvelope)}` for the listed status codes."""
    return {
        code: OpenApiResponse(ErrorEnvelopeSerializer, description=descriptions[code])
        for code in codes
    }
