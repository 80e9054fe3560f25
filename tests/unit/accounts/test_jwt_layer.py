"""simplejwt as the token layer, and the project's checks on top of it.

accounts.jwt_tokens (simplejwt Token subclasses), accounts.authentication
(a JWTAuthentication subclass), token_service.verify_access (no database)
and the one revocation method every cause goes through.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.contrib.admin.sites import site
from django.db import connection
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import BearerTokenAuthentication
from accounts.jwt_tokens import LoginAccessToken, jwt_settings
from accounts.models import RevokedReason, TokenFamily, User
from accounts.services import user_soft_delete, user_update
from accounts.tokens import InvalidGrant, TokenService, token_service
from common.errors import InvalidToken

from .conftest import NEW_PASSWORD, PASSWORD


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def resign(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, jwt_settings().SIGNING_KEY, algorithm="HS256")


# --- verify_access: the token alone ---------------------------------------------------------


def test_verify_access_returns_the_claims_without_a_query(
    alice: User, django_assert_num_queries: Callable[..., Any]
) -> None:
    pair = token_service.issue_for_login(alice)
    with django_assert_num_queries(0):
        claims = token_service.verify_access(pair.access_token)
    assert claims == claims_of(pair.access_token)


def test_verify_access_does_not_look_at_the_family(alice: User) -> None:
    """Revocation is authenticate_access's business; verify_access checks the token only."""
    pair = token_service.issue_for_login(alice)
    token_service.revoke_all_for_user(alice, RevokedReason.ADMIN)
    token_service.verify_access(pair.access_token)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)


def test_exp_equal_to_now_is_expired(alice: User) -> None:
    start = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)  # a whole second: exp lands on it
    with time_machine.travel(start, tick=False) as clock:
        pair = token_service.issue_for_login(alice)
        exp = claims_of(pair.access_token)["exp"]
        clock.move_to(datetime.fromtimestamp(exp, UTC) - timedelta(microseconds=1))
        token_service.verify_access(pair.access_token)
        clock.move_to(datetime.fromtimestamp(exp, UTC))
        with pytest.raises(InvalidToken):
            token_service.verify_access(pair.access_token)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "iat"}, id="no-iat"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "jti"}, id="no-jti"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "exp"}, id="no-exp"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "iss"}, id="no-issuer"),
        pytest.param(lambda c: {**c, "fam": "not-a-uuid"}, id="bad-family"),
        pytest.param(lambda c: {**c, "jti": 7}, id="bad-jti"),
        pytest.param(lambda c: {**c, "token_type": "refresh"}, id="refresh-type"),
        pytest.param(lambda c: {**c, "token_type": "sliding"}, id="sliding-type"),
    ],
)
def test_verify_access_refuses_signed_tokens_with_odd_claims(
    alice: User, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Signed with the real key: only the claims are wrong, and that is enough."""
    pair = token_service.issue_for_login(alice)
    with pytest.raises(InvalidToken):
        token_service.verify_access(resign(change(claims_of(pair.access_token))))


def test_a_stock_simplejwt_token_is_not_a_login(alice: User) -> None:
    """simplejwt's own AccessToken, same key, aud and iss, but no login family: refused."""
    stock = str(AccessToken.for_user(alice))
    assert claims_of(stock)["sub"] == str(alice.pk)  # it really is a valid simplejwt token
    with pytest.raises(InvalidToken):
        token_service.verify_access(stock)


def test_issued_tokens_are_simplejwt_tokens(alice: User) -> None:
    """The project's tokens read back through simplejwt's own classes."""
    pair = token_service.issue_for_login(alice)
    token = LoginAccessToken(pair.access_token)  # type: ignore[arg-type]
    assert isinstance(token, AccessToken)
    assert token["fam"] == str(TokenFamily.objects.get(user=alice).pk)


def test_lifetimes_are_read_when_tokens_are_made(alice: User, settings: Any) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(seconds=42)}
    pair = token_service.issue_for_login(alice)
    claims = claims_of(pair.access_token)
    assert claims["exp"] - claims["iat"] == 42 and pair.expires_in == 42


def test_a_changed_signing_key_applies_at_once(alice: User, settings: Any) -> None:
    pair = token_service.issue_for_login(alice)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "n" * 48}
    with pytest.raises(InvalidToken):
        token_service.verify_access(pair.access_token)  # signed with the old key


# --- DRF: simplejwt's JWTAuthentication ----------------------------------------------------


