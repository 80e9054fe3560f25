"""Conventions every endpoint shares: headers, health, the error envelope."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.contract.conftest import Account, Api, Tokens, assert_error

HEALTHY = {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


# --- headers ---------------------------------------------------------------------


def test_request_id_is_echoed_when_sent(api: Api) -> None:
    response = api.get("/books", headers={"X-Request-ID": "req-abc.123"})
    assert response.headers["X-Request-ID"] == "req-abc.123"


def test_request_id_is_generated_when_absent(api: Api) -> None:
    first = api.get("/books").headers.get("X-Request-ID")
    second = api.get("/books").headers.get("X-Request-ID")
    assert first and second and first != second


def test_request_id_is_present_on_errors(api: Api) -> None:
    response = api.get("/no-such-path", headers={"X-Request-ID": "err-1"})
    assert response.headers["X-Request-ID"] == "err-1"


def test_served_by_names_the_framework(api: Api) -> None:
    assert api.get("/books").headers["X-Served-By"] == api.framework


def test_served_by_names_the_framework_on_errors(api: Api) -> None:
    assert api.get("/no-such-path").headers["X-Served-By"] == api.framework


def test_served_by_is_django_outside_the_prefixes(client: TestClient) -> None:
    assert client.get("/health").headers["X-Served-By"] == "django"


# --- health ----------------------------------------------------------------------------


def test_root_health_is_liveness(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_root_ready_reports_database_and_cache(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == HEALTHY


def test_prefixed_health_answers_the_same(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == HEALTHY


# --- the error envelope ------------------------------------------------------------------


def test_unknown_path_is_404_envelope(api: Api) -> None:
    assert_error(api.get("/no-such-path"), 404, "not_found")


def test_unknown_nested_path_is_404_envelope(api: Api) -> None:
    assert_error(api.get("/books/1/chapters"), 404, "not_found")


def test_non_integer_book_id_is_404(api: Api) -> None:
    assert_error(api.get("/books/abc"), 404, "not_found")


def test_wrong_method_is_405_with_allow(api: Api) -> None:
    response = api.delete("/books")
    assert_error(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "DELETE" not in allowed


def test_wrong_method_is_405_even_without_credentials(api: Api) -> None:
    """The method does not exist on the path: no credentials could make it exist."""
    assert_error(api.put("/users"), 405, "method_not_allowed")
    assert_error(api.get("/auth/logout"), 405, "method_not_allowed")


def test_wrong_method_on_detail_lists_the_detail_methods(api: Api) -> None:
    response = api.post("/books/1")
    assert_error(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "PUT", "PATCH", "DELETE"} <= allowed
    assert "POST" not in allowed


def test_invalid_json_is_400_bad_request(api: Api, alice_tokens: Tokens) -> None:
    response = api.post(
        "/books",
        content=b'{"title": "Dune",',
        headers={**alice_tokens.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "bad_request")


def test_json_list_body_is_400_bad_request(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/books", json=[{"title": "Dune"}], headers=alice_tokens.headers)
    assert_error(response, 400, "bad_request")


def test_wrong_content_type_is_400_bad_request(api: Api, alice_tokens: Tokens) -> None:
    response = api.post(
        "/books",
        content=b"title=Dune",
        headers={**alice_tokens.headers, "Content-Type": "text/plain"},
    )
    assert_error(response, 400, "bad_request")


def test_invalid_json_at_register_is_400(api: Api) -> None:
    response = api.post(
        "/auth/register", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


def test_success_bodies_are_wrapped_in_data(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    body = api.get("/auth/me", headers=alice_tokens.headers).json()
    assert set(body) == {"data"}
