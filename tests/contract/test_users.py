"""{p}/users: list (admin), detail, PATCH (self or admin), DELETE (soft delete)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contract.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    Account,
    Api,
    Tokens,
    assert_error,
    assert_oauth_error,
    detail_fields,
)

USER_KEYS = {"id", "username", "email", "role", "is_active", "date_joined"}


@pytest.fixture
def population(make_user: Callable[..., Account], admin: Account) -> dict[str, Account]:
    """Five users besides the admin: one other admin, one inactive."""
    return {
        "alice": make_user("alice"),
        "bob": make_user("bob", email="bob@books.test"),
        "carol": make_user("carol"),
        "dave": make_user("dave", role="admin"),
        "erin": make_user("erin", is_active=False),
    }


def usernames(body: dict) -> list[str]:
    return [user["username"] for user in body["data"]]


# --- list ------------------------------------------------------------------------------


def test_admin_lists_users_paginated(
    api: Api, population: dict[str, Account], admin_tokens: Tokens
) -> None:
    response = api.get("/users", headers=admin_tokens.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == {"page": 1, "page_size": 20, "total": 6, "pages": 1}
    assert usernames(body) == ["root", "alice", "bob", "carol", "dave", "erin"]
    assert all(set(user) == USER_KEYS for user in body["data"])


def test_user_list_never_shows_password_hashes(
    api: Api, population: dict[str, Account], admin_tokens: Tokens
) -> None:
    response = api.get("/users", headers=admin_tokens.headers)
    assert "password" not in response.text
    assert "md5$" not in response.text


def test_user_list_pages(api: Api, population: dict[str, Account], admin_tokens: Tokens) -> None:
    body = api.get("/users?page=2&page_size=4", headers=admin_tokens.headers).json()
    assert body["meta"] == {"page": 2, "page_size": 4, "total": 6, "pages": 2}
    assert usernames(body) == ["dave", "erin"]


def test_user_list_search_matches_username_or_email(
    api: Api, population: dict[str, Account], admin_tokens: Tokens
) -> None:
    assert usernames(api.get("/users?search=CAR", headers=admin_tokens.headers).json()) == ["carol"]
    by_email = api.get("/users?search=books.test", headers=admin_tokens.headers).json()
    assert usernames(by_email) == ["bob"]


def test_user_list_filters_by_role(
    api: Api, population: dict[str, Account], admin_tokens: Tokens
) -> None:
    body = api.get("/users?role=admin", headers=admin_tokens.headers).json()
    assert usernames(body) == ["root", "dave"]


def test_user_list_filters_by_is_active(
    api: Api, population: dict[str, Account], admin_tokens: Tokens
) -> None:
    body = api.get("/users?is_active=false", headers=admin_tokens.headers).json()
    assert usernames(body) == ["erin"]


def test_user_list_rejects_an_unknown_role(
    api: Api, population: dict[str, Account], admin_tokens: Tokens
) -> None:
    response = api.get("/users?role=superhero", headers=admin_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["role"]


def test_user_list_is_403_for_users(api: Api, alice_tokens: Tokens) -> None:
    assert_error(api.get("/users", headers=alice_tokens.headers), 403, "permission_denied")


def test_user_list_is_401_for_anonymous(api: Api) -> None:
    assert_error(api.get("/users"), 401, "not_authenticated")


# --- detail ---------------------------------------------------------------------------------


def test_user_reads_themself(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.get(f"/users/{alice.id}", headers=alice_tokens.headers)
    assert response.status_code == 200
    assert response.json()["data"]["username"] == "alice"
    assert set(response.json()["data"]) == USER_KEYS


def test_user_reading_another_user_is_403(api: Api, alice_tokens: Tokens, bob: Account) -> None:
    assert_error(
        api.get(f"/users/{bob.id}", headers=alice_tokens.headers), 403, "permission_denied"
    )


def test_user_reading_a_missing_id_is_403_too(api: Api, alice_tokens: Tokens, bob: Account) -> None:
    existing = api.get(f"/users/{bob.id}", headers=alice_tokens.headers)
    missing = api.get("/users/999999", headers=alice_tokens.headers)
    assert_error(missing, 403, "permission_denied")
    assert missing.json() == existing.json()


def test_admin_reads_any_user(api: Api, admin_tokens: Tokens, bob: Account) -> None:
    response = api.get(f"/users/{bob.id}", headers=admin_tokens.headers)
    assert response.status_code == 200
    assert response.json()["data"]["id"] == bob.id


def test_admin_reading_a_missing_user_is_404(api: Api, admin_tokens: Tokens) -> None:
    assert_error(api.get("/users/999999", headers=admin_tokens.headers), 404, "not_found")


def test_anonymous_reading_a_user_is_401(api: Api, alice: Account) -> None:
    assert_error(api.get(f"/users/{alice.id}"), 401, "not_authenticated")


# --- PATCH ------------------------------------------------------------------------------------


def test_user_changes_own_email(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.patch(
        f"/users/{alice.id}", json={"email": "new@example.com"}, headers=alice_tokens.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["email"] == "new@example.com"
    me = api.get("/auth/me", headers=alice_tokens.headers).json()["data"]
    assert me["email"] == "new@example.com"


def test_changing_email_to_a_taken_one_is_409(
    api: Api, alice: Account, alice_tokens: Tokens, bob: Account
) -> None:
    response = api.patch(
        f"/users/{alice.id}", json={"email": bob.email.upper()}, headers=alice_tokens.headers
    )
    assert_error(response, 409, "conflict")


def test_changing_email_to_one_too_long_once_stored_is_422(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    # 228 characters as typed, 388 with the domain lower-cased (`İ` is two letters).
    email = "a" * 60 + "@" + ".".join(["\u0130" * 40] * 4) + ".com"
    response = api.patch(f"/users/{alice.id}", json={"email": email}, headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["email"]


def test_changing_email_to_an_invalid_one_is_422(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    response = api.patch(f"/users/{alice.id}", json={"email": "nope"}, headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["email"]


def test_user_patching_another_user_is_403(api: Api, alice_tokens: Tokens, bob: Account) -> None:
    response = api.patch(
        f"/users/{bob.id}", json={"email": "x@example.com"}, headers=alice_tokens.headers
    )
    assert_error(response, 403, "permission_denied")


def test_user_changing_own_role_is_403(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.patch(f"/users/{alice.id}", json={"role": "admin"}, headers=alice_tokens.headers)
    assert_error(response, 403, "permission_denied")


def test_user_changing_own_is_active_is_403(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.patch(
        f"/users/{alice.id}", json={"is_active": False}, headers=alice_tokens.headers
    )
    assert_error(response, 403, "permission_denied")


def test_password_change_needs_current_password(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    response = api.patch(
        f"/users/{alice.id}", json={"password": NEW_PASSWORD}, headers=alice_tokens.headers
    )
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["current_password"]


def test_password_change_refuses_a_wrong_current_password(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    response = api.patch(
        f"/users/{alice.id}",
        json={"password": NEW_PASSWORD, "current_password": "Not-The-Password-1"},
        headers=alice_tokens.headers,
    )
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["current_password"]


def test_password_change_checks_the_validators(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    response = api.patch(
        f"/users/{alice.id}",
        json={"password": "password", "current_password": PASSWORD},
        headers=alice_tokens.headers,
    )
    assert_error(response, 422, "validation_error")
    assert "password" in detail_fields(response)


def _change_password(api: Api, alice: Account, tokens: Tokens) -> None:
    response = api.patch(
        f"/users/{alice.id}",
        json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=tokens.headers,
    )
    assert response.status_code == 200, response.text


def test_password_change_revokes_the_callers_access_token(
    api: Api, apis: list[Api], alice: Account, alice_tokens: Tokens
) -> None:
    _change_password(api, alice, alice_tokens)
    for each in apis:
        assert_error(each.get("/auth/me", headers=alice_tokens.headers), 401, "invalid_token")


def test_password_change_revokes_other_logins(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    other_login = api.login(alice.username)
    _change_password(api, alice, alice_tokens)
    assert_error(api.get("/auth/me", headers=other_login.headers), 401, "invalid_token")
    assert_oauth_error(api.refresh_grant(other_login.refresh), 400, "invalid_grant")


def test_password_change_lets_the_new_password_log_in(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    _change_password(api, alice, alice_tokens)
    assert_oauth_error(api.password_grant(alice.username, PASSWORD), 400, "invalid_grant")
    fresh = api.login(alice.username, NEW_PASSWORD)
    assert api.get("/auth/me", headers=fresh.headers).status_code == 200


def test_admin_promotes_a_user(api: Api, admin_tokens: Tokens, bob: Account) -> None:
    response = api.patch(f"/users/{bob.id}", json={"role": "admin"}, headers=admin_tokens.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["role"] == "admin"
    promoted = api.login(bob.username)
    assert api.get("/users", headers=promoted.headers).status_code == 200


def test_admin_setting_an_unknown_role_is_422(api: Api, admin_tokens: Tokens, bob: Account) -> None:
    response = api.patch(f"/users/{bob.id}", json={"role": "god"}, headers=admin_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["role"]


def test_admin_deactivates_a_user(api: Api, admin_tokens: Tokens, bob: Account) -> None:
    response = api.patch(
        f"/users/{bob.id}", json={"is_active": False}, headers=admin_tokens.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["is_active"] is False


def test_deactivated_users_tokens_are_refused(
    api: Api, admin_tokens: Tokens, bob: Account, bob_tokens: Tokens
) -> None:
    api.patch(f"/users/{bob.id}", json={"is_active": False}, headers=admin_tokens.headers)
    assert_error(api.get("/auth/me", headers=bob_tokens.headers), 401, "invalid_token")
    assert_oauth_error(api.refresh_grant(bob_tokens.refresh), 400, "invalid_grant")


def test_deactivated_user_cannot_log_in(api: Api, admin_tokens: Tokens, bob: Account) -> None:
    api.patch(f"/users/{bob.id}", json={"is_active": False}, headers=admin_tokens.headers)
    assert_oauth_error(api.password_grant(bob.username), 400, "invalid_grant")


def test_admin_patching_a_missing_user_is_404(api: Api, admin_tokens: Tokens) -> None:
    response = api.patch("/users/999999", json={"role": "admin"}, headers=admin_tokens.headers)
    assert_error(response, 404, "not_found")


# --- DELETE (soft) ----------------------------------------------------------------------------


def test_user_deletes_themself(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.delete(f"/users/{alice.id}", headers=alice_tokens.headers)
    assert response.status_code == 204
    assert response.content == b""


def test_deleted_user_cannot_log_in(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    api.delete(f"/users/{alice.id}", headers=alice_tokens.headers)
    assert_oauth_error(api.password_grant(alice.username), 400, "invalid_grant")


def test_deleted_users_tokens_are_refused(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    api.delete(f"/users/{alice.id}", headers=alice_tokens.headers)
    assert_error(api.get("/auth/me", headers=alice_tokens.headers), 401, "invalid_token")
    assert_oauth_error(api.refresh_grant(alice_tokens.refresh), 400, "invalid_grant")


def test_deleted_users_row_stays_inactive(
    api: Api, admin_tokens: Tokens, alice: Account, alice_tokens: Tokens
) -> None:
    api.delete(f"/users/{alice.id}", headers=alice_tokens.headers)
    response = api.get(f"/users/{alice.id}", headers=admin_tokens.headers)
    assert response.status_code == 200
    assert response.json()["data"]["is_active"] is False


def test_deleted_users_books_stay(
    api: Api, alice: Account, alice_tokens: Tokens, make_book: Callable[..., int]
) -> None:
    book_id = make_book(alice)
    api.delete(f"/users/{alice.id}", headers=alice_tokens.headers)
    response = api.get(f"/books/{book_id}")
    assert response.status_code == 200
    assert response.json()["data"]["created_by"] == alice.id


def test_admin_deletes_a_user(api: Api, admin_tokens: Tokens, bob: Account) -> None:
    assert api.delete(f"/users/{bob.id}", headers=admin_tokens.headers).status_code == 204
    assert_oauth_error(api.password_grant(bob.username), 400, "invalid_grant")


def test_user_deleting_another_user_is_403(api: Api, alice_tokens: Tokens, bob: Account) -> None:
    response = api.delete(f"/users/{bob.id}", headers=alice_tokens.headers)
    assert_error(response, 403, "permission_denied")
    assert api.password_grant(bob.username).status_code == 200


def test_anonymous_delete_is_401(api: Api, bob: Account) -> None:
    assert_error(api.delete(f"/users/{bob.id}"), 401, "not_authenticated")
