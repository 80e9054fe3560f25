"""POST {p}/auth/register."""

from __future__ import annotations

import pytest

from tests.contract.conftest import (
    PASSWORD,
    Account,
    Api,
    assert_error,
    detail_fields,
    detail_message,
)

USER_KEYS = {"id", "username", "email", "role", "is_active", "date_joined"}


def test_register_answers_201_with_the_user(api: Api) -> None:
    response = api.register("carol", "carol@example.com")
    assert response.status_code == 201, response.text
    user = response.json()["data"]
    assert set(user) == USER_KEYS
    assert user["username"] == "carol"
    assert user["email"] == "carol@example.com"
    assert user["is_active"] is True
    assert isinstance(user["id"], int)


def test_registered_user_has_role_user(api: Api) -> None:
    assert api.register("carol").json()["data"]["role"] == "user"


def test_registered_user_can_log_in(api: Api) -> None:
    api.register("carol")
    assert api.password_grant("carol").status_code == 200


def test_register_never_returns_the_password(api: Api) -> None:
    response = api.register("carol")
    assert "password" not in response.text
    assert PASSWORD not in response.text


def test_register_ignores_a_requested_role(api: Api) -> None:
    response = api.post(
        "/auth/register",
        json={"username": "carol", "email": "c@example.com", "password": PASSWORD, "role": "admin"},
    )
    assert response.status_code == 201
    assert response.json()["data"]["role"] == "user"


@pytest.mark.parametrize(
    "username",
    ["ab", "with space", "semi;colon", "x" * 151, ""],
    ids=["too-short", "space", "bad-char", "too-long", "empty"],
)
def test_register_rejects_a_bad_username(api: Api, username: str) -> None:
    response = api.register(username, "valid@example.com")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["username"]


# Each under 150 as typed, over 150 as stored: NFKC spells out ligatures and
# fractions (`ﬃ` is `ffi`, `¼` is `1⁄4`, U+FDFA is eighteen letters).
GROWS_UNDER_NFKC = ["\ufb03" * 50 + "1", "\u00bc" * 51 + "x", "\ufdfa" * 9 + "x"]
# Under 254 as typed; the domain lower-cased (as stored) is over: `İ` is two letters.
EMAIL_GROWS_WHEN_STORED = "a" * 60 + "@" + ".".join(["\u0130" * 40] * 4) + ".com"


@pytest.mark.parametrize("username", GROWS_UNDER_NFKC, ids=["ffi", "one-quarter", "fdfa"])
def test_register_refuses_a_username_too_long_once_normalized(api: Api, username: str) -> None:
    assert len(username) <= 150
    response = api.register(username, "grows@example.com")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["username"]
    # Nine U+FDFA are 162 letters once stored; eight (144) still fit.
    assert api.register("\ufdfa" * 8, "fits@example.com").status_code == 201


def test_register_refuses_an_email_too_long_once_stored(api: Api) -> None:
    assert len(EMAIL_GROWS_WHEN_STORED) <= 254
    response = api.register("carol", EMAIL_GROWS_WHEN_STORED)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["email"]


def test_register_accepts_username_of_150_allowed_chars(api: Api) -> None:
    username = ("a.b+c-d_e@" * 15)[:150]
    assert api.register(username, "long@example.com").status_code == 201


def test_register_rejects_a_bad_email(api: Api) -> None:
    response = api.register("carol", "not-an-email")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["email"]


def test_register_rejects_a_common_password_with_the_validator_message(api: Api) -> None:
    response = api.register("carol", password="password")
    assert_error(response, 422, "validation_error")
    assert "This password is too common." in detail_message(response, "password")


def test_register_rejects_a_numeric_short_password_with_every_message(api: Api) -> None:
    response = api.register("carol", password="1234")
    message = detail_message(response, "password")
    assert "This password is entirely numeric." in message
    assert "This password is too short." in message


def test_register_rejects_a_password_like_the_username(api: Api) -> None:
    response = api.register("carolinamaria", password="carolinamaria1")
    assert "too similar" in detail_message(response, "password")


def test_register_lists_every_bad_field_in_order(api: Api) -> None:
    response = api.register("a b", "nope", "123")
    assert detail_fields(response) == ["username", "email", "password"]


def test_register_reports_missing_fields(api: Api) -> None:
    response = api.post("/auth/register", json={})
    assert_error(response, 422, "validation_error")
    assert sorted(detail_fields(response)) == ["email", "password", "username"]


def test_register_reports_wrong_types(api: Api) -> None:
    response = api.post(
        "/auth/register", json={"username": ["x"], "email": "a@example.com", "password": PASSWORD}
    )
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["username"]


def test_register_duplicate_username_is_409_case_insensitive(api: Api, alice: Account) -> None:
    response = api.register("ALICE", "other@example.com")
    assert_error(response, 409, "conflict")


def test_register_duplicate_email_is_409_case_insensitive(api: Api, alice: Account) -> None:
    response = api.register("someone", alice.email.upper())
    assert_error(response, 409, "conflict")
