"""DRF serializers of the books resource: what /api/drf/books reads and writes.

`BookInputSerializer` checks presence and JSON types only (a year must be a
JSON integer); every value rule (lengths, year range, ISBN check digit) is
the domain's, in books.rules, so all three frameworks share it.
`BookOutputSerializer` is the one representation of a book.

The component names are the OpenAPI document's (`BookInput`, `Book`, ...),
the same at every prefix.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from common.drf.fields import StrictCharField, StrictIntegerField
from common.drf.schema import PageLinksSerializer, PageMetaSerializer


# The body of POST, PUT and PATCH /books. (A comment, not a docstring: a
# docstring would become the schema's description and change the document.)
@extend_schema_serializer(component_name="BookInput")
class BookInputSerializer(serializers.Serializer):
    title = StrictCharField()
    author = StrictCharField()
    year = StrictIntegerField()
    isbn = StrictCharField(required=False, allow_null=True)
    description = StrictCharField(required=False, allow_null=True)


# The browsable API's HTML form for the same body (never in the OpenAPI
# document). A form sends text: the year arrives as "1871", an empty ISBN
# or description as "" (meaning "none"). Values still go to the domain's rules.
class BookFormSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    author = serializers.CharField(allow_blank=True, trim_whitespace=False)
    year = serializers.IntegerField(initial=lambda: timezone.now().year)
    isbn = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="ISBN-10 or ISBN-13, optional."
    )
    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, style={"base_template": "textarea.html"}
    )

    def validate_isbn(self, value: str | None) -> str | None:
        return value or None

    def validate_description(self, value: str | None) -> str | None:
        return value or None


@extend_schema_serializer(component_name="Book")
class BookOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.CharField()
    year = serializers.IntegerField()
    isbn = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- response shapes, for the OpenAPI document only ----------------------------------


@extend_schema_serializer(component_name="BookEnvelope", many=False)
class BookEnvelopeSerializer(serializers.Serializer):
    data = BookOutputSerializer()


# many=False: drf-spectacular would otherwise wrap a `list` action's response
# in an array; ours is an object holding the array.
@extend_schema_serializer(component_name="BookPage", many=False)
class BookPageSerializer(serializers.Serializer):
    data = BookOutputSerializer(many=True)
    meta = PageMetaSerializer()
    links = PageLinksSerializer()
