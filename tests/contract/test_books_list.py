"""GET {p}/books: filters, sorting, pagination, against a known shelf of ten books."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.contract.conftest import Account, Api, assert_error, detail_fields

# (title, author, year), inserted in this order: ids ascend down the list.
SHELF = [
    ("Dune", "Frank Herbert", 1965),
    ("Children of Dune", "Frank Herbert", 1976),
    ("Neuromancer", "William Gibson", 1984),
    ("The Hobbit", "J. R. R. Tolkien", 1937),
    ("The Fellowship of the Ring", "J. R. R. Tolkien", 1954),
    ("Foundation", "Isaac Asimov", 1951),
    ("I, Robot", "Isaac Asimov", 1950),
    ("Dune Messiah", "Frank Herbert", 1969),
    ("Solaris", "Stanisław Lem", 1961),
    ("Stranger in a Strange Land", "Robert A. Heinlein", 1961),
]


@pytest.fixture
def shelf(alice: Account, make_book: Callable[..., int]) -> dict[str, int]:
    """Title -> id for the ten books of SHELF."""
    return {title: make_book(alice, title, author, year) for title, author, year in SHELF}


def titles(api: Api, query: str = "") -> list[str]:
    response = api.get(f"/books{query}")
    assert response.status_code == 200, response.text
    return [book["title"] for book in response.json()["data"]]


def ids_of(shelf: dict[str, int], names: list[str]) -> list[int]:
    return [shelf[name] for name in names]


# --- filters -------------------------------------------------------------------------------------


def test_default_order_is_id_ascending(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api) == [title for title, _, _ in SHELF]


def test_search_matches_title_case_insensitively(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?search=DUNE") == ["Dune", "Children of Dune", "Dune Messiah"]


def test_search_matches_author(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?search=asimov") == ["Foundation", "I, Robot"]


def test_search_matches_title_or_author(api: Api, shelf: dict[str, int]) -> None:
    # "rob": in the title "I, Robot", in the author "Robert A. Heinlein".
    assert titles(api, "?search=rob") == ["I, Robot", "Stranger in a Strange Land"]


def test_title_contains_ignores_authors(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?title_contains=herbert") == []
    assert titles(api, "?title_contains=RING") == ["The Fellowship of the Ring"]


def test_author_is_exact_and_case_insensitive(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?author=frank%20HERBERT") == ["Dune", "Children of Dune", "Dune Messiah"]


def test_author_does_not_match_partially(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?author=Frank") == []


def test_year_range_is_inclusive(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?year_from=1951&year_to=1965") == [
        "Dune",
        "The Fellowship of the Ring",
        "Foundation",
        "Solaris",
        "Stranger in a Strange Land",
    ]


def test_year_from_alone(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?year_from=1976") == ["Children of Dune", "Neuromancer"]


def test_filters_combine(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?search=dune&year_to=1969") == ["Dune", "Dune Messiah"]


def test_non_ascii_search(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?search=stanis%C5%82aw") == ["Solaris"]


# --- sorting -------------------------------------------------------------------------------------


def test_sort_by_year_ascending_breaks_ties_by_id(api: Api, shelf: dict[str, int]) -> None:
    result = titles(api, "?sort=year")
    assert result[:5] == [
        "The Hobbit",
        "I, Robot",
        "Foundation",
        "The Fellowship of the Ring",
        "Solaris",
    ]
    assert result[5] == "Stranger in a Strange Land"


def test_sort_by_year_descending_still_breaks_ties_by_ascending_id(
    api: Api, shelf: dict[str, int]
) -> None:
    result = titles(api, "?sort=year:desc")
    assert result[:4] == ["Neuromancer", "Children of Dune", "Dune Messiah", "Dune"]
    assert result[4:6] == ["Solaris", "Stranger in a Strange Land"]


def test_sort_by_title_descending(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?sort=title:desc") == sorted((t for t, _, _ in SHELF), reverse=True)


def test_multi_sort_author_then_year_desc(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?sort=author:asc,year:desc") == [
        "Children of Dune",
        "Dune Messiah",
        "Dune",  # Frank Herbert
        "Foundation",
        "I, Robot",  # Isaac Asimov
        "The Fellowship of the Ring",
        "The Hobbit",  # J. R. R. Tolkien
        "Stranger in a Strange Land",  # Robert A. Heinlein
        "Solaris",  # Stanisław Lem
        "Neuromancer",  # William Gibson
    ]


def test_sort_by_author_breaks_ties_by_id(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?sort=author")[:3] == ["Dune", "Children of Dune", "Dune Messiah"]


def test_sort_by_id_descending(api: Api, shelf: dict[str, int]) -> None:
    assert titles(api, "?sort=id:desc") == [title for title, _, _ in reversed(SHELF)]


def test_sort_by_created_at_is_allowed(api: Api, shelf: dict[str, int]) -> None:
    assert len(titles(api, "?sort=created_at:desc")) == len(SHELF)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sort=password", "sort"),
        ("sort=created_by", "sort"),
        ("sort=title:sideways", "sort"),
        ("sort=title;DROP TABLE books", "sort"),
        ("year_from=abc", "year_from"),
        ("year_to=19.5", "year_to"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=ten", "page_size"),
    ],
)
def test_bad_query_parameter_is_422_naming_it(api: Api, query: str, parameter: str) -> None:
    response = api.get(f"/books?{query}")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [parameter]


# --- pagination ----------------------------------------------------------------------------------


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_meta_describes_the_page(api: Api, shelf: dict[str, int]) -> None:
    body = api.get("/books?page=2&page_size=3").json()
    assert body["meta"] == {"page": 2, "page_size": 3, "total": 10, "pages": 4}
    assert [b["id"] for b in body["data"]] == list(shelf.values())[3:6]


def test_default_page_size_is_20(api: Api, shelf: dict[str, int]) -> None:
    assert api.get("/books").json()["meta"] == {"page": 1, "page_size": 20, "total": 10, "pages": 1}


def test_page_size_100_is_accepted(api: Api, shelf: dict[str, int]) -> None:
    assert api.get("/books?page_size=100").json()["meta"]["page_size"] == 100


def test_links_are_absolute_and_keep_the_filters(api: Api, shelf: dict[str, int]) -> None:
    links = api.get("/books?search=une&sort=year:desc&page=2&page_size=1").json()["links"]
    for name in ("self", "next", "prev"):
        url = links[name]
        assert url.startswith(f"http://testserver{api.prefix}/books"), url
        query = query_of(url)
        assert query["search"] == ["une"]
        assert query["sort"] == ["year:desc"]
        assert query["page_size"] == ["1"]
    assert query_of(links["self"])["page"] == ["2"]
    assert query_of(links["next"])["page"] == ["3"]
    assert query_of(links["prev"]).get("page", ["1"]) == ["1"]


def test_following_next_walks_every_book_once(api: Api, shelf: dict[str, int]) -> None:
    url: str | None = f"{api.prefix}/books?page_size=3&sort=title"
    seen: list[int] = []
    while url:
        body = api.client.get(url).json()
        seen.extend(book["id"] for book in body["data"])
        url = body["links"]["next"]
    assert sorted(seen) == sorted(shelf.values())
    assert len(seen) == len(shelf)


def test_first_page_has_no_prev(api: Api, shelf: dict[str, int]) -> None:
    assert api.get("/books?page_size=3").json()["links"]["prev"] is None


def test_last_page_has_no_next(api: Api, shelf: dict[str, int]) -> None:
    body = api.get("/books?page=4&page_size=3").json()
    assert body["links"]["next"] is None
    assert len(body["data"]) == 1


def test_page_past_the_end_is_200_and_empty(api: Api, shelf: dict[str, int]) -> None:
    response = api.get("/books?page=9&page_size=3")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == []
    assert body["meta"]["total"] == 10
    assert body["meta"]["page"] == 9


def test_empty_list_is_one_empty_page(api: Api) -> None:
    body = api.get("/books").json()
    assert body["data"] == []
    assert body["meta"]["total"] == 0
    assert body["links"]["next"] is None
    assert body["links"]["prev"] is None
