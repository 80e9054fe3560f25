"""POST {p}/auth/token (OAuth2, RFC 6749), the JWTs it issues, /auth/refresh, /auth/me."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.contract.conftest import (
    PASSWORD,
    Account,
    Api,
    Tokens,
    assert_error,
    assert_oauth_error,
    bearer,
    detail_fields,
)

TOKEN_KEYS = {"access_token", "refresh_token", "token_type", "expires_in"}


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def lifetime_seconds(name: str) -> int:
    """A token lifetime from settings.SIMPLE_JWT, in whole seconds."""
    return int(settings.SIMPLE_JWT[name].total_seconds())


def forge(claims: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    """Re-sign `claims`; by default with the server's own key and algorithm."""
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"] if key is None else key
    return jwt.encode(claims, signing_key, algorithm=algorithm)


# --- password grant ------------------------------------------------------------------


def test_password_grant_issues_a_token_pair(api: Api, alice: Account) -> None:
    response = api.password_grant(alice.username)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == lifetime_seconds("ACCESS_TOKEN_LIFETIME")


def test_token_response_is_not_cached(api: Api, alice: Account) -> None:
    response = api.password_grant(alice.username)
    assert "no-store" in response.headers["Cache-Control"]


def test_grant_type_may_be_omitted(api: Api, alice: Account) -> None:
    response = api.token(username=alice.username, password=PASSWORD)
    assert response.status_code == 200, response.text
    assert set(response.json()) == TOKEN_KEYS


def test_username_is_case_insensitive_at_login(api: Api, alice: Account) -> None:
    assert api.password_grant(alice.username.upper()).status_code == 200


def test_wrong_password_is_invalid_grant(api: Api, alice: Account) -> None:
    assert_oauth_error(api.password_grant(alice.username, "Wrong-Password-1"), 400, "invalid_grant")


def test_unknown_user_is_invalid_grant(api: Api) -> None:
    assert_oauth_error(api.password_grant("nobody"), 400, "invalid_grant")


def test_unknown_user_and_wrong_password_answer_the_same_body(api: Api, alice: Account) -> None:
    wrong_password = api.password_grant(alice.username, "Wrong-Password-1")
    unknown_user = api.password_grant("nobody", "Wrong-Password-1")
    assert wrong_password.json() == unknown_user.json()


