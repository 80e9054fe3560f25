"""accounts.tokens: issuing, checking, rotating and revoking tokens."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.conf import settings
from django.db import connection

from accounts.jwt_tokens import jwt_settings
from accounts.models import RevokedReason, TokenFamily, User
from accounts.services import user_soft_delete, user_update
from accounts.tokens import InvalidGrant, TokenPair, token_service
from common.errors import InvalidToken

from .conftest import NEW_PASSWORD, PASSWORD


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def resign(claims: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or jwt_settings().SIGNING_KEY, algorithm=algorithm)


# --- issuing -----------------------------------------------------------------------------


def test_issue_for_login_opens_a_family(alice: User) -> None:
    pair = token_service.issue_for_login(alice)
    family = TokenFamily.objects.get(user=alice)
    access, refresh = claims_of(pair.access_token), claims_of(pair.refresh_token)
    assert access["fam"] == refresh["fam"] == str(family.pk)
    assert access["token_type"] == "access" and refresh["token_type"] == "refresh"
    assert access["sub"] == str(alice.pk) and access["role"] == "user"
    assert access["aud"] == jwt_settings().AUDIENCE and access["iss"] == jwt_settings().ISSUER
    assert refresh["jti"] == family.current_jti.hex
    assert "role" not in refresh
    assert pair.expires_in == int(jwt_settings().ACCESS_TOKEN_LIFETIME.total_seconds())
    assert family.expires_at == family.created_at + settings.REFRESH_FAMILY_LIFETIME


def test_oauth_body_shape(alice: User) -> None:
    body = TokenPair("a", "r", 900).as_oauth_body()
    assert body == {"access_token": "a", "refresh_token": "r", "token_type": "bearer",
                    "expires_in": 900}


def test_authenticate_access_returns_the_user_from_the_database(alice: User) -> None:
    pair = token_service.issue_for_login(alice)
    User.objects.filter(pk=alice.pk).update(role="admin")
    context = token_service.authenticate_access(pair.access_token)
    assert context.user == alice
    assert context.user.role == "admin"  # the DB wins over the token's role claim
    assert context.claims["sub"] == str(alice.pk)


def test_authenticate_access_is_one_query(
    alice: User, django_assert_num_queries: Callable[..., Any]
) -> None:
    pair = token_service.issue_for_login(alice)
    with django_assert_num_queries(1):
        token_service.authenticate_access(pair.access_token)


# --- refused access tokens ------------------------------------------------------------------


def _forgeries(access: str) -> dict[str, str]:
    claims = claims_of(access)
    return {
        "alg-none": jwt.encode(claims, None, algorithm="none"),
        "hs512": resign(claims, algorithm="HS512"),
        "hs384": resign(claims, algorithm="HS384"),
        "other-key": resign(claims, key="k" * 48),
        "secret-key": resign(claims, key=settings.SECRET_KEY),
        "wrong-audience": resign({**claims, "aud": "someone-else"}),
        "wrong-issuer": resign({**claims, "iss": "someone-else"}),
        "no-audience": resign({k: v for k, v in claims.items() if k != "aud"}),
        "no-family": resign({k: v for k, v in claims.items() if k != "fam"}),
        "no-type": resign({k: v for k, v in claims.items() if k != "token_type"}),
        "unknown-family": resign({**claims, "fam": "00000000-0000-0000-0000-000000000000"}),
        "other-subject": resign({**claims, "sub": str(int(claims["sub"]) + 1)}),
        "bad-subject": resign({**claims, "sub": "alice"}),
        "garbage": "not.a.jwt",
        "empty": "",
    }


@pytest.mark.parametrize(
    "forgery",
    ["alg-none", "hs512", "hs384", "other-key", "secret-key", "wrong-audience", "wrong-issuer",
     "no-audience", "no-family", "no-type", "unknown-family", "other-subject", "bad-subject",
     "garbage", "empty"],
)
def test_forged_access_tokens_are_refused(alice: User, forgery: str) -> None:
    pair = token_service.issue_for_login(alice)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(_forgeries(pair.access_token)[forgery])


def test_resigning_unchanged_claims_is_accepted(alice: User) -> None:
    """Control for the forgeries: only the changed part makes them fail."""
    pair = token_service.issue_for_login(alice)
    token_service.authenticate_access(resign(claims_of(pair.access_token)))


def test_a_refresh_token_is_not_an_access_token(alice: User) -> None:
    pair = token_service.issue_for_login(alice)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.refresh_token)


def test_an_access_token_is_not_a_refresh_token(alice: User) -> None:
    pair = token_service.issue_for_login(alice)
    with pytest.raises(InvalidGrant):
        token_service.rotate(pair.access_token)


def test_an_expired_access_token_is_refused(alice: User, clock: time_machine.Coordinates) -> None:
    pair = token_service.issue_for_login(alice)
    clock.shift(jwt_settings().ACCESS_TOKEN_LIFETIME - timedelta(seconds=1))
    token_service.authenticate_access(pair.access_token)
    clock.shift(timedelta(seconds=1))
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)


def test_an_expired_refresh_token_is_refused(alice: User, clock: time_machine.Coordinates) -> None:
    pair = token_service.issue_for_login(alice)
    clock.shift(jwt_settings().REFRESH_TOKEN_LIFETIME)
    with pytest.raises(InvalidGrant):
        token_service.rotate(pair.refresh_token)


# --- rotation ---------------------------------------------------------------------------------


def test_rotate_returns_a_new_pair_and_moves_the_family_on(alice: User) -> None:
    first = token_service.issue_for_login(alice)
    second = token_service.rotate(first.refresh_token)
    family = TokenFamily.objects.get(user=alice)
    assert second.refresh_token != first.refresh_token
    assert claims_of(second.refresh_token)["jti"] == family.current_jti.hex
    assert claims_of(second.refresh_token)["fam"] == str(family.pk)
    assert family.rotation_count == 1 and family.refreshed_at is not None
    token_service.authenticate_access(second.access_token)
    token_service.rotate(second.refresh_token)  # the chain goes on


def test_reuse_revokes_the_whole_family(alice: User) -> None:
    first = token_service.issue_for_login(alice)
    second = token_service.rotate(first.refresh_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(first.refresh_token)  # reuse
    family = TokenFamily.objects.get(user=alice)
    assert family.revoked_reason == RevokedReason.REUSE
    with pytest.raises(InvalidGrant):
        token_service.rotate(second.refresh_token)
    for access in (first.access_token, second.access_token):
        with pytest.raises(InvalidToken):
            token_service.authenticate_access(access)


def test_reuse_leaves_other_logins_alone(alice: User) -> None:
    stolen = token_service.issue_for_login(alice)
    other = token_service.issue_for_login(alice)
    token_service.rotate(stolen.refresh_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(stolen.refresh_token)
    token_service.authenticate_access(other.access_token)
    token_service.rotate(other.refresh_token)


def _in_thread(function: Callable[[], Any]) -> Any:
    """Run `function` on a new thread (its own DB connection) and return its result."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = function()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return box.get("result")


