"""accounts.oauth: the token endpoint's rules, with the lockout guard swapped for a spy."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import oauth
from accounts.models import User
from accounts.tokens import token_service
from common.errors import LockedOut, OAuthError, ServiceUnavailable
from throttling.lockout import LoginGuard

from .conftest import PASSWORD

IP = "203.0.113.7"


class SpyGuard:
    """Records the guard calls; `refuse` makes `reserve` raise."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.refuse = refuse

    def reserve(self, username: str, ip: str) -> None:
        self.calls.append(("reserve", username, ip))
        if self.refuse is not None:
            raise self.refuse

    def record_failure(self, username: str, ip: str) -> None:
        self.calls.append(("failure", username, ip))

    def record_success(self, username: str, ip: str) -> None:
        self.calls.append(("success", username, ip))

    def release(self, username: str, ip: str) -> None:
        self.calls.append(("release", username, ip))

    # The real sequence (reserve, check, record or release) over the spied steps.
    attempt = LoginGuard.attempt


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> SpyGuard:
    spy = SpyGuard()
    monkeypatch.setattr("throttling.lockout.login_guard", spy)
    return spy


def grant(**form: str) -> dict[str, Any]:
    return oauth.token_grant(form=form, client_ip=IP)


def oauth_error(**form: str) -> OAuthError:
    with pytest.raises(OAuthError) as excinfo:
        grant(**form)
    return excinfo.value


def test_password_grant_issues_tokens_and_clears_the_guard(alice: User, guard: SpyGuard) -> None:
    body = grant(grant_type="password", username="alice", password=PASSWORD)
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert guard.calls == [("reserve", "alice", IP), ("success", "alice", IP)]
    token_service.authenticate_access(body["access_token"])


def test_grant_type_defaults_to_password(alice: User, guard: SpyGuard) -> None:
    assert grant(username="ALICE", password=PASSWORD)["token_type"] == "bearer"


def test_wrong_password_and_unknown_user_answer_alike(alice: User, guard: SpyGuard) -> None:
    wrong = oauth_error(username="alice", password="Wrong-1")
    unknown = oauth_error(username="nobody", password="Wrong-1")
    assert wrong.body() == unknown.body() == {
        "error": "invalid_grant", "error_description": oauth.MSG_BAD_CREDENTIALS
    }
    assert wrong.status == 400
    assert wrong.response_headers()["Cache-Control"] == "no-store"
    assert [c[0] for c in guard.calls] == ["reserve", "failure", "reserve", "failure"]


def test_inactive_user_answers_like_a_wrong_password(
    make_user: Any, guard: SpyGuard
) -> None:
    make_user("dormant", is_active=False)
    assert oauth_error(username="dormant", password=PASSWORD).body()["error"] == "invalid_grant"


def test_the_guard_refuses_before_the_password_is_checked(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = SpyGuard(refuse=LockedOut(600))
    monkeypatch.setattr("throttling.lockout.login_guard", spy)
    monkeypatch.setattr(oauth, "authenticate_password", lambda *a: pytest.fail("checked"))
    error = oauth_error(username="alice", password=PASSWORD)
    assert (error.status, error.error) == (429, "locked_out")
    assert error.response_headers()["Retry-After"] == "600"


def test_a_guard_outage_is_503_in_oauth_shape(alice: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("throttling.lockout.login_guard", SpyGuard(refuse=ServiceUnavailable()))
    error = oauth_error(username="alice", password=PASSWORD)
    assert (error.status, error.error) == (503, "service_unavailable")


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({"username": "alice"}, "password"),
        ({"password": "x"}, "username"),
        ({"username": "", "password": "x"}, "username"),
        ({"grant_type": "refresh_token"}, "refresh_token"),
    ],
)
def test_missing_parameters_are_invalid_request(
    guard: SpyGuard, form: dict[str, str], missing: str
) -> None:
    error = oauth_error(**form)
    assert error.error == "invalid_request"
    assert missing in error.description
    assert guard.calls == []  # nothing counted for a malformed request


def test_unknown_grant_type(guard: SpyGuard) -> None:
    assert oauth_error(grant_type="client_credentials").error == "unsupported_grant_type"


def test_refresh_grant_rotates(alice: User, guard: SpyGuard) -> None:
    first = token_service.issue_for_login(alice)
    body = grant(grant_type="refresh_token", refresh_token=first.refresh_token)
    assert body["refresh_token"] != first.refresh_token
    error = oauth_error(grant_type="refresh_token", refresh_token=first.refresh_token)
    assert (error.status, error.error) == (400, "invalid_grant")
    assert guard.calls == []  # refreshes are not login attempts


def test_a_check_that_raises_is_released_not_recorded(
    alice: User, guard: SpyGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    def database_down(*args: object) -> None:
        raise OperationalError("connection refused (simulated)")

    monkeypatch.setattr(oauth, "authenticate_password", database_down)
    with pytest.raises(OperationalError):
        grant(username="alice", password=PASSWORD)
    assert guard.calls == [("reserve", "alice", IP), ("release", "alice", IP)]
