"""The DRF endpoints under /api/drf: status codes, bodies, headers."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from common.errors import MSG_INVALID_TOKEN, MSG_NOT_AUTHENTICATED

from .conftest import NEW_PASSWORD, PASSWORD

P = "/api/drf"
USER_KEYS = {"id", "username", "email", "role", "is_active", "date_joined"}


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def login(client: APIClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post(
        f"{P}/auth/token",
        data=f"grant_type=password&username={username}&password={password}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    return response.json()


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


# --- register ------------------------------------------------------------------------------


def test_register(client: APIClient, db: None) -> None:
    response = client.post(
        f"{P}/auth/register",
        {"username": "carol", "email": "carol@example.com", "password": PASSWORD, "role": "admin"},
        format="json",
    )
    assert response.status_code == 201, response.content
    user = response.json()["data"]
    assert set(user) == USER_KEYS
    assert user["role"] == "user" and user["is_active"] is True
    assert user["date_joined"].endswith("Z")
    assert "password" not in response.content.decode()


def test_register_validation_is_the_domains(client: APIClient, db: None) -> None:
    response = client.post(
        f"{P}/auth/register", {"username": "a b", "email": "nope", "password": "123"},
        format="json",
    )
    error = error_of(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["username", "email", "password"]


def test_register_type_errors(client: APIClient, db: None) -> None:
    response = client.post(
        f"{P}/auth/register", {"username": 123, "email": None}, format="json"
    )
    error = error_of(response, 422, "validation_error")
    assert error["details"] == [
        {"field": "username", "message": "Not a valid string."},
        {"field": "email", "message": "This field may not be null."},
        {"field": "password", "message": "This field is required."},
    ]


def test_register_conflict(client: APIClient, alice: User) -> None:
    response = client.post(
        f"{P}/auth/register",
        {"username": "Alice", "email": "x@example.com", "password": PASSWORD}, format="json",
    )
    message = error_of(response, 409, "conflict")["message"]
    assert message == "A user with that username already exists."


def test_register_body_must_be_an_object(client: APIClient, db: None) -> None:
    error_of(client.post(f"{P}/auth/register", [1, 2], format="json"), 400, "bad_request")


# --- token ----------------------------------------------------------------------------------


def test_token_success_is_not_cached(client: APIClient, alice: User) -> None:
    response = client.post(
        f"{P}/auth/token", data=f"username=alice&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json()["token_type"] == "bearer"


def test_token_errors_use_the_rfc_shape(client: APIClient, alice: User) -> None:
    response = client.post(
        f"{P}/auth/token", data="username=alice&password=nope",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant", "error_description": "Invalid username or password."
    }
    assert response["Cache-Control"] == "no-store"


def test_token_json_body_is_invalid_request(client: APIClient, db: None) -> None:
    response = client.post(f"{P}/auth/token", {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_token_lockout_keeps_the_rfc_shape(
    client: APIClient, alice: User, settings: Any
) -> None:
    settings.LOGIN_MAX_FAILURES = 2
    form = "username=alice&password=nope"
    for _ in range(2):
        client.post(f"{P}/auth/token", data=form, content_type="application/x-www-form-urlencoded")
    response = client.post(
        f"{P}/auth/token", data=f"username=alice&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 429
    assert response.json()["error"] == "locked_out"
    assert "Retry-After" in response and response["Cache-Control"] == "no-store"


def test_token_ignores_a_bad_authorization_header(client: APIClient, alice: User) -> None:
    response = client.post(
        f"{P}/auth/token", data=f"username=alice&password={PASSWORD}",
        content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION="Bearer junk",
    )
    assert response.status_code == 200


# --- refresh -------------------------------------------------------------------------------


def test_refresh(client: APIClient, alice: User) -> None:
    tokens = login(client, "alice")
    response = client.post(
        f"{P}/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    again = client.post(
        f"{P}/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert error_of(again, 400, "invalid_grant")["message"]


def test_refresh_requires_the_field(client: APIClient, db: None) -> None:
    error = error_of(client.post(f"{P}/auth/refresh", {}, format="json"), 422, "validation_error")
    assert error["details"] == [{"field": "refresh_token", "message": "This field is required."}]


# --- me, logout -----------------------------------------------------------------------------


def test_me(client: APIClient, alice: User) -> None:
    response = client.get(f"{P}/auth/me", **bearer(login(client, "alice")))
    assert response.status_code == 200
    assert response.json()["data"]["username"] == "alice"


def test_me_without_token(client: APIClient, db: None) -> None:
    response = client.get(f"{P}/auth/me")
    assert error_of(response, 401, "not_authenticated")["message"] == MSG_NOT_AUTHENTICATED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("header", ["Bearer", "Bearer junk", "Bearer a b"])
def test_me_with_a_bad_token(client: APIClient, db: None, header: str) -> None:
    response = client.get(f"{P}/auth/me", HTTP_AUTHORIZATION=header)
    assert error_of(response, 401, "invalid_token")["message"] == MSG_INVALID_TOKEN
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_me_with_another_scheme_is_anonymous(client: APIClient, db: None) -> None:
    response = client.get(f"{P}/auth/me", HTTP_AUTHORIZATION="Basic YWxpY2U6cGFzcw==")
    error_of(response, 401, "not_authenticated")


def test_me_with_a_refresh_token(client: APIClient, alice: User) -> None:
    tokens = login(client, "alice")
    response = client.get(f"{P}/auth/me", HTTP_AUTHORIZATION=f"Bearer {tokens['refresh_token']}")
    error_of(response, 401, "invalid_token")


def test_logout(client: APIClient, alice: User) -> None:
    tokens = login(client, "alice")
    response = client.post(
        f"{P}/auth/logout", {"refresh_token": tokens["refresh_token"]}, format="json",
        **bearer(tokens),
    )
    assert response.status_code == 204 and response.content == b""
    error_of(client.get(f"{P}/auth/me", **bearer(tokens)), 401, "invalid_token")
    refresh = client.post(
        f"{P}/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    error_of(refresh, 400, "invalid_grant")


def test_logout_without_body(client: APIClient, alice: User) -> None:
    tokens = login(client, "alice")
    assert client.post(f"{P}/auth/logout", **bearer(tokens)).status_code == 204
    error_of(client.post(f"{P}/auth/logout", **bearer(tokens)), 401, "invalid_token")


def test_logout_needs_a_token(client: APIClient, db: None) -> None:
    error_of(client.post(f"{P}/auth/logout"), 401, "not_authenticated")


# --- users -----------------------------------------------------------------------------------


def test_users_list_for_admins(client: APIClient, alice: User, bob: User, admin_user: User) -> None:
    response = client.get(f"{P}/users?page_size=2&search=example", **bearer(login(client, "root")))
    assert response.status_code == 200, response.content
    body = response.json()
    assert [u["username"] for u in body["data"]] == ["alice", "bob"]
    assert body["meta"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    assert body["links"]["next"] == "http://testserver/api/drf/users?page_size=2&search=example&page=2"
    assert body["links"]["prev"] is None
    assert "md5$" not in response.content.decode()


def test_users_list_bad_parameters(client: APIClient, admin_user: User) -> None:
    response = client.get(f"{P}/users?role=god&page=0", **bearer(login(client, "root")))
    error = error_of(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["role", "page"]


def test_users_list_is_admin_only(client: APIClient, alice: User) -> None:
    error_of(client.get(f"{P}/users"), 401, "not_authenticated")
    error_of(client.get(f"{P}/users", **bearer(login(client, "alice"))), 403, "permission_denied")


def test_user_detail_visibility(
    client: APIClient, alice: User, bob: User, admin_user: User
) -> None:
    alices = bearer(login(client, "alice"))
    assert client.get(f"{P}/users/{alice.pk}", **alices).json()["data"]["id"] == alice.pk
    existing = client.get(f"{P}/users/{bob.pk}", **alices)
    missing = client.get(f"{P}/users/999999", **alices)
    error_of(existing, 403, "permission_denied")
    assert existing.json() == missing.json()
    roots = bearer(login(client, "root"))
    assert client.get(f"{P}/users/{bob.pk}", **roots).status_code == 200
    error_of(client.get(f"{P}/users/999999", **roots), 404, "not_found")
    error_of(client.get(f"{P}/users/abc", **roots), 404, "not_found")


def test_user_patch(client: APIClient, alice: User, admin_user: User) -> None:
    alices = bearer(login(client, "alice"))
    url = f"{P}/users/{alice.pk}"
    response = client.patch(url, {"email": "new@example.com"}, format="json", **alices)
    assert response.json()["data"]["email"] == "new@example.com"
    response = client.patch(url, {"role": "admin"}, format="json", **alices)
    error_of(response, 403, "permission_denied")
    error = error_of(
        client.patch(url, {"is_active": "false"}, format="json", **alices), 422, "validation_error"
    )
    assert error["details"] == [{"field": "is_active", "message": "Must be a valid boolean."}]
    response = client.patch(
        url, {"password": NEW_PASSWORD, "current_password": PASSWORD}, format="json", **alices
    )
    assert response.status_code == 200
    error_of(client.get(f"{P}/auth/me", **alices), 401, "invalid_token")  # own token revoked
    login(client, "alice", NEW_PASSWORD)


def test_admin_patch_and_delete(client: APIClient, bob: User, admin_user: User) -> None:
    bobs = login(client, "bob")
    roots = bearer(login(client, "root"))
    url = f"{P}/users/{bob.pk}"
    response = client.patch(url, {"role": "admin", "is_active": False}, format="json", **roots)
    assert response.json()["data"]["role"] == "admin"
    assert response.json()["data"]["is_active"] is False
    error_of(client.get(f"{P}/auth/me", **bearer(bobs)), 401, "invalid_token")
    assert client.delete(url, **roots).status_code == 204
    assert client.get(url, **roots).json()["data"]["is_active"] is False


def test_user_deletes_themself(client: APIClient, alice: User) -> None:
    tokens = login(client, "alice")
    response = client.delete(f"{P}/users/{alice.pk}", **bearer(tokens))
    assert response.status_code == 204 and response.content == b""
    assert User.objects.get(pk=alice.pk).deleted_at is not None
    error_of(client.get(f"{P}/auth/me", **bearer(tokens)), 401, "invalid_token")


def test_openapi_describes_the_password_flow(client: APIClient, db: None) -> None:
    schema = client.get(f"{P}/openapi.json", HTTP_ACCEPT="application/json").json()
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/drf/auth/token"
    responses = schema["paths"]["/api/drf/users/{id}"]["patch"]["responses"]
    assert {"401", "403", "404", "409", "422", "429"} <= set(responses)