@pytest.mark.django_db(transaction=True)
def test_the_reuse_revocation_is_committed(make_user: Callable[..., User]) -> None:
    """InvalidGrant is raised after the atomic block: another connection sees the revocation."""
    alice = make_user("alice")
    first = token_service.issue_for_login(alice)
    token_service.rotate(first.refresh_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(first.refresh_token)
    reason = _in_thread(
        lambda: TokenFamily.objects.values_list("revoked_reason", flat=True).get(user=alice)
    )
    assert reason == RevokedReason.REUSE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parallel", [2, 8])
def test_concurrent_rotations_of_one_token_admit_exactly_one(
    make_user: Callable[..., User], parallel: int
) -> None:
    """The row lock (PostgreSQL) / IMMEDIATE transactions (SQLite) serialise the rotations."""
    alice = make_user("alice")
    pair = token_service.issue_for_login(alice)
    barrier = threading.Barrier(parallel)
    outcomes: list[str] = []
    lock = threading.Lock()

    def refresh() -> None:
        try:
            barrier.wait()
            try:
                token_service.rotate(pair.refresh_token)
                outcome = "ok"
            except InvalidGrant:
                outcome = "invalid_grant"
            except Exception as exc:  # any other error fails the test below
                outcome = repr(exc)
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["invalid_grant"] * (parallel - 1) + ["ok"], outcomes
    # The losers looked like reuse: the login is over for everyone.
    assert TokenFamily.objects.get(user=alice).revoked_reason == RevokedReason.REUSE


def test_the_family_lifetime_is_absolute(
    alice: User, clock: time_machine.Coordinates, settings: Any
) -> None:
    settings.REFRESH_FAMILY_LIFETIME = timedelta(days=10)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "REFRESH_TOKEN_LIFETIME": timedelta(days=7)}
    pair = token_service.issue_for_login(alice)
    clock.shift(timedelta(days=6))
    pair = token_service.rotate(pair.refresh_token)
    # The new refresh token would live 7 days, but the family ends at day 10.
    assert claims_of(pair.refresh_token)["exp"] == int(
        TokenFamily.objects.get(user=alice).expires_at.timestamp()
    )
    clock.shift(timedelta(days=3, hours=23, minutes=50))
    pair = token_service.rotate(pair.refresh_token)
    assert pair.expires_in == 600  # the access token stops with the family too
    clock.shift(timedelta(minutes=10))
    with pytest.raises(InvalidGrant):
        token_service.rotate(pair.refresh_token)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)


