"""errors.py and parsing.py: every failure in the shared envelope, in this app's words."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, OperationalError
from flask import Flask
from flask.testing import FlaskClient
from starlette.testclient import TestClient

from common.errors import (
    Conflict,
    OAuthError,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from mounted_apis.flask_app import ratelimit
from mounted_apis.flask_app.parsing import (
    MSG_MISSING,
    MSG_NOT_BOOLEAN,
    MSG_NOT_INTEGER,
    MSG_NOT_NULL,
    boolean,
    fields,
    integer,
    string,
)

from .conftest import PREFIX


def error(response) -> dict:
    body = response.get_json() if hasattr(response, "get_json") else response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- The handlers, on routes that raise ------------------------------------------------


@pytest.fixture
def raising_client(flask_app: Flask) -> FlaskClient:
    def raise_(exc: BaseException):
        def view() -> None:
            raise exc

        return view

    routes = {
        "/conflict": Conflict("A book with that ISBN already exists."),
        "/rate-limited": RateLimited(7, headers={"RateLimit": '"anon";r=0;t=7'}),
        "/oauth": OAuthError("invalid_grant", "Invalid username or password."),
        "/db-down": OperationalError("could not connect to server: secret-host:5432"),
        "/db-error": DatabaseError('relation "secret_table" does not exist'),
        "/bug": KeyError("SECRET_KEY"),
    }
    for path, exc in routes.items():
        flask_app.add_url_rule(path, endpoint=path, view_func=raise_(exc))
    return flask_app.test_client()


def test_an_application_error_keeps_its_status_body_and_headers(
    raising_client: FlaskClient,
) -> None:
    response = raising_client.get("/conflict")
    assert response.status_code == 409
    assert response.data == (
        b'{"error":{"code":"conflict","message":"A book with that ISBN already exists."}}'
    )
    limited = raising_client.get("/rate-limited")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["Cache-Control"] == "no-store"
    assert limited.headers["RateLimit"] == '"anon";r=0;t=7'


def test_an_oauth_error_has_rfc_6749s_shape(raising_client: FlaskClient) -> None:
    response = raising_client.get("/oauth")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_grant", "error_description": "Invalid username or password."
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_a_database_that_is_down_is_503(raising_client: FlaskClient) -> None:
    response = raising_client.get("/db-down")
    assert response.status_code == 503
    assert error(response)["code"] == "service_unavailable"
    assert b"secret-host" not in response.data


@pytest.mark.parametrize("path", ["/db-error", "/bug"])
def test_anything_else_is_500_without_details(raising_client: FlaskClient, path: str) -> None:
    response = raising_client.get(path)
    assert response.status_code == 500
    assert error(response) == {"code": "internal_error", "message": "An unexpected error occurred."}
    assert b"secret" not in response.data.lower()


# --- Routing: 404 and 405 -------------------------------------------------------------


def test_an_unknown_path_is_the_404_envelope(flask_client: FlaskClient) -> None:
    response = flask_client.get("/no/such/path")
    assert response.status_code == 404
    assert response.data == b'{"error":{"code":"not_found","message":"Not found."}}'


@pytest.mark.parametrize("path", ["/books/abc", "/books/\u0663", "/books/", "/books//1"])
def test_only_ascii_digit_ids_and_exact_paths_route(flask_client: FlaskClient, path: str) -> None:
    assert flask_client.get(path).status_code == 404


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "DELETE"])
def test_head_and_options_are_405_and_not_in_allow(flask_client: FlaskClient, method: str) -> None:
    response = flask_client.open("/books", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


# --- Bodies ---------------------------------------------------------------------------


# The body rule itself, at every prefix: tests/contract/test_json_bodies.py.


def test_a_bad_body_is_reported_only_after_authentication(client: TestClient) -> None:
    response = client.post(
        f"{PREFIX}/books", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_fields_reports_each_bad_field_in_declaration_order() -> None:
    expected = {
        "title": string(), "year": integer(), "isbn": string(required=False, nullable=True),
        "flag": boolean(required=False), "missing": string(),
    }
    with pytest.raises(ValidationFailed) as caught:
        fields({"flag": "true", "year": True, "title": None, "extra": 1}, expected)
    assert [d.as_dict() for d in caught.value.details] == [
        {"field": "title", "message": MSG_NOT_NULL},
        {"field": "year", "message": MSG_NOT_INTEGER},
        {"field": "flag", "message": MSG_NOT_BOOLEAN},
        {"field": "missing", "message": MSG_MISSING},
    ]


def test_fields_passes_on_only_what_was_sent() -> None:
    expected = {"title": string(), "isbn": string(required=False, nullable=True)}
    assert fields({"isbn": None, "other": 1}, expected, partial=True) == {"isbn": None}
    assert fields({"title": "Dune"}, expected) == {"title": "Dune"}
    assert fields({"title": "Dune", "year": 1999.0}, {"year": integer()}) == {"year": 1999}


# --- The token endpoint keeps its shape ------------------------------------------------


def test_the_token_endpoint_answers_a_limiter_outage_in_rfc_shape(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cache_down(policy, *, strict=False):
        raise ServiceUnavailable(retry_after=30)

    monkeypatch.setattr(ratelimit, "enforce", cache_down)
    response = client.post(f"{PREFIX}/auth/token", data={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert set(response.json()) == {"error", "error_description"}
    assert response.json()["error"] == "service_unavailable"
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
