"""Query parameters of GET /books, parsed and applied by one django-filter FilterSet.

    GET /books?search=tolkien&year_from=1950&sort=year:desc,title

Every framework hands the raw query string to `BookFilterSet`, so the same
bad parameter gets the same 422 message everywhere. Sorting goes through an
allowlist: a client's string never reaches ORDER BY unchecked. Unknown
parameters are ignored (they may be meant for a proxy, or be cache busters).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from books.models import Book
from books.rules import YEAR_MIN, year_max
from common.constraints import SEARCH_MAX, SORT_DIRECTIONS, SORT_FIELDS
from common.errors import FieldError

DEFAULT_SORT: tuple[tuple[str, str], ...] = (("id", "asc"),)

MSG_SORT_FIELD = '"{field}" is not a sortable field; use one of: {allowed}.'
MSG_SORT_DIRECTION = '"{direction}" is not a sort direction; use asc or desc.'
MSG_SORT_REPEATED = '"{field}" appears more than once.'

SortSpec = tuple[tuple[str, str], ...]


class SortField(forms.CharField):
    """"title", "year:desc,title:asc" -> (("year", "desc"), ("title", "asc")).

    Raises a ValidationError naming the first bad item, so the client learns
    exactly what to fix.
    """

    def to_python(self, value: Any) -> SortSpec | None:
        text = super().to_python(value)
        if not text:
            return None
        spec: list[tuple[str, str]] = []
        for item in text.split(","):
            field, _, direction = item.strip().partition(":")
            direction = direction or "asc"
            if field not in SORT_FIELDS:
                raise forms.ValidationError(
                    MSG_SORT_FIELD.format(field=field, allowed=", ".join(SORT_FIELDS))
                )
            if direction not in SORT_DIRECTIONS:
                raise forms.ValidationError(MSG_SORT_DIRECTION.format(direction=direction))
            if any(field == seen for seen, _ in spec):
                raise forms.ValidationError(MSG_SORT_REPEATED.format(field=field))
            spec.append((field, direction))
        return tuple(spec)


class SortFilter(django_filters.Filter):
    # Only parses; the ordering itself is applied in BookFilterSet.filter_queryset,
    # because the default order must apply when `sort` is absent too.
    field_class = SortField

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        return qs


class YearFilter(django_filters.NumberFilter):
    """A whole year within the range a book may have.

    NumberFilter parses decimals ("1999.5"); a year is an integer, and bounding
    it also keeps absurd values (10**30) away from the database's int type.
    """

    @property
    def field(self) -> forms.Field:
        # Built per FilterSet, not cached at class level like Filter.field:
        # the upper bound (next year) moves every New Year.
        return forms.IntegerField(
            required=False, min_value=YEAR_MIN, max_value=year_max(), label=self.label
        )


def order_by_fields(spec: SortSpec) -> list[str]:
    """ORM `order_by` arguments, with `id` appended as the tie-break.

    Without a unique last key, rows with equal titles could swap places
    between two page requests and a client would see one twice, another never.
    """
    fields = [f"-{field}" if direction == "desc" else field for field, direction in spec]
    if not any(field == "id" for field, _ in spec):
        fields.append("id")
    return fields


class BookFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=SEARCH_MAX, label="Title or author contains"
    )
    title_contains = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", max_length=SEARCH_MAX
    )
    author = django_filters.CharFilter(
        field_name="author", lookup_expr="iexact", max_length=SEARCH_MAX
    )
    year_from = YearFilter(field_name="year", lookup_expr="gte")
    year_to = YearFilter(field_name="year", lookup_expr="lte")
    sort = SortFilter(label="Sort: field or field:asc|desc, comma separated")

    class Meta:
        model = Book
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # On PostgreSQL, icontains is UPPER(col) LIKE UPPER(%s): the trigram
        # GIN indexes of migration 0002 serve both sides of the OR.
        return queryset.filter(Q(title__icontains=value) | Q(author__icontains=value))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        spec = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        return queryset.order_by(*order_by_fields(spec))

    # --- helpers for the selectors --------------------------------------------

    def field_errors(self) -> list[FieldError]:
        """One FieldError per bad parameter (first message), in declaration order."""
        errors = self.form.errors
        return [FieldError(name, errors[name][0]) for name in self.form.fields if name in errors]