# --- revocation ---------------------------------------------------------------------------------


def test_logout_revokes_the_access_tokens_family(alice: User) -> None:
    pair = token_service.issue_for_login(alice)
    other = token_service.issue_for_login(alice)
    context = token_service.authenticate_access(pair.access_token)
    token_service.logout(claims=context.claims)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(pair.refresh_token)
    token_service.authenticate_access(other.access_token)  # another login lives on


def test_logout_also_revokes_the_presented_refresh_tokens_family(alice: User) -> None:
    current = token_service.issue_for_login(alice)
    older = token_service.issue_for_login(alice)
    context = token_service.authenticate_access(current.access_token)
    token_service.logout(claims=context.claims, refresh_token=older.refresh_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(older.refresh_token)
    assert not TokenFamily.objects.filter(user=alice, revoked_at__isnull=True).exists()


def test_logout_ignores_a_bad_or_foreign_refresh_token(alice: User, bob: User) -> None:
    pair = token_service.issue_for_login(alice)
    bobs = token_service.issue_for_login(bob)
    context = token_service.authenticate_access(pair.access_token)
    token_service.logout(claims=context.claims, refresh_token="garbage")
    token_service.logout(claims=context.claims, refresh_token=bobs.refresh_token)
    token_service.authenticate_access(bobs.access_token)  # not alice's to end


def test_password_change_revokes_every_login(alice: User) -> None:
    pairs = [token_service.issue_for_login(alice) for _ in range(2)]
    user_update(
        actor=alice, target=alice,
        changes={"password": NEW_PASSWORD, "current_password": PASSWORD},
    )
    for pair in pairs:
        with pytest.raises(InvalidToken):
            token_service.authenticate_access(pair.access_token)
        with pytest.raises(InvalidGrant):
            token_service.rotate(pair.refresh_token)
    assert set(TokenFamily.objects.values_list("revoked_reason", flat=True)) == {
        RevokedReason.PASSWORD_CHANGE
    }


def test_deactivation_revokes_every_login(alice: User, admin_user: User) -> None:
    pair = token_service.issue_for_login(alice)
    user_update(actor=admin_user, target=alice, changes={"is_active": False})
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(pair.refresh_token)


def test_inactive_user_is_refused_even_with_an_open_family(alice: User) -> None:
    """Belt and braces: a flag flipped outside the services still locks the user out."""
    pair = token_service.issue_for_login(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)
    with pytest.raises(InvalidGrant):
        token_service.rotate(pair.refresh_token)


def test_soft_delete_revokes_every_login(alice: User) -> None:
    pair = token_service.issue_for_login(alice)
    user_soft_delete(actor=alice, target=alice)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)
    assert TokenFamily.objects.get(user=alice).revoked_reason == RevokedReason.DELETED


def test_revoke_all_for_user_counts_open_families(alice: User, bob: User) -> None:
    token_service.issue_for_login(alice)
    token_service.issue_for_login(alice)
    token_service.issue_for_login(bob)
    assert token_service.revoke_all_for_user(alice, RevokedReason.ADMIN) == 2
    assert token_service.revoke_all_for_user(alice, RevokedReason.ADMIN) == 0
    assert TokenFamily.objects.filter(user=bob, revoked_at__isnull=True).count() == 1
