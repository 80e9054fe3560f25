"""Query parameters of GET /books, parsed and applied by one django-filter FilterSet.

    GET /books?search=tolkien&year_from=1950&sort=year:desc,title

DRF's list view filters with `BookFilterSet` (django-filter's
DjangoFilterBackend); FastAPI and Flask parse the same parameters their own
way into `books.listing.BookFilters`. The rules are `books.listing`'s in both
cases: the sort allowlist (a client's string never reaches ORDER BY
unchecked) and the search rule (`search_books`, `title_contains_books`). Unknown
parameters are ignored (they may be meant for a proxy, or be cache busters).
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from books.listing import (
    DEFAULT_SORT,
    SortInvalid,
    SortSpec,
    order_by_fields,
    parse_sort,
    search_books,
    title_contains_books,
)
from books.models import Book
from books.rules import year_max
from common.constraints import SEARCH_MAX, SEARCH_RUN_MIN, YEAR_MIN

# Shown under the two contains-filters in the browsable API's filter form.
SEARCH_RUN_HELP = f"At least {SEARCH_RUN_MIN} letters or digits in a row."


class SortField(forms.CharField):
    """"title", "year:desc,title:asc" -> (("year", "desc"), ("title", "asc")).

    The allowlist is the domain's (`books.listing.parse_sort`); this field
    turns its refusal into a form error naming the first bad item.
    """

    # A form field's to_python may return any Python value (Django's contract):
    # this one parses CharField's cleaned text further. django-stubs pins CharField's to str.
    def to_python(self, value: Any) -> SortSpec | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_sort(text)
        except SortInvalid as exc:
            raise forms.ValidationError(str(exc)) from None


class SortFilter(django_filters.Filter):
    # Only parses; the ordering itself is applied in BookFilterSet.filter_queryset,
    # because the default order must apply when `sort` is absent too.
    field_class = SortField

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        return qs


# Django's IntegerField reads any Unicode digit ("１９９０") and a trailing ".0";
# a query parameter that the documents call an integer is ASCII digits.
_ASCII_INTEGER = re.compile(r"-?[0-9]+")


class AsciiIntegerField(forms.IntegerField):
    """Django's IntegerField, for ASCII digits only."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not _ASCII_INTEGER.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class YearFilter(django_filters.NumberFilter):
    """A whole year within the range a book may have.

    NumberFilter parses decimals ("1999.5"); a year is an integer, and bounding
    it also keeps absurd values (10**30) away from the database's int type.
    """

    @property
    def field(self) -> forms.Field:
        # Built per FilterSet, not cached at class level like Filter.field:
        # the upper bound (next year) moves every New Year.
        return AsciiIntegerField(
            required=False, min_value=YEAR_MIN, max_value=year_max(), label=self.label
        )


class BookFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=SEARCH_MAX, label="Title or author contains",
        help_text=SEARCH_RUN_HELP,
    )
    title_contains = django_filters.CharFilter(
        method="filter_title_contains", max_length=SEARCH_MAX, label="Title contains",
        help_text=SEARCH_RUN_HELP,
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
        return search_books(queryset, value)

    def filter_title_contains(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return title_contains_books(queryset, value)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        spec = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        return queryset.order_by(*order_by_fields(spec))
