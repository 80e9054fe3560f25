"""The error mapping: every failure in the shared envelope, with DRF's wording."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from starlette.testclient import TestClient

from common.errors import FieldInvalid
from mounted_apis.fastapi_app.errors import validation_error_to_application_error
from mounted_apis.fastapi_app.main import create_app

from .conftest import PREFIX


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- Bodies -------------------------------------------------------------------------


# The body rule itself, at every prefix: tests/contract/test_json_bodies.py.


def test_a_bad_body_is_reported_only_after_authentication(client: TestClient) -> None:
    """DRF parses the body inside the view: a caller without a token hears 401 first."""
    response = client.post(
        f"{PREFIX}/books", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_an_empty_body_is_an_empty_object(client: TestClient) -> None:
    response = client.post(f"{PREFIX}/auth/register")
    assert response.status_code == 422
    assert error(response)["details"] == [
        {"field": "username", "message": "This field is required."},
        {"field": "email", "message": "This field is required."},
        {"field": "password", "message": "This field is required."},
    ]


def test_type_errors_use_drfs_messages(client: TestClient, alice_headers: dict) -> None:
    response = client.post(
        f"{PREFIX}/books",
        json={"title": None, "author": 7, "year": "1999", "isbn": True},
        headers=alice_headers,
    )
    assert response.status_code == 422
    assert error(response) == {
        "code": "validation_error",
        "message": "The request has invalid fields.",
        "details": [
            {"field": "title", "message": "This field may not be null."},
            {"field": "author", "message": "Not a valid string."},
            {"field": "year", "message": "A valid integer is required."},
            {"field": "isbn", "message": "Not a valid string."},
        ],
    }


def test_booleans_are_not_integers(client: TestClient, alice_headers: dict) -> None:
    response = client.post(
        f"{PREFIX}/books", json={"title": "T", "author": "A", "year": True}, headers=alice_headers
    )
    assert error(response)["details"] == [
        {"field": "year", "message": "A valid integer is required."}
    ]


def test_patch_may_omit_fields_but_not_send_null(client: TestClient, alice_headers: dict) -> None:
    created = client.post(
        f"{PREFIX}/books", json={"title": "T", "author": "A", "year": 2000}, headers=alice_headers
    )
    url = created.headers["Location"]
    assert client.patch(url, json={"year": 2001}, headers=alice_headers).status_code == 200
    response = client.patch(url, json={"year": None}, headers=alice_headers)
    assert error(response)["details"] == [
        {"field": "year", "message": "This field may not be null."}
    ]


@pytest.mark.parametrize(
    ("pydantic_error", "message"),
    [
        ({"type": "bool_parsing", "loc": ("body", "is_active"), "input": "yes"},
         "Must be a valid boolean."),
        ({"type": "bool_type", "loc": ("body", "is_active"), "input": 1},
         "Must be a valid boolean."),
        ({"type": "literal_error", "loc": ("body", "role"), "input": "boss"},
         '"boss" is not a valid choice.'),
        ({"type": "enum", "loc": ("body", "role"), "input": "boss"},
         '"boss" is not a valid choice.'),
        ({"type": "value_error", "loc": ("body", "isbn"), "input": "1",
          "ctx": {"error": FieldInvalid("Enter a valid ISBN.")}}, "Enter a valid ISBN."),
        ({"type": "int_parsing", "loc": ("query", "page"), "input": "x"},
         "A valid integer is required."),
    ],
)
def test_pydantic_error_types_map_to_drf_wording(pydantic_error: dict, message: str) -> None:
    mapped = validation_error_to_application_error([pydantic_error])
    assert mapped.status == 422
    assert mapped.body()["error"]["details"][0]["message"] == message


def test_nested_locations_are_flattened_like_drf() -> None:
    mapped = validation_error_to_application_error(
        [{"type": "missing", "loc": ("body", "tags", 0, "name"), "input": {}}]
    )
    assert mapped.body()["error"]["details"] == [
        {"field": "tags[0].name", "message": "This field is required."}
    ]


# --- Routing --------------------------------------------------------------------------


def test_unknown_path_is_the_404_envelope(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/no/such/thing")
    assert response.status_code == 404
    assert error(response) == {"code": "not_found", "message": "Not found."}


def test_a_non_numeric_id_matches_no_route(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/books/abc")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_wrong_method_is_405_listing_every_method_of_the_path(client: TestClient) -> None:
    response = client.delete(f"{PREFIX}/books")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert error(response) == {
        "code": "method_not_allowed",
        "message": "Method DELETE is not allowed on this path.",
    }
    detail = client.post(f"{PREFIX}/books/1")
    assert detail.headers["Allow"] == "DELETE, GET, PATCH, PUT"  # sorted, as MethodNotAllowed does


# --- Failures ---------------------------------------------------------------------------


@pytest.fixture
def failing_client(transactional_db) -> TestClient:
    """A fresh app with two routes that fail: one crashes, one loses the database."""
    app = create_app()

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret: SELECT password FROM users")

    @app.get("/db-down")
    async def db_down() -> None:
        raise OperationalError("could not connect to server")

    return TestClient(app, raise_server_exceptions=False)


def test_an_unexpected_exception_is_500_without_details(failing_client: TestClient) -> None:
    response = failing_client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "An unexpected error occurred."}
    }
    assert "secret" not in response.text


def test_a_database_outage_is_503(failing_client: TestClient) -> None:
    response = failing_client.get("/db-down")
    assert response.status_code == 503
    assert error(response)["code"] == "service_unavailable"
    assert response.headers["Retry-After"] == "30"
