"""GET {p}/books refuses what no index can answer quickly, and pages deep only by cursor.

A contains-search needs 3 letters or digits in a row (what a trigram index
can look up); numbered pages reach the first 1,000 rows (page * page_size),
and the last of them links on with a cursor (docs/API.md, "Books").
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.contract.conftest import Account, Api, assert_error, detail_fields

ROWS_MAX = 1_000


@pytest.fixture
def few_books(alice: Account, make_book: Callable[..., int]) -> list[int]:
    return [
        make_book(alice, "I, Robot", "Isaac Asimov", 1950),
        make_book(alice, "Solaris", "Stanisław Lem", 1961),
        make_book(alice, "Stranger in a Strange Land", "Robert A. Heinlein", 1961),
    ]


def _titles(api: Api, params: dict[str, str]) -> list[str]:
    response = api.get("/books", params=params)
    assert response.status_code == 200, response.text
    return [book["title"] for book in response.json()["data"]]


# --- searches shorter than the index serves -------------------------------------------------


@pytest.mark.parametrize("name", ["search", "title_contains"])
@pytest.mark.parametrize("text", ["a", "ab", "a-b", "x y", "1 2 3", "ab%", "r_b"])
def test_a_search_without_3_letters_or_digits_in_a_row_is_422(
    api: Api, few_books: list[int], name: str, text: str
) -> None:
    response = api.get("/books", params={name: text})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [name]


def test_three_letters_in_a_row_search_title_and_author(api: Api, few_books: list[int]) -> None:
    assert _titles(api, {"search": "rob"}) == ["I, Robot", "Stranger in a Strange Land"]
    assert _titles(api, {"title_contains": "rob"}) == ["I, Robot"]


def test_letters_outside_ascii_count(api: Api, few_books: list[int]) -> None:
    assert _titles(api, {"search": "sław"}) == ["Solaris"]
    # One run of 3 is enough to be looked up (here it matches nothing).
    assert _titles(api, {"search": "x ław"}) == []


def test_an_empty_search_is_no_filter(api: Api, few_books: list[int]) -> None:
    assert len(_titles(api, {"search": "", "title_contains": ""})) == 3


def test_a_refused_search_is_not_cached(api: Api, few_books: list[int]) -> None:
    for _ in range(2):
        response = api.get("/books", params={"search": "ab"})
        assert response.status_code == 422
        assert response.headers.get("X-Cache") != "HIT"


# --- numbered pages stop at 1,000 rows --------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "page_size"), [(ROWS_MAX // 20 + 1, 20), (11, 100), (ROWS_MAX + 1, 1), (10**6, 20)]
)
def test_a_page_past_the_rows_numbers_reach_is_422_on_page(
    api: Api, few_books: list[int], page: int, page_size: int
) -> None:
    response = api.get("/books", params={"page": str(page), "page_size": str(page_size)})
    error = assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["page"]
    assert "cursor" in error["details"][0]["message"]


@pytest.mark.parametrize(("page", "page_size"), [(ROWS_MAX // 20, 20), (10, 100), (ROWS_MAX, 1)])
def test_the_deepest_numbered_page_is_answered(
    api: Api, few_books: list[int], page: int, page_size: int
) -> None:
    # Past the end of three books: the contract's empty page, not a 422.
    response = api.get("/books", params={"page": str(page), "page_size": str(page_size)})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


@pytest.fixture
def shelf_past_the_bound(alice: Account) -> list[int]:
    """ROWS_MAX + 5 books, ids ascending; years cycle so a sort has ties to break."""
    from books.models import Book

    Book.objects.bulk_create(
        Book(title=f"Volume {n:05d}", author="Serial Author", year=1900 + n % 7,
             created_by_id=alice.id)
        for n in range(ROWS_MAX + 5)
    )
    return list(Book.objects.order_by("id").values_list("id", flat=True))


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_the_last_numbered_page_links_on_with_a_cursor(
    api: Api, shelf_past_the_bound: list[int]
) -> None:
    last = ROWS_MAX // 100
    body = api.get("/books", params={"sort": "year:desc", "page_size": "100",
                                     "page": str(last)}).json()
    expected = list(
        __import__("books.models", fromlist=["Book"]).Book.objects
        .order_by("-year", "id").values_list("id", flat=True)
    )
    assert [b["id"] for b in body["data"]] == expected[ROWS_MAX - 100 : ROWS_MAX]
    next_url = body["links"]["next"]
    query = _query(next_url)
    assert "page" not in query
    assert query["sort"] == ["year:desc"]
    assert query["page_size"] == ["100"]
    # Following it reads on in the same order, no row skipped or repeated.
    following = api.client.get(next_url)
    assert following.status_code == 200, following.text
    assert [b["id"] for b in following.json()["data"]] == expected[ROWS_MAX:]
    assert following.json()["links"]["next"] is None


def test_the_page_before_the_last_links_by_number(
    api: Api, shelf_past_the_bound: list[int]
) -> None:
    body = api.get("/books", params={"page_size": "100", "page": str(ROWS_MAX // 100 - 1)}).json()
    assert _query(body["links"]["next"])["page"] == [str(ROWS_MAX // 100)]
