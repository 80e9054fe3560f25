"""X-Cache on GET {p}/books and {p}/books/{id}: HIT after a MISS, MISS after any write."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contract.conftest import Account, Api, Tokens


@pytest.fixture
def book_id(alice: Account, make_book: Callable[..., int]) -> int:
    return make_book(alice)


def test_list_is_a_miss_then_a_hit(api: Api, book_id: int) -> None:
    assert api.get("/books").headers["X-Cache"] == "MISS"
    assert api.get("/books").headers["X-Cache"] == "HIT"


def test_a_hit_answers_the_same_body(api: Api, book_id: int) -> None:
    miss = api.get("/books")
    hit = api.get("/books")
    assert hit.headers["X-Cache"] == "HIT"
    assert hit.json() == miss.json()


def test_different_queries_are_cached_apart(api: Api, book_id: int) -> None:
    api.get("/books?page_size=5")
    assert api.get("/books?page_size=6").headers["X-Cache"] == "MISS"


def test_detail_is_a_miss_then_a_hit(api: Api, book_id: int) -> None:
    assert api.get(f"/books/{book_id}").headers["X-Cache"] == "MISS"
    assert api.get(f"/books/{book_id}").headers["X-Cache"] == "HIT"


def test_a_create_at_another_prefix_makes_the_list_fresh(
    api: Api, other_api: Api, book_id: int, alice: Account
) -> None:
    api.get("/books")
    api.get("/books")
    tokens = other_api.login(alice.username)
    created = other_api.post(
        "/books",
        json={"title": "Emma", "author": "Jane Austen", "year": 1815},
        headers=tokens.headers,
    )
    assert created.status_code == 201, created.text
    response = api.get("/books")
    assert response.headers["X-Cache"] == "MISS"
    assert [b["title"] for b in response.json()["data"]] == ["Dune", "Emma"]


def test_a_patch_at_another_prefix_makes_the_detail_fresh(
    api: Api, other_api: Api, book_id: int, alice: Account
) -> None:
    api.get(f"/books/{book_id}")
    api.get(f"/books/{book_id}")
    tokens = other_api.login(alice.username)
    other_api.patch(f"/books/{book_id}", json={"title": "Dune!"}, headers=tokens.headers)
    response = api.get(f"/books/{book_id}")
    assert response.headers["X-Cache"] == "MISS"
    assert response.json()["data"]["title"] == "Dune!"


def test_a_patch_makes_the_list_fresh(api: Api, book_id: int, alice_tokens: Tokens) -> None:
    api.get("/books")
    api.patch(f"/books/{book_id}", json={"year": 1966}, headers=alice_tokens.headers)
    response = api.get("/books")
    assert response.headers["X-Cache"] == "MISS"
    assert response.json()["data"][0]["year"] == 1966


def test_a_delete_at_another_prefix_makes_the_detail_404(
    api: Api, other_api: Api, book_id: int, admin: Account
) -> None:
    api.get(f"/books/{book_id}")
    tokens = other_api.login(admin.username)
    assert other_api.delete(f"/books/{book_id}", headers=tokens.headers).status_code == 204
    assert api.get(f"/books/{book_id}").status_code == 404


def test_a_write_outside_the_api_makes_the_list_fresh(
    api: Api, book_id: int, alice: Account, make_book: Callable[..., int]
) -> None:
    """The admin and management commands write through the ORM: still a MISS after."""
    api.get("/books")
    make_book(alice, title="Emma", author="Jane Austen", year=1815)
    response = api.get("/books")
    assert response.headers["X-Cache"] == "MISS"
    assert len(response.json()["data"]) == 2


def test_an_orm_update_makes_the_detail_fresh(api: Api, book_id: int) -> None:
    from books.models import Book

    api.get(f"/books/{book_id}")
    book = Book.objects.get(pk=book_id)
    book.title = "Dune (ORM)"
    book.save()
    response = api.get(f"/books/{book_id}")
    assert response.headers["X-Cache"] == "MISS"
    assert response.json()["data"]["title"] == "Dune (ORM)"


def test_after_the_miss_the_fresh_result_is_cached_again(
    api: Api, book_id: int, alice_tokens: Tokens
) -> None:
    api.get("/books")
    api.patch(f"/books/{book_id}", json={"year": 1966}, headers=alice_tokens.headers)
    api.get("/books")
    assert api.get("/books").headers["X-Cache"] == "HIT"


def test_a_failed_write_does_not_matter_for_freshness(
    api: Api, book_id: int, bob_tokens: Tokens
) -> None:
    api.get("/books")
    api.patch(f"/books/{book_id}", json={"year": 1966}, headers=bob_tokens.headers)  # 403
    response = api.get("/books")
    assert response.json()["data"][0]["year"] == 1965