def test_drf_authentication_is_simplejwts(alice: User) -> None:
    """request.user is the user, request.auth the verified claims, as with simplejwt."""
    assert issubclass(BearerTokenAuthentication, JWTAuthentication)
    pair = token_service.issue_for_login(alice)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    user, claims = BearerTokenAuthentication().authenticate(request)  # type: ignore[misc]
    assert user == alice
    assert claims == claims_of(pair.access_token)


@pytest.mark.parametrize("header", ["", "Basic abc", "Token abc"])
def test_drf_authentication_ignores_other_schemes(db: None, header: str) -> None:
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=header)
    assert BearerTokenAuthentication().authenticate(request) is None


# --- one revocation path -------------------------------------------------------------------

Revocations = list[tuple[str, list[uuid.UUID]]]


@pytest.fixture
def revocations(monkeypatch: pytest.MonkeyPatch) -> Revocations:
    """Records every call of TokenService._revoke: (reason, revoked family ids)."""
    calls: Revocations = []
    original = TokenService._revoke

    def spy(self: TokenService, families: Any, reason: str) -> list[uuid.UUID]:
        revoked = original(self, families, reason)
        calls.append((reason, revoked))
        return revoked

    monkeypatch.setattr(TokenService, "_revoke", spy)
    return calls


def _logout(alice: User, admin_user: User, rf: Any) -> None:
    pair = token_service.issue_for_login(alice)
    token_service.logout(claims=token_service.verify_access(pair.access_token))


def _reuse(alice: User, admin_user: User, rf: Any) -> None:
    first = token_service.issue_for_login(alice)
    token_service.rotate(first.refresh_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(first.refresh_token)


def _password_change_by_api(alice: User, admin_user: User, rf: Any) -> None:
    token_service.issue_for_login(alice)
    user_update(actor=alice, target=alice,
                changes={"password": NEW_PASSWORD, "current_password": PASSWORD})


def _password_change_by_shell(alice: User, admin_user: User, rf: Any) -> None:
    token_service.issue_for_login(alice)
    alice.set_password(NEW_PASSWORD)
    alice.save()


def _deactivation(alice: User, admin_user: User, rf: Any) -> None:
    token_service.issue_for_login(alice)
    user_update(actor=admin_user, target=alice, changes={"is_active": False})


def _soft_delete(alice: User, admin_user: User, rf: Any) -> None:
    token_service.issue_for_login(alice)
    user_soft_delete(actor=alice, target=alice)


def _admin_action(alice: User, admin_user: User, rf: Any) -> None:
    token_service.issue_for_login(alice)
    model_admin = site._registry[TokenFamily]
    request = rf.post("/")
    request.user = admin_user
    model_admin.message_user = lambda *args, **kwargs: None
    model_admin.revoke_selected(request, TokenFamily.objects.filter(user=alice))


@pytest.mark.parametrize(
    ("cause", "reason"),
    [
        (_logout, RevokedReason.LOGOUT),
        (_reuse, RevokedReason.REUSE),
        (_password_change_by_api, RevokedReason.PASSWORD_CHANGE),
        (_password_change_by_shell, RevokedReason.PASSWORD_CHANGE),
        (_deactivation, RevokedReason.DEACTIVATED),
        (_soft_delete, RevokedReason.DELETED),
        (_admin_action, RevokedReason.ADMIN),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
def test_every_revocation_goes_through_one_method(
    alice: User, admin_user: User, rf: Any, revocations: Revocations,
    cause: Callable[[User, User, Any], None], reason: str,
) -> None:
    cause(alice, admin_user, rf)
    revoked_in_db = set(TokenFamily.objects.filter(revoked_at__isnull=False)
                        .values_list("pk", flat=True))
    recorded = {family_id for _, ids in revocations for family_id in ids}
    assert revoked_in_db == recorded == set(
        TokenFamily.objects.filter(user=alice).values_list("pk", flat=True)
    )
    assert {r for r, ids in revocations if ids} == {reason}


@pytest.mark.django_db(transaction=True)
def test_concurrent_revocations_report_each_family_once(
    make_user: Callable[..., User],
) -> None:
    """The ids `_revoke` returns are exact: parallel revocations never count a family twice."""
    alice = make_user("alice")
    for _ in range(5):
        token_service.issue_for_login(alice)
    parallel = 4
    barrier = threading.Barrier(parallel)
    counts: list[int] = []

    def revoke() -> None:
        try:
            barrier.wait()
            counts.append(token_service.revoke_all_for_user(alice, RevokedReason.ADMIN))
        finally:
            connection.close()

    threads = [threading.Thread(target=revoke) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0] * (parallel - 1) + [5]
