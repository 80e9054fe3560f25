"""The DRF endpoints at /api/drf/books, through rest_framework.test.APIClient."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from books.models import Book

pytestmark = pytest.mark.django_db

URL = "/api/drf/books"
DUNE = {"title": "Dune", "author": "Frank Herbert", "year": 1965, "isbn": "0441172717"}


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def as_user(client: APIClient) -> Any:
    def login(user: Any) -> APIClient:
        client.force_authenticate(user=user)
        return client

    return login


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """Run on_commit callbacks (the cache bump) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def error(response: Any) -> dict[str, Any]:
    return response.json()["error"]


class TestList:
    def test_shape_and_cache_header(self, client: APIClient, make_book: Any) -> None:
        book = make_book(title="Dune", year=1965)
        first = client.get(URL)
        assert first.status_code == 200 and first["X-Cache"] == "MISS"
        body = first.json()
        assert body["meta"] == {"page": 1, "page_size": 20, "total": 1, "pages": 1}
        assert body["links"] == {"self": f"http://testserver{URL}?page=1", "next": None,
                                 "prev": None}
        assert body["data"][0]["id"] == book.pk and body["data"][0]["title"] == "Dune"
        second = client.get(URL)
        assert second["X-Cache"] == "HIT" and second.json() == body

    def test_links_keep_filters(self, client: APIClient, make_book: Any) -> None:
        for i in range(5):
            make_book(title=f"Book {i}", author="Same")
        body = client.get(URL, {"author": "same", "page_size": "2", "page": "2"}).json()
        assert body["meta"] == {"page": 2, "page_size": 2, "total": 5, "pages": 3}
        assert body["links"]["next"] == f"http://testserver{URL}?author=same&page_size=2&page=3"
        assert body["links"]["prev"] == f"http://testserver{URL}?author=same&page_size=2&page=1"

    def test_page_past_the_end(self, client: APIClient, make_book: Any) -> None:
        make_book()
        response = client.get(URL, {"page": "50"})
        assert response.status_code == 200 and response.json()["data"] == []

    def test_bad_parameters(self, client: APIClient) -> None:
        response = client.get(URL, {"sort": "price", "page_size": "500", "year_from": "x"})
        assert response.status_code == 422
        assert error(response)["code"] == "validation_error"
        assert [d["field"] for d in error(response)["details"]] == [
            "year_from", "sort", "page_size"
        ]

    def test_write_is_seen_by_the_next_read(
        self, as_user: Any, alice: Any, commits: Any
    ) -> None:
        client = as_user(alice)
        assert client.get(URL)["X-Cache"] == "MISS"
        assert client.get(URL)["X-Cache"] == "HIT"
        with commits():
            client.post(URL, DUNE, format="json")
        response = client.get(URL)
        assert response["X-Cache"] == "MISS" and response.json()["meta"]["total"] == 1


class TestRetrieve:
    def test_output_format(self, client: APIClient, make_book: Any, alice: Any) -> None:
        book = make_book(title="Dune", isbn="9780441172719", description="Spice")
        response = client.get(f"{URL}/{book.pk}")
        assert response.status_code == 200 and response["X-Cache"] == "MISS"
        data = response.json()["data"]
        assert set(data) == {"id", "title", "author", "year", "isbn", "description",
                             "created_by", "created_at", "updated_at"}
        assert data["created_by"] == alice.pk and data["isbn"] == "9780441172719"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", data["created_at"])
        assert client.get(f"{URL}/{book.pk}")["X-Cache"] == "HIT"

    @pytest.mark.parametrize("path", ["/999", "/abc", "/99999999999999999999999", "/1/"])
    def test_not_found(self, client: APIClient, path: str) -> None:
        response = client.get(URL + path)
        assert response.status_code == 404
        assert error(response) == {"code": "not_found", "message": "Not found."}


