"""The token endpoint's form, read the way OAuth2PasswordRequestForm reads one."""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import PASSWORD, PREFIX


def test_grant_type_may_be_left_out(client: TestClient, alice) -> None:
    response = client.post(f"{PREFIX}/auth/token",
                           data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_refresh_grant_reads_the_same_form(client: TestClient, alice) -> None:
    login = client.post(f"{PREFIX}/auth/token", data={"username": "alice", "password": PASSWORD})
    response = client.post(f"{PREFIX}/auth/token", data={
        "grant_type": "refresh_token", "refresh_token": login.json()["refresh_token"]})
    assert response.status_code == 200
    assert response.json()["refresh_token"] != login.json()["refresh_token"]


def test_a_missing_field_is_invalid_request_in_rfc_6749s_shape(client: TestClient) -> None:
    response = client.post(f"{PREFIX}/auth/token", data={"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert set(response.json()) == {"error", "error_description"}


def test_a_json_body_is_not_a_form(client: TestClient) -> None:
    response = client.post(f"{PREFIX}/auth/token", json={"username": "alice", "password": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_an_unknown_grant_is_unsupported(client: TestClient) -> None:
    response = client.post(f"{PREFIX}/auth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