def test_unknown_user_still_costs_a_password_hash(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "About the same time": an unknown name must not skip the (slow) hasher."""
    calls: list[str] = []
    for name in ("encode", "verify"):
        original = getattr(MD5PasswordHasher, name)

        def counting(
            self: MD5PasswordHasher, *args: Any, _f: Any = original, _n: str = name
        ) -> Any:
            calls.append(_n)
            return _f(self, *args)

        monkeypatch.setattr(MD5PasswordHasher, name, counting)
    api.password_grant("nobody", "Wrong-Password-1")
    assert calls


def test_inactive_user_is_invalid_grant(api: Api, make_user: Callable[..., Account]) -> None:
    dormant = make_user("dormant", is_active=False)
    response = api.password_grant(dormant.username)
    assert_oauth_error(response, 400, "invalid_grant")


def test_inactive_user_answers_like_a_wrong_password(
    api: Api, make_user: Callable[..., Account], alice: Account
) -> None:
    dormant = make_user("dormant", is_active=False)
    wrong_password = api.password_grant(alice.username, "Wrong-Password-1")
    assert api.password_grant(dormant.username).json() == wrong_password.json()


def test_unsupported_grant_type(api: Api) -> None:
    response = api.token(grant_type="client_credentials")
    assert_oauth_error(response, 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    "form",
    [{"grant_type": "password", "username": "alice"}, {"grant_type": "password", "password": "x"}],
    ids=["no-password", "no-username"],
)
def test_password_grant_missing_field_is_invalid_request(api: Api, form: dict[str, str]) -> None:
    assert_oauth_error(api.token(**form), 400, "invalid_request")


def test_refresh_grant_missing_token_is_invalid_request(api: Api) -> None:
    assert_oauth_error(api.token(grant_type="refresh_token"), 400, "invalid_request")


def test_refresh_grant_with_garbage_is_invalid_grant(api: Api) -> None:
    assert_oauth_error(api.refresh_grant("not-a-token"), 400, "invalid_grant")


# --- the JWTs --------------------------------------------------------------------------


def test_access_token_is_hs256(api: Api, alice_tokens: Tokens) -> None:
    assert jwt.get_unverified_header(alice_tokens.access)["alg"] == "HS256"


def test_access_token_claims(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    claims = claims_of(alice_tokens.access)
    assert {"sub", "exp", "iat", "jti", "role", "token_type", "aud", "iss"} <= set(claims)
    assert str(claims["sub"]) == str(alice.id)
    assert claims["role"] == "user"
    assert claims["token_type"] == "access"
    assert claims["iss"] == settings.SIMPLE_JWT["ISSUER"]
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert settings.SIMPLE_JWT["AUDIENCE"] in audience


def test_access_token_lifetime_is_the_setting(api: Api, alice_tokens: Tokens) -> None:
    claims = claims_of(alice_tokens.access)
    assert claims["exp"] - claims["iat"] == lifetime_seconds("ACCESS_TOKEN_LIFETIME")
    assert abs(claims["iat"] - time.time()) < 60


def test_access_token_is_signed_with_the_jwt_key_not_the_secret_key(
    api: Api, alice_tokens: Tokens
) -> None:
    jwt.decode(
        alice_tokens.access,
        settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            alice_tokens.access,
            settings.SECRET_KEY,
            algorithms=["HS256"],
            options={"verify_aud": False},
        )


def test_refresh_token_claims(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    claims = claims_of(alice_tokens.refresh)
    assert claims["token_type"] == "refresh"
    assert str(claims["sub"]) == str(alice.id)
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == lifetime_seconds("REFRESH_TOKEN_LIFETIME")


def test_token_lifetimes_follow_the_settings(
    api: Api, alice: Account, settings: SettingsWrapper
) -> None:
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=120),
        "REFRESH_TOKEN_LIFETIME": timedelta(seconds=300),
    }
    body = api.password_grant(alice.username).json()
    assert body["expires_in"] == 120
    access, refresh = claims_of(body["access_token"]), claims_of(body["refresh_token"])
    assert access["exp"] - access["iat"] == 120
    assert refresh["exp"] - refresh["iat"] == 300


def test_a_login_chain_ends_with_its_family_lifetime(
    api: Api, alice: Account, settings: SettingsWrapper
) -> None:
    settings.REFRESH_FAMILY_LIFETIME = timedelta(seconds=1)
    tokens = api.login(alice.username)
    with time_machine.travel(timedelta(seconds=2)):  # the clock, 2 s on
        assert_oauth_error(api.refresh_grant(tokens.refresh), 400, "invalid_grant")


def test_role_claim_says_admin_for_admins(api: Api, admin_tokens: Tokens) -> None:
    assert claims_of(admin_tokens.access)["role"] == "admin"


def test_every_login_gets_a_fresh_jti(api: Api, alice: Account) -> None:
    first = claims_of(api.login(alice.username).access)["jti"]
    second = claims_of(api.login(alice.username).access)["jti"]
    assert first != second


def test_a_token_re_signed_with_the_server_key_is_accepted(api: Api, alice_tokens: Tokens) -> None:
    """Control for the forgery tests below: only the changed part makes them fail."""
    token = forge(claims_of(alice_tokens.access))
    assert api.get("/auth/me", headers=bearer(token)).status_code == 200


def _forgeries(access: str) -> dict[str, str]:
    claims = claims_of(access)
    return {
        "alg-none": jwt.encode(claims, None, algorithm="none"),
        "hs512": forge(claims, algorithm="HS512"),
        "other-key": forge(claims, key="another-key-" + "x" * 40),
        "secret-key": forge(claims, key=settings.SECRET_KEY),
        "expired": forge({**claims, "iat": claims["iat"] - 3600, "exp": int(time.time()) - 60}),
        "wrong-audience": forge({**claims, "aud": "someone-else"}),
        "wrong-issuer": forge({**claims, "iss": "someone-else"}),
        "no-audience": forge({k: v for k, v in claims.items() if k != "aud"}),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "alg-none",
        "hs512",
        "other-key",
        "secret-key",
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "no-audience",
    ],
)
def test_a_forged_access_token_is_refused(api: Api, alice_tokens: Tokens, forgery: str) -> None:
    token = _forgeries(alice_tokens.access)[forgery]
    response = api.get("/auth/me", headers=bearer(token))
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


# Signed with the server's key: only a claim is malformed (RFC 7519: the token is invalid).
ODD_CLAIMS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "exp-numeric-string": lambda c: {**c, "exp": str(c["exp"])},
    "exp-word": lambda c: {**c, "exp": "tomorrow"},
    "exp-10e30": lambda c: {**c, "exp": 10**30},
    "exp-float-1e30": lambda c: {**c, "exp": 1e30},
    "exp-infinity": lambda c: {**c, "exp": float("inf")},
    "exp-null": lambda c: {**c, "exp": None},
    "exp-true": lambda c: {**c, "exp": True},
    "exp-list": lambda c: {**c, "exp": [c["exp"]]},
    "iat-numeric-string": lambda c: {**c, "iat": str(c["iat"])},
    "iat-10e30": lambda c: {**c, "iat": 10**30},
    "iat-negative": lambda c: {**c, "iat": -(10**30)},
    "nbf-numeric-string": lambda c: {**c, "nbf": str(c["iat"])},
    "nbf-10e30": lambda c: {**c, "nbf": 10**30},
    "nbf-negative-huge": lambda c: {**c, "nbf": -(10**30)},
    "sub-word": lambda c: {**c, "sub": "alice"},
    "sub-decimal": lambda c: {**c, "sub": "1.5"},
    "sub-huge": lambda c: {**c, "sub": "9" * 40},
    "sub-integer": lambda c: {**c, "sub": int(c["sub"])},
    "sub-object": lambda c: {**c, "sub": {"id": c["sub"]}},
    "sub-zero": lambda c: {**c, "sub": "0"},
}


@pytest.mark.parametrize("odd", list(ODD_CLAIMS))
def test_an_access_token_with_a_malformed_claim_is_invalid_token(
    api: Api, alice_tokens: Tokens, odd: str
) -> None:
    token = forge(ODD_CLAIMS[odd](claims_of(alice_tokens.access)))
    response = api.get("/auth/me", headers=bearer(token))
    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize("odd", list(ODD_CLAIMS))
def test_a_refresh_token_with_a_malformed_claim_is_invalid_grant(
    api: Api, alice_tokens: Tokens, odd: str
) -> None:
    token = forge(ODD_CLAIMS[odd](claims_of(alice_tokens.refresh)))
    assert_oauth_error(api.refresh_grant(token), 400, "invalid_grant")
    response = api.post("/auth/refresh", json={"refresh_token": token})
    assert_error(response, 400, "invalid_grant")


def test_a_refresh_token_is_not_an_access_token(api: Api, alice_tokens: Tokens) -> None:
    response = api.get("/auth/me", headers=bearer(alice_tokens.refresh))
    assert_error(response, 401, "invalid_token")


def test_an_access_token_is_not_a_refresh_token(api: Api, alice_tokens: Tokens) -> None:
    assert_oauth_error(api.refresh_grant(alice_tokens.access), 400, "invalid_grant")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer not.a.jwt", "Basic YWxpY2U6cGFzcw==", "Bearer a b"],
    ids=["empty", "garbage", "basic", "two-parts"],
)
def test_a_malformed_authorization_header_is_refused(api: Api, authorization: str) -> None:
    response = api.get("/auth/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- /auth/me ----------------------------------------------------------------------------


def test_me_returns_the_caller(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.get("/auth/me", headers=alice_tokens.headers)
    assert response.status_code == 200
    user = response.json()["data"]
    assert user["id"] == alice.id
    assert user["username"] == alice.username
    assert user["role"] == "user"
    assert "password" not in response.text


def test_me_without_a_token_is_401_not_authenticated(api: Api) -> None:
    response = api.get("/auth/me")
    assert_error(response, 401, "not_authenticated")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert "error=" not in challenge


# --- refresh and rotation ---------------------------------------------------------------


def test_refresh_grant_issues_a_new_pair(api: Api, alice_tokens: Tokens) -> None:
    response = api.refresh_grant(alice_tokens.refresh)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "bearer"
    assert "no-store" in response.headers["Cache-Control"]


def test_refresh_rotates_the_refresh_token(api: Api, alice_tokens: Tokens) -> None:
    rotated = Tokens.from_body(api.refresh_grant(alice_tokens.refresh).json())
    assert rotated.refresh != alice_tokens.refresh
    assert api.get("/auth/me", headers=rotated.headers).status_code == 200


def test_a_rotated_refresh_token_keeps_working_down_the_chain(
    api: Api, alice_tokens: Tokens
) -> None:
    second = Tokens.from_body(api.refresh_grant(alice_tokens.refresh).json())
    third = api.refresh_grant(second.refresh)
    assert third.status_code == 200, third.text


def test_presenting_a_rotated_refresh_token_again_is_invalid_grant(
    api: Api, alice_tokens: Tokens
) -> None:
    api.refresh_grant(alice_tokens.refresh)
    assert_oauth_error(api.refresh_grant(alice_tokens.refresh), 400, "invalid_grant")


def test_reuse_revokes_the_newest_refresh_token(api: Api, alice_tokens: Tokens) -> None:
    newest = Tokens.from_body(api.refresh_grant(alice_tokens.refresh).json())
    api.refresh_grant(alice_tokens.refresh)  # reuse
    assert_oauth_error(api.refresh_grant(newest.refresh), 400, "invalid_grant")


def test_reuse_revokes_the_newest_access_token(api: Api, alice_tokens: Tokens) -> None:
    newest = Tokens.from_body(api.refresh_grant(alice_tokens.refresh).json())
    api.refresh_grant(alice_tokens.refresh)  # reuse
    assert_error(api.get("/auth/me", headers=newest.headers), 401, "invalid_token")


def test_reuse_revokes_the_original_access_token(api: Api, alice_tokens: Tokens) -> None:
    api.refresh_grant(alice_tokens.refresh)
    api.refresh_grant(alice_tokens.refresh)  # reuse
    assert_error(api.get("/auth/me", headers=alice_tokens.headers), 401, "invalid_token")


def test_reuse_leaves_other_logins_alone(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    other_login = api.login(alice.username)
    api.refresh_grant(alice_tokens.refresh)
    api.refresh_grant(alice_tokens.refresh)  # reuse
    assert api.get("/auth/me", headers=other_login.headers).status_code == 200


def test_after_reuse_the_holder_can_log_in_again(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    api.refresh_grant(alice_tokens.refresh)
    api.refresh_grant(alice_tokens.refresh)  # reuse
    assert api.password_grant(alice.username).status_code == 200


def test_json_refresh_endpoint_answers_the_token_body(api: Api, alice_tokens: Tokens) -> None:
    response = api.post("/auth/refresh", json={"refresh_token": alice_tokens.refresh})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "bearer"
    assert body["refresh_token"] != alice_tokens.refresh


def test_json_refresh_endpoint_rotates_like_the_token_endpoint(
    api: Api, alice_tokens: Tokens
) -> None:
    api.post("/auth/refresh", json={"refresh_token": alice_tokens.refresh})
    assert_oauth_error(api.refresh_grant(alice_tokens.refresh), 400, "invalid_grant")


def test_json_refresh_endpoint_requires_the_field(api: Api) -> None:
    response = api.post("/auth/refresh", json={})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["refresh_token"]


def test_json_refresh_endpoint_refuses_a_bad_token(api: Api) -> None:
    response = api.post("/auth/refresh", json={"refresh_token": "garbage"})
    assert response.status_code == 400
    assert_error(response, 400, "invalid_grant")


# --- logout --------------------------------------------------------------------------------


def test_logout_answers_204(api: Api, alice_tokens: Tokens) -> None:
    response = api.post(
        "/auth/logout", json={"refresh_token": alice_tokens.refresh}, headers=alice_tokens.headers
    )
    assert response.status_code == 204
    assert response.content == b""


def test_logout_without_a_body_answers_204(api: Api, alice_tokens: Tokens) -> None:
    assert api.post("/auth/logout", headers=alice_tokens.headers).status_code == 204


def test_logout_revokes_the_access_token_at_every_prefix(
    api: Api, apis: list[Api], alice_tokens: Tokens
) -> None:
    api.post("/auth/logout", headers=alice_tokens.headers)
    for each in apis:
        response = each.get("/auth/me", headers=alice_tokens.headers)
        assert_error(response, 401, "invalid_token")


def test_logout_revokes_the_refresh_token(api: Api, alice_tokens: Tokens) -> None:
    api.post(
        "/auth/logout", json={"refresh_token": alice_tokens.refresh}, headers=alice_tokens.headers
    )
    assert_oauth_error(api.refresh_grant(alice_tokens.refresh), 400, "invalid_grant")


def test_logout_without_body_still_revokes_the_login(api: Api, alice_tokens: Tokens) -> None:
    api.post("/auth/logout", headers=alice_tokens.headers)
    assert_oauth_error(api.refresh_grant(alice_tokens.refresh), 400, "invalid_grant")


def test_logout_leaves_other_logins_alone(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    other_login = api.login(alice.username)
    api.post("/auth/logout", headers=alice_tokens.headers)
    assert api.get("/auth/me", headers=other_login.headers).status_code == 200


def test_logout_requires_a_token(api: Api) -> None:
    assert_error(api.post("/auth/logout"), 401, "not_authenticated")