class TestCreate:
    def test_created(self, as_user: Any, alice: Any) -> None:
        response = as_user(alice).post(URL, DUNE, format="json")
        assert response.status_code == 201
        data = response.json()["data"]
        assert data["isbn"] == "9780441172719" and data["created_by"] == alice.pk
        assert data["description"] == ""
        assert response["Location"] == f"http://testserver{URL}/{data['id']}"

    def test_anonymous_is_401_even_with_a_bad_body(self, client: APIClient) -> None:
        response = client.post(URL, {"title": 5}, format="json")
        assert response.status_code == 401
        assert error(response)["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("body", ["[1, 2]", "null", '"text"', "42"])
    def test_body_not_an_object(self, as_user: Any, alice: Any, body: str) -> None:
        response = as_user(alice).post(URL, body, content_type="application/json")
        assert response.status_code == 400
        assert error(response) == {"code": "bad_request",
                                   "message": "Request body must be a JSON object."}

    def test_invalid_json(self, as_user: Any, alice: Any) -> None:
        response = as_user(alice).post(URL, "{nope", content_type="application/json")
        assert response.status_code == 400 and error(response)["code"] == "bad_request"

    def test_type_errors_use_drf_wording(self, as_user: Any, alice: Any) -> None:
        response = as_user(alice).post(
            URL, {"title": 5, "year": "1965", "isbn": None}, format="json"
        )
        assert response.status_code == 422
        assert error(response)["details"] == [
            {"field": "title", "message": "Not a valid string."},
            {"field": "author", "message": "This field is required."},
            {"field": "year", "message": "A valid integer is required."},
        ]

    # 1965.0 is the integer 1965 in JSON Schema (tests/contract/test_openapi_documents.py).
    @pytest.mark.parametrize("year", [True, 1965.5, "1965"])
    def test_year_must_be_a_json_integer(self, as_user: Any, alice: Any, year: Any) -> None:
        response = as_user(alice).post(URL, {**DUNE, "year": year}, format="json")
        assert response.status_code == 422

    def test_value_errors_come_from_the_domain(self, as_user: Any, alice: Any) -> None:
        body = {"title": "  ", "author": "x" * 201, "year": 1300, "isbn": "0441172718",
                "description": "d" * 5001}
        response = as_user(alice).post(URL, body, format="json")
        assert response.status_code == 422
        assert error(response)["details"] == [
            {"field": "title", "message": "This field may not be blank."},
            {"field": "author", "message": "Ensure this field has no more than 200 characters."},
            {"field": "year", "message": error(response)["details"][2]["message"]},
            {"field": "isbn", "message": "The ISBN check digit is wrong."},
            {"field": "description",
             "message": "Ensure this field has no more than 5000 characters."},
        ]
        assert error(response)["details"][2]["message"].startswith("Ensure the year is between")

    def test_duplicate_isbn(self, as_user: Any, alice: Any) -> None:
        client = as_user(alice)
        client.post(URL, DUNE, format="json")
        response = client.post(URL, {**DUNE, "isbn": "978-0-441-17271-9"}, format="json")
        assert response.status_code == 409
        assert error(response) == {"code": "conflict",
                                   "message": "A book with that ISBN already exists."}


class TestUpdate:
    @pytest.fixture
    def book(self, make_book: Any) -> Book:
        return make_book(title="Dune", author="Herbert", year=1965, isbn="9780441172719",
                         description="Spice")

    def test_creator_puts(self, as_user: Any, alice: Any, book: Book) -> None:
        response = as_user(alice).put(f"{URL}/{book.pk}",
                                      {"title": "Dune", "author": "F. Herbert", "year": 1966},
                                      format="json")
        assert response.status_code == 200
        data = response.json()["data"]
        assert (data["author"], data["year"], data["isbn"], data["description"]) == (
            "F. Herbert", 1966, None, ""
        )

    def test_put_needs_every_required_field(self, as_user: Any, alice: Any, book: Book) -> None:
        response = as_user(alice).put(f"{URL}/{book.pk}", {"title": "X"}, format="json")
        assert response.status_code == 422
        assert [d["field"] for d in error(response)["details"]] == ["author", "year"]

    def test_creator_patches(self, as_user: Any, alice: Any, book: Book) -> None:
        response = as_user(alice).patch(f"{URL}/{book.pk}", {"year": 1970}, format="json")
        assert response.status_code == 200
        assert response.json()["data"]["year"] == 1970
        assert response.json()["data"]["description"] == "Spice"

    def test_patch_null_title_is_a_type_error(self, as_user: Any, alice: Any, book: Book) -> None:
        response = as_user(alice).patch(f"{URL}/{book.pk}", {"title": None}, format="json")
        assert error(response)["details"] == [
            {"field": "title", "message": "This field may not be null."}
        ]

    def test_other_user_403(self, as_user: Any, bob: Any, book: Book) -> None:
        response = as_user(bob).patch(f"{URL}/{book.pk}", {"year": 1970}, format="json")
        assert response.status_code == 403 and error(response)["code"] == "permission_denied"

    def test_admin_may(self, as_user: Any, admin_user: Any, book: Book) -> None:
        response = as_user(admin_user).patch(f"{URL}/{book.pk}", {"year": 1970}, format="json")
        assert response.status_code == 200

    def test_anonymous_401(self, client: APIClient, book: Book) -> None:
        assert client.patch(f"{URL}/{book.pk}", {}, format="json").status_code == 401

    def test_missing_404(self, as_user: Any, alice: Any) -> None:
        assert as_user(alice).patch(f"{URL}/424242", {}, format="json").status_code == 404


class TestDelete:
    def test_admin_204(self, as_user: Any, admin_user: Any, make_book: Any) -> None:
        book = make_book()
        response = as_user(admin_user).delete(f"{URL}/{book.pk}")
        assert response.status_code == 204 and not Book.objects.exists()

    def test_creator_403(self, as_user: Any, alice: Any, make_book: Any) -> None:
        response = as_user(alice).delete(f"{URL}/{make_book().pk}")
        assert response.status_code == 403

    def test_anonymous_401(self, client: APIClient, make_book: Any) -> None:
        assert client.delete(f"{URL}/{make_book().pk}").status_code == 401

    def test_missing_404(self, as_user: Any, admin_user: Any) -> None:
        assert as_user(admin_user).delete(f"{URL}/424242").status_code == 404


def test_method_not_allowed(client: APIClient) -> None:
    response = client.put(URL, {}, format="json")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"] and "POST" in response["Allow"]


def test_openapi_documents_books(client: APIClient) -> None:
    response = client.get("/api/drf/openapi.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    listing = schema["paths"]["/api/drf/books"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "search", "title_contains", "author", "year_from", "year_to", "sort", "page", "page_size",
        "cursor",
    }
    assert all(p.get("description") for p in listing["parameters"])
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BookPage"
    }
    update = schema["paths"]["/api/drf/books/{id}"]["put"]
    assert {"401", "403", "404", "409", "422", "429"} <= set(update["responses"])
    assert update["tags"] == ["books"]


class TestBookPermission:
    """The rules of books.services, as a DRF permission class (the browsable API asks it too)."""

    @pytest.mark.parametrize(
        ("who", "method", "mine", "allowed"),
        [
            (None, "GET", False, True),
            (None, "POST", False, False),
            ("alice", "POST", False, True),
            ("alice", "PUT", True, True),
            ("alice", "PATCH", False, False),
            ("alice", "DELETE", True, False),
            ("admin", "PUT", False, True),
            ("admin", "DELETE", False, True),
        ],
    )
    def test_matrix(
        self, who: str | None, method: str, mine: bool, allowed: bool,
        alice: Any, bob: Any, admin_user: Any,
    ) -> None:
        from books.permissions import BookPermission

        user = {"alice": alice, "admin": admin_user, None: None}[who]
        book = Book(created_by=alice if mine else bob)
        request = type("R", (), {"method": method, "user": user})()
        permission = BookPermission()
        decided = permission.has_permission(request, None) and (
            method == "POST" or permission.has_object_permission(request, None, book)
        )
        assert decided is allowed
