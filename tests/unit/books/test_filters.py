"""The book list's filters and sort, by both routes the frameworks take.

DRF parses the query string with `books.filters.BookFilterSet` (django-filter);
FastAPI and Flask parse it their own way into `books.listing.BookFilters` and
`parse_sort`, then call `book_list`. Both end in the same domain rules, so the
behaviour tests run on both (`titles`); what only a parser does (trimming,
form messages) is tested on the FilterSet, the allowlist's messages on both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from books import rules
from books.filters import BookFilterSet
from books.listing import (
    DEFAULT_SORT,
    BookFilters,
    SortInvalid,
    book_list,
    parse_sort,
    search_books,
)
from books.models import Book
from common.errors import ValidationFailed
from common.pagination import PageParams, paginate

pytestmark = pytest.mark.django_db

Titles = Callable[[dict[str, str]], list[str]]


@pytest.fixture
def library(make_book: Callable[..., Book]) -> dict[str, Book]:
    return {
        "hobbit": make_book(title="The Hobbit", author="Tolkien", year=1937),
        "lotr": make_book(title="The Lord of the Rings", author="Tolkien", year=1954),
        "dune": make_book(title="Dune", author="Herbert", year=1965),
        "emma": make_book(title="Emma", author="Austen", year=1815),
        "pride": make_book(title="Pride and Prejudice", author="Austen", year=1813),
    }


def filterset(params: dict[str, str]) -> BookFilterSet:
    return BookFilterSet(data=params, queryset=Book.objects.all())


def filterset_titles(params: dict[str, str]) -> list[str]:
    filters = filterset(params)
    assert filters.is_valid(), filters.form.errors
    return [book.title for book in filters.qs]


def _year(params: dict[str, str], name: str) -> int | None:
    return int(params[name]) if name in params else None


def listing_titles(params: dict[str, str]) -> list[str]:
    # What FastAPI's BookQuery and Flask's book_list_args hand over, once parsed.
    filters = BookFilters(
        search=params.get("search"),
        title_contains=params.get("title_contains"),
        author=params.get("author"),
        year_from=_year(params, "year_from"),
        year_to=_year(params, "year_to"),
    )
    sort = parse_sort(params["sort"]) if "sort" in params else DEFAULT_SORT
    return [book.title for book in book_list(filters=filters, sort=sort)]


@pytest.fixture(params=["filterset", "listing"])
def titles(request: pytest.FixtureRequest) -> Titles:
    return filterset_titles if request.param == "filterset" else listing_titles


def sql(params: dict[str, str]) -> str:
    return str(filterset(params).qs.query)


def test_default_order_is_id(library: dict[str, Book], titles: Titles) -> None:
    assert titles({}) == ["The Hobbit", "The Lord of the Rings", "Dune", "Emma",
                          "Pride and Prejudice"]


def test_search_matches_title_or_author_case_insensitively(
    library: dict[str, Book], titles: Titles
) -> None:
    assert titles({"search": "tolkien"}) == ["The Hobbit", "The Lord of the Rings"]
    assert titles({"search": "EMM"}) == ["Emma"]


def test_the_filterset_trims_the_search(library: dict[str, Book]) -> None:
    assert filterset_titles({"search": "  dune  "}) == ["Dune"]


def test_title_contains(library: dict[str, Book], titles: Titles) -> None:
    assert titles({"title_contains": "the"}) == ["The Hobbit", "The Lord of the Rings"]


def test_author_is_case_insensitive_exact(library: dict[str, Book], titles: Titles) -> None:
    assert titles({"author": "austen"}) == ["Emma", "Pride and Prejudice"]
    assert titles({"author": "Aust"}) == []


def test_year_range_inclusive(library: dict[str, Book], titles: Titles) -> None:
    assert titles({"year_from": "1937", "year_to": "1954"}) == ["The Hobbit",
                                                                "The Lord of the Rings"]
    assert titles({"year_to": "1815"}) == ["Emma", "Pride and Prejudice"]


def test_sort_single_and_direction(library: dict[str, Book], titles: Titles) -> None:
    assert titles({"sort": "year"}) == ["Pride and Prejudice", "Emma", "The Hobbit",
                                        "The Lord of the Rings", "Dune"]
    assert titles({"sort": "title:desc"})[0] == "The Lord of the Rings"


def test_multi_sort(library: dict[str, Book], titles: Titles) -> None:
    # Same author: the second key orders them.
    assert titles({"sort": "author:desc,year:desc"}) == [
        "The Lord of the Rings", "The Hobbit", "Dune", "Emma", "Pride and Prejudice"
    ]
    assert titles({"sort": "author, year:asc"})[:2] == ["Pride and Prejudice", "Emma"]


def test_ties_broken_by_id(make_book: Callable[..., Book]) -> None:
    first = make_book(title="Same")
    second = make_book(title="Same")
    page = paginate(book_list(sort=parse_sort("title:desc")), PageParams())
    assert [b.pk for b in page.items] == [first.pk, second.pk]
    assert sql({"sort": "title"}).rstrip().endswith('"id" ASC')
    assert str(book_list(sort=parse_sort("title")).query).rstrip().endswith('"id" ASC')


def test_id_not_appended_twice() -> None:
    assert sql({"sort": "id:desc"}).rstrip().endswith('ORDER BY "books_book"."id" DESC')
    assert str(book_list(sort=parse_sort("id:desc")).query).rstrip().endswith(
        'ORDER BY "books_book"."id" DESC'
    )


def test_unknown_parameters_ignored(library: dict[str, Book]) -> None:
    assert len(filterset_titles({"colour": "blue", "format": "xml"})) == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("price", '"price" is not a sortable field; use one of: id, title, author, year, '
                  "created_at."),
        ("title:up", '"up" is not a sort direction; use asc or desc.'),
        ("title:", '"" is not a sort direction; use asc or desc.'),
        ("title,", '"" is not a sortable field; use one of: id, title, author, year, '
                   "created_at."),
        ("title,title:desc", '"title" appears more than once.'),
        ("title;DROP TABLE books_book",
         '"title;DROP TABLE books_book" is not a sortable field; use one of: id, title, '
         "author, year, created_at."),
    ],
)
def test_sort_outside_the_allowlist_is_refused_naming_the_item(text: str, message: str) -> None:
    with pytest.raises(SortInvalid) as info:
        parse_sort(text)
    assert str(info.value) == message
    # The FilterSet reports the same message on `sort` (DRF's 422).
    assert filterset_errors({"sort": text}) == [("sort", message)]


def filterset_errors(params: dict[str, str]) -> list[tuple[str, str]]:
    filters = filterset(params)
    assert not filters.is_valid()
    # The first message of each bad parameter, in declaration order, as DRF's
    # DjangoFilterBackend passes `filterset.errors` on to the 422.
    errors = filters.errors
    return [(name, str(errors[name][0])) for name in filters.form.fields if name in errors]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"year_from": "abc"}, [("year_from", "Enter a whole number.")]),
        ({"year_to": "1999.5"}, [("year_to", "Enter a whole number.")]),
        ({"year_from": "1000"},
         [("year_from", "Ensure this value is greater than or equal to 1450.")]),
        ({"search": "x" * 201},
         [("search", "Ensure this value has at most 200 characters (it has 201).")]),
        ({"author": "a\x00b"}, [("author", "Null characters are not allowed.")]),
        # One detail per bad parameter, in declaration order.
        ({"sort": "nope", "year_to": "x", "year_from": "y"},
         [("year_from", "Enter a whole number."), ("year_to", "Enter a whole number."),
          ("sort", '"nope" is not a sortable field; use one of: id, title, author, year, '
                   'created_at.')]),
    ],
)
def test_bad_parameters_name_the_parameter(params: dict, expected: list) -> None:
    assert filterset_errors(params) == expected


@pytest.mark.parametrize("text", ["ab", "a-b", "x y", "  ab  "])
def test_a_search_without_three_letters_or_digits_in_a_row_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        search_books(Book.objects.all(), text)
    assert [d.field for d in info.value.details] == ["search"]
    with pytest.raises(ValidationFailed) as info:
        book_list(filters=BookFilters(title_contains=text))
    assert [d.field for d in info.value.details] == ["title_contains"]
    with pytest.raises(ValidationFailed):
        list(filterset({"search": text}).qs)


def test_year_upper_bound_follows_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_today", lambda: date(2040, 1, 1))
    assert filterset({"year_to": "2041"}).is_valid()
    assert filterset_errors({"year_to": "2042"}) == [
        ("year_to", "Ensure this value is less than or equal to 2041.")
    ]
