"""GET {p}/books?cursor=: keyset pages, at every prefix, against a shelf full of ties.

A cursor walk must visit every book exactly once in the order a page-number
listing gives, whatever the sort, forwards via links.next and backwards via
links.prev; bad cursors are a 422 on `cursor`, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.contract.conftest import Account, Api, assert_error, detail_fields

# Ties on purpose in every sortable column but id: equal titles, authors and
# years, so only the id tie-break keeps the walk exact.
SHELF = [
    ("Dune", "Frank Herbert", 1965),
    ("Dune", "Frank Herbert", 1984),
    ("Neuromancer", "William Gibson", 1984),
    ("Solaris", "Stanisław Lem", 1961),
    ("Dune", "Brian Herbert", 1999),
    ("Ümlaut Tales", "Frank Herbert", 1961),
    ("Foundation", "Isaac Asimov", 1951),
    ("I, Robot", "Isaac Asimov", 1950),
    ("Solaris", "Stanisław Lem", 1961),
    ("Children of Dune", "Frank Herbert", 1976),
    ("Zed", "Anon", 1984),
]

SORTS = [
    "id", "id:desc", "title", "title:desc", "author", "author:desc", "year", "year:desc",
    "created_at", "created_at:desc", "year:desc,title", "author,year:desc",
    "title:desc,author:asc,year:desc", "year,id:desc", "author:desc,title:desc",
]


@pytest.fixture
def shelf(alice: Account, make_book: Callable[..., int]) -> list[int]:
    return [make_book(alice, title, author, year) for title, author, year in SHELF]


def _ids(body: dict) -> list[int]:
    return [book["id"] for book in body["data"]]


def _cursor_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def _walk(api: Api, url: str | None, link: str) -> tuple[list[list[int]], str]:
    """Follow links[link] from `url`: the ids of each page, and the last page's URL."""
    pages: list[list[int]] = []
    last = ""
    while url:
        response = api.client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["meta"] == {"page_size": 3}
        pages.append(_ids(body))
        last, url = url, body["links"][link]
    return pages, last


@pytest.mark.parametrize("sort", SORTS)
def test_cursor_walk_visits_every_book_once_in_order(
    api: Api, shelf: list[int], sort: str
) -> None:
    expected = _ids(api.get(f"/books?sort={sort}&page_size=100").json())
    assert sorted(expected) == sorted(shelf)

    pages, last_url = _walk(api, f"{api.prefix}/books?sort={sort}&page_size=3&cursor=", "next")
    assert [book_id for page in pages for book_id in page] == expected
    assert [len(page) for page in pages] == [3, 3, 3, 2]

    # And back again from the last page, through links.prev.
    backwards, _ = _walk(api, last_url, "prev")
    assert [book_id for page in reversed(backwards) for book_id in page] == expected


def test_cursor_walk_keeps_the_filters(api: Api, shelf: list[int]) -> None:
    expected = _ids(api.get("/books?search=dune&sort=year:desc&page_size=100").json())
    assert len(expected) == 4
    pages, _ = _walk(api, f"{api.prefix}/books?search=dune&sort=year:desc&page_size=3&cursor=",
                     "next")
    assert [book_id for page in pages for book_id in page] == expected


def test_first_cursor_page_has_no_prev_and_the_last_no_next(api: Api, shelf: list[int]) -> None:
    first = api.get("/books?page_size=3&cursor=").json()
    assert first["links"]["prev"] is None
    assert first["links"]["self"].endswith("/books?page_size=3&cursor=")
    assert first["links"]["next"].startswith(f"http://testserver{api.prefix}/books?")
    assert "page=" not in first["links"]["next"]
    everything = api.get("/books?page_size=20&cursor=").json()
    assert everything["links"]["next"] is None
    assert len(everything["data"]) == len(SHELF)


