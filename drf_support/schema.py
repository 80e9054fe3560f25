"""OpenAPI components every DRF view shares: the error envelope and page parts."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from drf_support.fields import PlainSerializer


@extend_schema_serializer(component_name="ErrorDetail")
class _ErrorDetailSerializer(PlainSerializer):
    field = serializers.CharField(help_text="The body field or query parameter at fault.")
    message = serializers.CharField()


@extend_schema_serializer(component_name="ErrorBody")
class _ErrorSerializer(PlainSerializer):
    code = serializers.CharField(help_text="validation_error, not_found, conflict, ...")
    message = serializers.CharField(help_text="Human readable.")
    details = _ErrorDetailSerializer(
        many=True, required=False, help_text="Present for validation_error only."
    )


@extend_schema_serializer(component_name="ErrorEnvelope", many=False)
class ErrorEnvelopeSerializer(PlainSerializer):
    """Every error of every endpoint (except the OAuth2 token endpoint)."""

    error = _ErrorSerializer()


@extend_schema_serializer(component_name="PageMeta")
class PageMetaSerializer(PlainSerializer):
    # Documentation only: page-number answers hold all four counts,
    # `?cursor=` answers only page_size.
    page = serializers.IntegerField(required=False)
    page_size = serializers.IntegerField()
    total = serializers.IntegerField(required=False)
    pages = serializers.IntegerField(required=False)
    total_is_estimate = serializers.BooleanField(
        required=False, help_text="Present (true) when `total` is the database's estimate."
    )


@extend_schema_serializer(component_name="PageLinks")
class PageLinksSerializer(PlainSerializer):
    self = serializers.URLField()
    next = serializers.URLField(allow_null=True)
    prev = serializers.URLField(allow_null=True)


# --- responses, as each view's extend_schema states them -------------------------------

# The words of the error answers most operations share; an operation with its
# own wording for a status passes it to `errors(..., words={status: ...})`.
ERROR_WORDS: dict[int, str] = {
    400: "The body is not a JSON object, not JSON, nested deeper than 64 levels, or holds "
         "a lone surrogate (`bad_request`).",
    401: "No or bad bearer token (`not_authenticated` / `invalid_token`), with "
         "`WWW-Authenticate: Bearer`.",
    403: "Authenticated but not allowed (`permission_denied`).",
    413: "The body is larger than MAX_BODY_BYTES (`payload_too_large`); it was not read.",
    422: "A field or query parameter fails validation (`validation_error`).",
    429: "Rate limit exceeded (`rate_limited`), see `Retry-After`.",
    503: "The database or the cache is down (`service_unavailable`).",
}


def errors(*statuses: int, words: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """`responses=` entries for error statuses, each answering the error envelope.

        responses={200: OpenApiResponse(BookEnvelopeSerializer, "The book."),
                   **errors(401, 404, 429, 503, words={404: BOOK_NOT_FOUND})}
    """
    wording = {**ERROR_WORDS, **(words or {})}
    return {status: OpenApiResponse(ErrorEnvelopeSerializer, description=wording[status])
            for status in statuses}


# The X-Cache header of the cached reads' 200.
X_CACHE = OpenApiParameter(
    "X-Cache", {"type": "string", "enum": ["HIT", "MISS"]}, OpenApiParameter.HEADER,
    description="HIT or MISS: whether the cache answered.", response=[200],
)
