"""What only DRF's books code does, through rest_framework.test.APIClient.

The endpoints' behaviour (statuses, envelopes, permissions, paging, caching)
is the contract's, checked at every prefix in tests/contract/. Here: DRF's
own error wording, DRF's test client (APIClient with force_authenticate, which
/compare quotes as DRF's way to test), the DRF classes behind a cached read,
and the permission class the browsable API asks too.
"""

from __future__ import annotations

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


class TestCreateWording:
    """DRF's own wording for a bad book; the statuses and error codes are the contract's
    (tests/contract/test_books_crud.py, every prefix)."""

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


class TestUpdate:
    @pytest.fixture
    def book(self, make_book: Any) -> Book:
        return make_book(title="Dune", author="Herbert", year=1965, isbn="9780441172719",
                         description="Spice")

    def test_patch_null_title_is_a_type_error(self, as_user: Any, alice: Any, book: Book) -> None:
        response = as_user(alice).patch(f"{URL}/{book.pk}", {"title": None}, format="json")
        assert error(response)["details"] == [
            {"field": "title", "message": "This field may not be null."}
        ]

    def test_other_user_403(self, as_user: Any, bob: Any, book: Book) -> None:
        response = as_user(bob).patch(f"{URL}/{book.pk}", {"year": 1970}, format="json")
        assert response.status_code == 403 and error(response)["code"] == "permission_denied"


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
