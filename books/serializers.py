"""DRF serializers of the books resource: what /api/drf/books reads and writes.

    BookSerializer(book).data                   -> the one representation of a book
    BookInputSerializer(data=request.data)      -> the body of POST, PUT and PATCH

Both are `ModelSerializer`s of `books.models.Book`. The input's fields take
JSON's own types only (a year is a JSON integer, not "1999":
drf_support/fields.py); each value goes through the domain's rule for it
(`books.rules`: lengths, the year range, the ISBN check digit, no NUL), from
DRF's `validate_<field>` hooks. The services check the same rules again
before they write (`books.services`), so every framework gets them.

The component names are the OpenAPI document's (`BookInput`, `Book`, ...),
the same at every prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from books import rules
from books.models import Book
from books.rules import year_max
from common.constraints import AUTHOR_MAX, DESCRIPTION_MAX, TITLE_MAX, YEAR_MIN
from common.errors import FieldInvalid
from drf_support.fields import (
    NO_NUL,
    NOT_BLANK,
    StrictCharField,
    StrictIntegerField,
)
from drf_support.schema import PageLinksSerializer, PageMetaSerializer

T = TypeVar("T")

# ISBN-10 or ISBN-13 as people type them (digits, optional hyphens or spaces),
# or blank: what the document states; the check digit is in words.
ISBN_PATTERN = r"^(\s*|[- ]*([0-9][- ]*){9}[0-9Xx][- ]*|[- ]*([0-9][- ]*){12}[0-9][- ]*)$"


def _rule(clean: Callable[[Any], T], value: Any) -> T:
    """A domain rule's verdict as DRF's: its FieldInvalid becomes a ValidationError."""
    try:
        return clean(value)
    except FieldInvalid as exc:
        raise serializers.ValidationError(exc.message) from None


# `validate_<field>` hooks: each field's value through the domain's rule. (A
# comment, not a docstring: a docstring would become the schema's description.)
class _BookRules:
    def validate_title(self, value: str) -> str:
        return _rule(rules.clean_title, value)

    def validate_author(self, value: str) -> str:
        return _rule(rules.clean_author, value)

    def validate_year(self, value: int) -> int:
        return _rule(rules.clean_year, value)

    def validate_isbn(self, value: str | None) -> str | None:
        return _rule(rules.clean_isbn, value)

    def validate_description(self, value: str | None) -> str:
        return _rule(rules.clean_description, value)


# The body of POST, PUT and PATCH /books. (A comment, not a docstring: a
# docstring would become the schema's description and change the document.)
@extend_schema_serializer(component_name="BookInput")
class BookInputSerializer(_BookRules, serializers.ModelSerializer):
    # Each field's schema states the rule `validate_<field>` applies.
    title = StrictCharField(openapi=dict(minLength=1, maxLength=TITLE_MAX, pattern=NOT_BLANK))
    author = StrictCharField(openapi=dict(minLength=1, maxLength=AUTHOR_MAX, pattern=NOT_BLANK))
    year = StrictIntegerField(openapi=dict(minimum=YEAR_MIN, maximum=year_max()))
    isbn = StrictCharField(
        required=False,
        allow_null=True,
        openapi=dict(
            pattern=ISBN_PATTERN,
            description="ISBN-10 or ISBN-13 (hyphens and spaces ignored) with a valid check digit; "
            "stored as ISBN-13. Blank or null: no ISBN.",
        ),
    )
    description = StrictCharField(
        required=False, allow_null=True, openapi=dict(maxLength=DESCRIPTION_MAX, pattern=NO_NUL)
    )

    class Meta:
        model = Book
        fields = ["title", "author", "year", "isbn", "description"]
        # Uniqueness of the ISBN is the service's (a 409, not a 422).
        validators: list[Any] = []


# The browsable API's HTML form for the same body (never in the OpenAPI
# document). A form sends text: the year arrives as "1871", an empty ISBN
# or description as "" (meaning "none"). Values go to the same rules.
class BookFormSerializer(_BookRules, serializers.ModelSerializer):
    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    author = serializers.CharField(allow_blank=True, trim_whitespace=False)
    year = serializers.IntegerField(initial=lambda: timezone.now().year)
    isbn = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="ISBN-10 or ISBN-13, optional."
    )
    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, style={"base_template": "textarea.html"}
    )

    class Meta:
        model = Book
        fields = ["title", "author", "year", "isbn", "description"]
        validators: list[Any] = []


@extend_schema_serializer(component_name="Book")
class BookSerializer(serializers.ModelSerializer):
    # The creator's id, named as the contract names it.
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)
    description = serializers.CharField(read_only=True)

    class Meta:
        model = Book
        fields = [
            "id",
            "title",
            "author",
            "year",
            "isbn",
            "description",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- response shapes, for the OpenAPI document only ----------------------------------


@extend_schema_serializer(component_name="BookEnvelope", many=False)
class BookEnvelopeSerializer(serializers.Serializer):
    # DRF's metaclass moves declared fields out of the class, so this field does
    # not replace `Serializer.data` at run time; the stubs cannot know that.
    data = BookSerializer()  # type: ignore[assignment]


# many=False: drf-spectacular would otherwise wrap a `list` action's response
# in an array; ours is an object holding the array.
@extend_schema_serializer(component_name="BookPage", many=False)
class BookPageSerializer(serializers.Serializer):
    data = BookSerializer(many=True)  # type: ignore[assignment]  # as above
    meta = PageMetaSerializer()
    links = PageLinksSerializer()