def test_cursor_answers_are_the_same_at_every_prefix(apis: list[Api], shelf: list[int]) -> None:
    bodies = []
    for api in apis:
        first = api.get("/books?sort=author:desc,year&page_size=4&cursor=").json()
        second = api.client.get(first["links"]["next"]).json()
        bodies.append((first, second))
    reference_first, reference_second = bodies[0]
    for first, second in bodies[1:]:
        for mine, reference in ((first, reference_first), (second, reference_second)):
            assert mine["data"] == reference["data"]
            assert mine["meta"] == reference["meta"] == {"page_size": 4}
            for link in ("next", "prev"):
                if reference["links"][link] is None:
                    assert mine["links"][link] is None
                else:
                    assert _cursor_of(mine["links"][link]) == _cursor_of(reference["links"][link])


def test_a_cursor_from_one_prefix_works_at_another(apis: list[Api], shelf: list[int]) -> None:
    drf, fastapi, flask = apis
    cursor = _cursor_of(drf.get("/books?page_size=5&cursor=").json()["links"]["next"])
    assert _ids(flask.get(f"/books?page_size=5&cursor={cursor}").json()) == shelf[5:10]
    assert _ids(fastapi.get(f"/books?page_size=5&cursor={cursor}").json()) == shelf[5:10]


@pytest.mark.parametrize("cursor", [
    "garbage",
    "eyJvIjpbImlkIl0sInYiOlsxXSwiZCI6Im5leHQifQ",  # a payload without a signature
    "eyJvIjpbImlkIl0sInYiOlsxXSwiZCI6Im5leHQifQ:forged",
    "x" * 5000,
    "%F0%9F%93%9A",
])
def test_a_bad_cursor_is_422_on_cursor(api: Api, shelf: list[int], cursor: str) -> None:
    response = api.get(f"/books?cursor={cursor}")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["cursor"]


def test_a_tampered_cursor_is_422(api: Api, shelf: list[int]) -> None:
    cursor = _cursor_of(api.get("/books?page_size=2&cursor=").json()["links"]["next"])
    payload, signature = cursor.rsplit(":", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + ":" + signature
    response = api.get(f"/books?page_size=2&cursor={tampered}")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["cursor"]


def test_a_cursor_of_another_sort_is_422(api: Api, shelf: list[int]) -> None:
    cursor = _cursor_of(api.get("/books?sort=title&page_size=2&cursor=").json()["links"]["next"])
    assert api.get(f"/books?sort=title&page_size=2&cursor={cursor}").status_code == 200
    response = api.get(f"/books?sort=author&page_size=2&cursor={cursor}")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["cursor"]


@pytest.mark.parametrize("query", ["cursor=&page=1", "page=2&cursor="])
def test_cursor_with_page_is_422_on_cursor(api: Api, shelf: list[int], query: str) -> None:
    response = api.get(f"/books?{query}")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["cursor"]


def test_bad_cursor_and_bad_filter_are_named_together(api: Api, shelf: list[int]) -> None:
    response = api.get("/books?year_from=soon&page_size=0&cursor=nope")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["year_from", "page_size", "cursor"]


def test_a_write_is_seen_by_the_next_cursor_page(
    api: Api, shelf: list[int], alice: Account, make_book: Callable[..., int]
) -> None:
    first = api.get("/books?page_size=3&cursor=").json()
    assert api.client.get(first["links"]["next"]).headers["X-Cache"] == "MISS"
    assert api.client.get(first["links"]["next"]).headers["X-Cache"] == "HIT"
    new_id = make_book(alice, "Later", "Someone", 2001)
    body = api.get("/books?page_size=20&sort=id:desc&cursor=").json()
    assert body["data"][0]["id"] == new_id


def test_an_estimated_total_is_flagged_at_every_prefix(
    apis: list[Api], shelf: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a million-row table answers on PostgreSQL (common.counting), on any backend.
    from common import pagination
    from common.counting import RowCount

    monkeypatch.setattr(pagination, "count_rows", lambda queryset: RowCount(1000, True))
    for api in apis:
        body = api.get("/books?page_size=3&page=2").json()
        assert body["meta"] == {"page": 2, "page_size": 3, "total": 1000, "pages": 334,
                                "total_is_estimate": True}
        assert _ids(body) == shelf[3:6]
        assert body["links"]["next"].endswith("page=3")
