"""books.filters.BookFilterSet, through the selector every framework calls (book_page).

Queries are inspected on the FilterSet itself, the queryset the selector pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from books import rules
from books.filters import BookFilterSet
from books.models import Book
from books.selectors import book_page
from common.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(make_book: Callable[..., Book]) -> dict[str, Book]:
    return {
        "hobbit": make_book(title="The Hobbit", author="Tolkien", year=1937),
        "lotr": make_book(title="The Lord of the Rings", author="Tolkien", year=1954),
        "dune": make_book(title="Dune", author="Herbert", year=1965),
        "emma": make_book(title="Emma", author="Austen", year=1815),
        "pride": make_book(title="Pride and Prejudice", author="Austen", year=1813),
    }


def titles(params: dict[str, str]) -> list[str]:
    page = book_page(params=params)
    return [book.title for book in page.items]


def sql(params: dict[str, str]) -> str:
    return str(BookFilterSet(data=params, queryset=Book.objects.all()).qs.query)


def test_default_order_is_id(library: dict[str, Book]) -> None:
    assert titles({}) == ["The Hobbit", "The Lord of the Rings", "Dune", "Emma",
                          "Pride and Prejudice"]


def test_search_matches_title_or_author_case_insensitively(library: dict[str, Book]) -> None:
    assert titles({"search": "tolkien"}) == ["The Hobbit", "The Lord of the Rings"]
    assert titles({"search": "EMM"}) == ["Emma"]
    assert titles({"search": "  dune  "}) == ["Dune"]  # trimmed


def test_title_contains(library: dict[str, Book]) -> None:
    assert titles({"title_contains": "the"}) == ["The Hobbit", "The Lord of the Rings"]


def test_author_is_case_insensitive_exact(library: dict[str, Book]) -> None:
    assert titles({"author": "austen"}) == ["Emma", "Pride and Prejudice"]
    assert titles({"author": "Aust"}) == []


def test_year_range_inclusive(library: dict[str, Book]) -> None:
    assert titles({"year_from": "1937", "year_to": "1954"}) == ["The Hobbit",
                                                                "The Lord of the Rings"]
    assert titles({"year_to": "1815"}) == ["Emma", "Pride and Prejudice"]


def test_sort_single_and_direction(library: dict[str, Book]) -> None:
    assert titles({"sort": "year"}) == ["Pride and Prejudice", "Emma", "The Hobbit",
                                        "The Lord of the Rings", "Dune"]
    assert titles({"sort": "title:desc"})[0] == "The Lord of the Rings"


def test_multi_sort(library: dict[str, Book]) -> None:
    # Same author: the second key orders them.
    assert titles({"sort": "author:desc,year:desc"}) == [
        "The Lord of the Rings", "The Hobbit", "Dune", "Emma", "Pride and Prejudice"
    ]
    assert titles({"sort": "author, year:asc"})[:2] == ["Pride and Prejudice", "Emma"]


def test_ties_broken_by_id(make_book: Callable[..., Book]) -> None:
    first = make_book(title="Same")
    second = make_book(title="Same")
    page = book_page(params={"sort": "title:desc"})
    assert [b.pk for b in page.items] == [first.pk, second.pk]
    assert sql({"sort": "title"}).rstrip().endswith('"id" ASC')


def test_id_not_appended_twice() -> None:
    assert sql({"sort": "id:desc"}).rstrip().endswith('ORDER BY "books_book"."id" DESC')


def test_unknown_parameters_ignored(library: dict[str, Book]) -> None:
    assert len(titles({"colour": "blue", "format": "xml"})) == 5


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sort": "price"},
         [("sort", '"price" is not a sortable field; use one of: id, title, author, year, '
                   'created_at.')]),
        ({"sort": "title:up"}, [("sort", '"up" is not a sort direction; use asc or desc.')]),
        ({"sort": "title,"}, [("sort", '"" is not a sortable field; use one of: id, title, '
                                      'author, year, created_at.')]),
        ({"sort": "title,title:desc"}, [("sort", '"title" appears more than once.')]),
        ({"sort": "title;DROP TABLE books_book"},
         [("sort", '"title;DROP TABLE books_book" is not a sortable field; use one of: id, '
                   'title, author, year, created_at.')]),
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
def test_bad_parameters_are_422_naming_the_parameter(params: dict, expected: list) -> None:
    with pytest.raises(ValidationFailed) as info:
        book_page(params=params)
    assert [(d.field, d.message) for d in info.value.details] == expected


def test_year_upper_bound_follows_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_today", lambda: date(2040, 1, 1))
    book_page(params={"year_to": "2041"})
    with pytest.raises(ValidationFailed) as info:
        book_page(params={"year_to": "2042"})
    assert info.value.details[0].message == "Ensure this value is less than or equal to 2041."
