"""{p}/books and {p}/books/{id}: create, read, replace, patch, delete, validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.contract.conftest import Account, Api, Tokens, assert_error, detail_fields

BOOK_KEYS = {
    "id",
    "title",
    "author",
    "year",
    "isbn",
    "description",
    "created_by",
    "created_at",
    "updated_at",
}
NEXT_YEAR = datetime.now(UTC).year + 1

# "978-0-306-40615-7" is the textbook ISBN-13; its ISBN-10 form is 0-306-40615-2.
ISBN13 = "9780306406157"
ISBN10 = "0-306-40615-2"


def book_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    payload.update(overrides)
    return payload


def create(api: Api, tokens: Tokens, **overrides: Any) -> dict[str, Any]:
    response = api.post("/books", json=book_payload(**overrides), headers=tokens.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def parse_utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0), value
    return parsed


# --- create -----------------------------------------------------------------------------


def test_create_answers_201_with_the_book(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    book = create(api, alice_tokens, description="Spice.")
    assert set(book) == BOOK_KEYS
    assert book["title"] == "Dune"
    assert book["author"] == "Frank Herbert"
    assert book["year"] == 1965
    assert book["description"] == "Spice."
    assert book["isbn"] is None
    assert book["created_by"] == alice.id


def test_create_sets_a_location_header(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/books", json=book_payload(), headers=alice_tokens.headers)
    book_id = response.json()["data"]["id"]
    assert response.headers["Location"].endswith(f"{api.prefix}/books/{book_id}")


def test_created_book_is_readable_at_its_location(api: Api, alice_tokens: Tokens) -> None:
    created = api.post("/books", json=book_payload(), headers=alice_tokens.headers)
    location = created.headers["Location"]
    fetched = api.client.get(location)
    assert fetched.status_code == 200
    assert fetched.json()["data"] == created.json()["data"]


def test_timestamps_are_iso8601_utc(api: Api, alice_tokens: Tokens) -> None:
    book = create(api, alice_tokens)
    created_at = parse_utc(book["created_at"])
    assert abs(created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert parse_utc(book["updated_at"]) >= created_at


def test_create_description_defaults_to_empty(api: Api, alice_tokens: Tokens) -> None:
    assert create(api, alice_tokens)["description"] == ""


def test_anonymous_create_is_401(api: Api) -> None:
    assert_error(api.post("/books", json=book_payload()), 401, "not_authenticated")


def test_create_with_a_bad_token_is_401_invalid_token(api: Api) -> None:
    response = api.post("/books", json=book_payload(), headers={"Authorization": "Bearer x.y.z"})
    assert_error(response, 401, "invalid_token")


def test_create_ignores_a_client_supplied_creator(
    api: Api, alice: Account, alice_tokens: Tokens, bob: Account
) -> None:
    assert create(api, alice_tokens, created_by=bob.id)["created_by"] == alice.id


def test_isbn13_is_stored_as_given(api: Api, alice_tokens: Tokens) -> None:
    assert create(api, alice_tokens, isbn=ISBN13)["isbn"] == ISBN13


def test_isbn10_is_stored_as_isbn13(api: Api, alice_tokens: Tokens) -> None:
    assert create(api, alice_tokens, isbn=ISBN10)["isbn"] == ISBN13


def test_hyphenated_isbn13_is_normalised(api: Api, alice_tokens: Tokens) -> None:
    assert create(api, alice_tokens, isbn="978-0-306-40615-7")["isbn"] == ISBN13


@pytest.mark.parametrize(
    "isbn",
    ["978-0-306-40615-8", "0-306-40615-3", "12345", "abcdefghij"],
    ids=["bad-check-13", "bad-check-10", "too-short", "letters"],
)
def test_invalid_isbn_is_422(api: Api, alice_tokens: Tokens, isbn: str) -> None:
    response = api.post("/books", json=book_payload(isbn=isbn), headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["isbn"]


def test_duplicate_isbn_is_409(api: Api, alice_tokens: Tokens) -> None:
    create(api, alice_tokens, isbn=ISBN13)
    response = api.post(
        "/books", json=book_payload(title="Other", isbn=ISBN13), headers=alice_tokens.headers
    )
    assert_error(response, 409, "conflict")


def test_isbn10_and_isbn13_of_one_book_collide(api: Api, alice_tokens: Tokens) -> None:
    create(api, alice_tokens, isbn=ISBN13)
    response = api.post("/books", json=book_payload(isbn=ISBN10), headers=alice_tokens.headers)
    assert_error(response, 409, "conflict")


@pytest.mark.parametrize("year", [1450, NEXT_YEAR], ids=["first", "next-year"])
def test_year_bounds_are_accepted(api: Api, alice_tokens: Tokens, year: int) -> None:
    assert create(api, alice_tokens, year=year)["year"] == year


@pytest.mark.parametrize("year", [1449, NEXT_YEAR + 1, -5], ids=["before", "after", "negative"])
def test_year_out_of_range_is_422(api: Api, alice_tokens: Tokens, year: int) -> None:
    response = api.post("/books", json=book_payload(year=year), headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["year"]


@pytest.mark.parametrize("year", ["abc", 1965.5, None], ids=["string", "float", "null"])
def test_year_of_wrong_type_is_422(api: Api, alice_tokens: Tokens, year: Any) -> None:
    response = api.post("/books", json=book_payload(year=year), headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["year"]


def test_title_of_200_chars_is_accepted(api: Api, alice_tokens: Tokens) -> None:
    assert create(api, alice_tokens, title="t" * 200)["title"] == "t" * 200


def test_title_of_201_chars_is_422(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/books", json=book_payload(title="t" * 201), headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["title"]


def test_empty_title_is_422(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/books", json=book_payload(title=""), headers=alice_tokens.headers)
    assert detail_fields(response) == ["title"]


def test_author_of_201_chars_is_422(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/books", json=book_payload(author="a" * 201), headers=alice_tokens.headers)
    assert detail_fields(response) == ["author"]


def test_description_of_5000_chars_is_accepted(api: Api, alice_tokens: Tokens) -> None:
    assert len(create(api, alice_tokens, description="d" * 5000)["description"]) == 5000


def test_description_of_5001_chars_is_422(api: Api, alice_tokens: Tokens) -> None:
    response = api.post(
        "/books", json=book_payload(description="d" * 5001), headers=alice_tokens.headers
    )
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["description"]


def test_missing_fields_are_each_named(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/books", json={}, headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert sorted(detail_fields(response)) == ["author", "title", "year"]


def test_every_bad_field_is_reported_in_order(api: Api, alice_tokens: Tokens) -> None:
    payload = {
        "title": "t" * 201,
        "author": "",
        "year": 1200,
        "isbn": "1",
        "description": "d" * 5001,
    }
    response = api.post("/books", json=payload, headers=alice_tokens.headers)
    assert detail_fields(response) == ["title", "author", "year", "isbn", "description"]


# --- read ---------------------------------------------------------------------------------


def test_anyone_reads_a_book(api: Api, alice: Account, make_book: Callable[..., int]) -> None:
    book_id = make_book(alice, isbn=ISBN13)
    response = api.get(f"/books/{book_id}")
    assert response.status_code == 200
    book = response.json()["data"]
    assert set(book) == BOOK_KEYS
    assert (book["id"], book["isbn"], book["created_by"]) == (book_id, ISBN13, alice.id)


def test_missing_book_is_404(api: Api) -> None:
    assert_error(api.get("/books/999999"), 404, "not_found")


# --- PUT / PATCH ---------------------------------------------------------------------------


@pytest.fixture
def alices_book(alice: Account, make_book: Callable[..., int]) -> int:
    return make_book(alice, isbn=ISBN13, description="Old description.")


def test_creator_patches_a_book(api: Api, alice_tokens: Tokens, alices_book: int) -> None:
    response = api.patch(
        f"/books/{alices_book}", json={"title": "Dune (1st ed.)"}, headers=alice_tokens.headers
    )
    assert response.status_code == 200, response.text
    book = response.json()["data"]
    assert book["title"] == "Dune (1st ed.)"
    assert (book["author"], book["year"], book["isbn"]) == ("Frank Herbert", 1965, ISBN13)


def test_patch_moves_updated_at(api: Api, alice_tokens: Tokens, alices_book: int) -> None:
    before = api.get(f"/books/{alices_book}").json()["data"]
    after = api.patch(
        f"/books/{alices_book}", json={"year": 1966}, headers=alice_tokens.headers
    ).json()["data"]
    assert parse_utc(after["updated_at"]) > parse_utc(before["updated_at"])
    assert after["created_at"] == before["created_at"]


def test_patch_validates_the_given_fields(api: Api, alice_tokens: Tokens, alices_book: int) -> None:
    response = api.patch(f"/books/{alices_book}", json={"year": 1000}, headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["year"]


def test_patch_can_clear_the_isbn(api: Api, alice_tokens: Tokens, alices_book: int) -> None:
    response = api.patch(f"/books/{alices_book}", json={"isbn": None}, headers=alice_tokens.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["isbn"] is None


def test_creator_replaces_a_book(api: Api, alice_tokens: Tokens, alices_book: int) -> None:
    payload = book_payload(title="Neuromancer", author="William Gibson", year=1984)
    response = api.put(f"/books/{alices_book}", json=payload, headers=alice_tokens.headers)
    assert response.status_code == 200, response.text
    book = response.json()["data"]
    assert (book["title"], book["author"], book["year"]) == ("Neuromancer", "William Gibson", 1984)


def test_put_resets_omitted_optional_fields(
    api: Api, alice_tokens: Tokens, alices_book: int
) -> None:
    response = api.put(f"/books/{alices_book}", json=book_payload(), headers=alice_tokens.headers)
    book = response.json()["data"]
    assert (book["isbn"], book["description"]) == (None, "")


def test_put_requires_every_required_field(
    api: Api, alice_tokens: Tokens, alices_book: int
) -> None:
    response = api.put(f"/books/{alices_book}", json={"title": "X"}, headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert sorted(detail_fields(response)) == ["author", "year"]


def test_other_user_patching_is_403(api: Api, bob_tokens: Tokens, alices_book: int) -> None:
    response = api.patch(
        f"/books/{alices_book}", json={"title": "Mine"}, headers=bob_tokens.headers
    )
    assert_error(response, 403, "permission_denied")
    assert api.get(f"/books/{alices_book}").json()["data"]["title"] == "Dune"


def test_other_user_replacing_is_403(api: Api, bob_tokens: Tokens, alices_book: int) -> None:
    response = api.put(f"/books/{alices_book}", json=book_payload(), headers=bob_tokens.headers)
    assert_error(response, 403, "permission_denied")


def test_admin_patches_anyones_book(api: Api, admin_tokens: Tokens, alices_book: int) -> None:
    response = api.patch(
        f"/books/{alices_book}", json={"title": "Edited"}, headers=admin_tokens.headers
    )
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Edited"


def test_admin_edit_keeps_the_creator(
    api: Api, admin_tokens: Tokens, alice: Account, alices_book: int
) -> None:
    response = api.put(f"/books/{alices_book}", json=book_payload(), headers=admin_tokens.headers)
    assert response.json()["data"]["created_by"] == alice.id


def test_anonymous_patch_is_401(api: Api, alices_book: int) -> None:
    assert_error(api.patch(f"/books/{alices_book}", json={"title": "x"}), 401, "not_authenticated")


def test_patching_a_missing_book_is_404(api: Api, admin_tokens: Tokens) -> None:
    response = api.patch("/books/999999", json={"title": "x"}, headers=admin_tokens.headers)
    assert_error(response, 404, "not_found")


def test_replacing_a_missing_book_is_404(api: Api, admin_tokens: Tokens) -> None:
    response = api.put("/books/999999", json=book_payload(), headers=admin_tokens.headers)
    assert_error(response, 404, "not_found")


def test_patch_to_a_taken_isbn_is_409(
    api: Api, alice: Account, alice_tokens: Tokens, make_book: Callable[..., int]
) -> None:
    make_book(alice, title="First", isbn=ISBN13)
    second = make_book(alice, title="Second")
    response = api.patch(f"/books/{second}", json={"isbn": ISBN10}, headers=alice_tokens.headers)
    assert_error(response, 409, "conflict")


# --- DELETE ------------------------------------------------------------------------------------


def test_admin_deletes_a_book(api: Api, admin_tokens: Tokens, alices_book: int) -> None:
    response = api.delete(f"/books/{alices_book}", headers=admin_tokens.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(api.get(f"/books/{alices_book}"), 404, "not_found")


def test_creator_deleting_is_403(api: Api, alice_tokens: Tokens, alices_book: int) -> None:
    response = api.delete(f"/books/{alices_book}", headers=alice_tokens.headers)
    assert_error(response, 403, "permission_denied")
    assert api.get(f"/books/{alices_book}").status_code == 200


def test_anonymous_delete_is_401(api: Api, alices_book: int) -> None:
    assert_error(api.delete(f"/books/{alices_book}"), 401, "not_authenticated")


def test_deleting_a_missing_book_is_404(api: Api, admin_tokens: Tokens) -> None:
    assert_error(api.delete("/books/999999", headers=admin_tokens.headers), 404, "not_found")
