"""Access tokens verified once and remembered until they expire (accounts.jwt_tokens).

`token_service.verify_access` checks a token's signature and claims the first
time it sees it and then answers from `verified_access_tokens` until the
token's `exp`. What must hold: nothing but a fully checked token is ever
remembered, an expired one is never answered from memory, the memory is
bounded, and revocation (which is not part of this check) still refuses at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine

from accounts import jwt_tokens
from accounts.jwt_tokens import VerifiedAccessTokens, verified_access_tokens
from accounts.models import RevokedReason, User
from accounts.tokens import token_service
from common.errors import InvalidToken


@pytest.fixture(autouse=True)
def empty_memory() -> Iterator[None]:
    verified_access_tokens.clear()
    yield
    verified_access_tokens.clear()


@pytest.fixture
def full_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token that went through the full check (LoginAccessToken.verified), in order."""
    checked: list[str] = []
    real = jwt_tokens.LoginAccessToken.verified.__func__  # type: ignore[attr-defined]

    def counting(cls: Any, raw: str) -> Any:
        checked.append(raw)
        return real(cls, raw)

    monkeypatch.setattr(jwt_tokens.LoginAccessToken, "verified", classmethod(counting))
    return checked


def test_a_token_is_checked_in_full_once_then_remembered(
    alice: User, full_checks: list[str]
) -> None:
    access = token_service.issue_for_login(alice).access_token
    first = token_service.verify_access(access)
    again = token_service.verify_access(access)
    assert again == first and full_checks == [access]


def test_an_expired_token_is_not_answered_from_memory(
    alice: User, full_checks: list[str]
) -> None:
    start = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        access = token_service.issue_for_login(alice).access_token
        exp = jwt.decode(access, options={"verify_signature": False})["exp"]
        token_service.verify_access(access)
        clock.move_to(datetime.fromtimestamp(exp, UTC) - timedelta(microseconds=1))
        token_service.verify_access(access)  # still valid: from memory
        assert full_checks == [access]
        clock.move_to(datetime.fromtimestamp(exp, UTC))
        with pytest.raises(InvalidToken):
            token_service.verify_access(access)
    assert full_checks == [access, access]  # checked in full again, and refused
    assert verified_access_tokens.get(access) is None


def test_a_token_with_a_bad_signature_never_enters(alice: User) -> None:
    access = token_service.issue_for_login(alice).access_token
    header, payload, signature = access.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    for _ in range(2):
        with pytest.raises(InvalidToken):
            token_service.verify_access(forged)
    assert len(verified_access_tokens) == 0
    # The genuine token being remembered lends nothing to an altered copy of it.
    token_service.verify_access(access)
    with pytest.raises(InvalidToken):
        token_service.verify_access(forged)
    assert len(verified_access_tokens) == 1


def test_revocation_still_refuses_a_remembered_token_at_once(alice: User) -> None:
    access = token_service.issue_for_login(alice).access_token
    token_service.authenticate_access(access)
    assert verified_access_tokens.get(access) is not None
    token_service.revoke_all_for_user(alice, RevokedReason.LOGOUT)
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(access)


def test_a_changed_signing_key_forgets_what_was_verified(alice: User, settings: Any) -> None:
    access = token_service.issue_for_login(alice).access_token
    token_service.verify_access(access)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "n" * 48}
    with pytest.raises(InvalidToken):
        token_service.verify_access(access)  # signed with the old key


def test_callers_get_copies() -> None:
    memory = VerifiedAccessTokens()
    memory.put("t", {"sub": "1", "exp": 4_102_444_800})
    memory.get("t")["sub"] = "2"  # type: ignore[index]
    assert memory.get("t") == {"sub": "1", "exp": 4_102_444_800}


def test_the_memory_is_bounded_and_least_recently_used_leaves_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = VerifiedAccessTokens()
    monkeypatch.setattr(memory, "max_entries", 3)
    far = 4_102_444_800  # 2100
    for name in ("a", "b", "c"):
        memory.put(name, {"exp": far})
    memory.get("a")  # "b" is now the least recently used
    memory.put("d", {"exp": far})
    assert len(memory) == 3
    assert memory.get("b") is None
    assert all(memory.get(name) is not None for name in ("a", "c", "d"))
