"""The error mapping: every failure in the shared envelope, with DRF's wording."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from starlette.testclient import TestClient

from mounted_apis.fastapi_app.errors import validation_error_to_application_error
from mounted_apis.fastapi_app.main import create_app

from .conftest import PREFIX


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- Bodies ---------------------------------------------------------------------------


# The body rule itself, at every prefix: tests/contract/test_json_bodies.py.


def test_a_malformed_body_is_answered_before_authentication(client: TestClient) -> None:
    """FastAPI reads the body before it resolves any dependency."""
    response = client.post(
        f"{PREFIX}/books", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error(response)["code"] == "bad_request"


def test_a_field_error_is_answered_after_authentication(client: TestClient) -> None:
    """Dependencies (the token) run before the body's fields are validated."""
    response = client.post(f"{PREFIX}/books", json={"year": "nope"})
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("body", [b"null", b"[1]", b"7"])
def test_json_that_is_not_an_object_is_400(client: TestClient, body: bytes) -> None:
    response = client.post(
        f"{PREFIX}/auth/register", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error(response) == {"code": "bad_request",
                               "message": "Request body must be a JSON object."}


def test_an_empty_body_is_an_empty_object(client: TestClient) -> None:
    response = client.post(f"{PREFIX}/auth/register")
    assert response.status_code == 422
    assert [d["field"] for d in error(response)["details"]] == ["username", "email", "password"]


def test_type_errors_keep_pydantics_words(client: TestClient, alice_headers: dict) -> None:
    response = client.post(
        f"{PREFIX}/books",
        json={"title": None, "author": 7, "year": "1999", "isbn": True},
        headers=alice_headers,
    )
    assert response.status_code == 422
    body = error(response)
    assert body["code"] == "validation_error"
    assert {d["field"]: d["message"] for d in body["details"]} == {
        "title": "Input should be a valid string",
        "author": "Input should be a valid string",
        "year": "Input should be a valid integer",
        "isbn": "Input should be a valid string",
    }


def test_a_domain_rule_speaks_through_pydantic(client: TestClient, alice_headers: dict) -> None:
    """books.rules checks the value from a Pydantic validator: its sentence, Pydantic's prefix."""
    response = client.post(
        f"{PREFIX}/books",
        json={"title": "T", "author": "A", "year": 1999, "isbn": "0-306-40615-3"},
        headers=alice_headers,
    )
    assert error(response)["details"] == [
        {"field": "isbn", "message": "Value error, The ISBN check digit is wrong."}
    ]


def test_booleans_are_not_integers(client: TestClient, alice_headers: dict) -> None:
    response = client.post(
        f"{PREFIX}/books", json={"title": "T", "author": "A", "year": True}, headers=alice_headers
    )
    assert [d["field"] for d in error(response)["details"]] == ["year"]


def test_patch_may_omit_fields_but_not_send_null(client: TestClient, alice_headers: dict) -> None:
    created = client.post(
        f"{PREFIX}/books", json={"title": "T", "author": "A", "year": 2000}, headers=alice_headers
    )
    url = created.headers["Location"]
    assert client.patch(url, json={"year": 2001}, headers=alice_headers).status_code == 200
    response = client.patch(url, json={"year": None}, headers=alice_headers)
    assert [d["field"] for d in error(response)["details"]] == ["year"]


# --- Query parameters -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("page", "２"), ("page_size", "٢"), ("page", "0"),
                                             ("year_from", "1990.0"), ("sort", "title:"),
                                             ("sort", "pages"), ("search", "a\x00")])
def test_a_bad_query_parameter_is_422_naming_it(client: TestClient, name: str, value: str) -> None:
    response = client.get(f"{PREFIX}/books", params={name: value})
    assert response.status_code == 422
    assert [d["field"] for d in error(response)["details"]] == [name]


# --- The mapping itself -------------------------------------------------------------------


def test_a_path_error_is_not_found() -> None:
    mapped = validation_error_to_application_error(
        [{"type": "greater_than_equal", "loc": ("path", "book_id"), "msg": "x", "input": "0"}]
    )
    assert mapped.status == 404


def test_an_unparsed_body_is_a_content_type_error() -> None:
    mapped = validation_error_to_application_error(
        [{"type": "model_attributes_type", "loc": ("body",), "msg": "x", "input": b"title=Dune"}]
    )
    assert mapped.body() == {"error": {"code": "bad_request",
                                       "message": "Content type must be application/json."}}


def test_a_nested_location_names_the_top_level_field() -> None:
    mapped = validation_error_to_application_error(
        [{"type": "missing", "loc": ("body", "tags", 0, "name"), "msg": "Field required"}]
    )
    assert mapped.body()["error"]["details"] == [{"field": "tags", "message": "Field required"}]


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
