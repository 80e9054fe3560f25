"""The brute-force guard's edges, at every prefix: what counts, what locks, what survives.

- An attempt that ends in an error (database down, bad input) is given back.
- Parallel correct logins are never locked out: too many in flight is 429
  `rate_limited` with Retry-After 1.
- `current_password` in `PATCH /users/{id}` is guarded with the login's counters.
- A lock recorded in the database survives a cache flush (a Redis restart).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from django.core.cache import cache

from tests.contract.conftest import (
    DEFAULT_PEER,
    NEW_PASSWORD,
    PASSWORD,
    Account,
    Api,
    TestClient,
    Tokens,
    assert_error,
    detail_fields,
    normal_error,
    run_in_parallel,
)
from tests.contract.test_brute_force import (  # small_threshold: its autouse fixture
    MAX_FAILURES,
    WRONG,
    assert_locked_out,
    fail,
    small_threshold,  # noqa: F401
)
from tests.contract.test_database_down import database_down

# --- errors are given back, not counted ---------------------------------------------------


def test_logins_that_hit_a_database_outage_do_not_lock(
    api: Api, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database_down(monkeypatch):
        for _ in range(MAX_FAILURES + 2):
            assert api.password_grant(alice.username).status_code == 503
    assert api.password_grant(alice.username).status_code == 200


def test_logins_whose_check_raises_do_not_lock_the_address(
    api: Api, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What psycopg does with `username=x%00N`: the lookup raises instead of answering.

    Simulated at the service, so the test means the same on SQLite (which
    stores NUL happily) and whether or not the input layer refuses NUL first.
    """
    from accounts import oauth

    real_check = oauth.authenticate_password

    def driver_refuses_nul(username: str, password: str) -> object:
        if "\x00" in username:
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return real_check(username, password)

    monkeypatch.setattr(oauth, "authenticate_password", driver_refuses_nul)
    # A 500 is the point here: answer it instead of re-raising in the test.
    from config.asgi import application

    client = TestClient(application, client=(DEFAULT_PEER, 50000), raise_server_exceptions=False)
    attacker = Api(client, api.prefix)
    for index in range(MAX_FAILURES + 2):
        response = attacker.password_grant(f"x\x00{index}", WRONG)
        assert response.status_code != 429, response.text
    assert api.password_grant(alice.username).status_code == 200


def test_failures_between_errors_still_lock(
    api: Api, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Giving errors back does not give failures back."""
    fail(api, alice.username, MAX_FAILURES - 1)
    with database_down(monkeypatch):
        assert api.password_grant(alice.username, WRONG).status_code == 503
    fail(api, alice.username, 1)
    assert_locked_out(api.password_grant(alice.username))


# --- only failures lock ------------------------------------------------------------------


def test_parallel_correct_logins_are_never_locked_out(
    api: Api, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts import oauth
    from throttling.models import Lockout

    real_check = oauth.authenticate_password

    def slow_check(username: str, password: str) -> object:
        time.sleep(0.2)  # a real hash's time: the ten attempts overlap
        return real_check(username, password)

    monkeypatch.setattr(oauth, "authenticate_password", slow_check)
    responses = run_in_parallel([lambda: api.password_grant(alice.username) for _ in range(10)])
    outcomes = Counter(
        response.status_code if response.status_code == 200 else response.json()["error"]
        for response in responses
    )
    assert set(outcomes) <= {200, "rate_limited"}, outcomes
    assert outcomes[200] >= 1
    for response in responses:
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "1"
    assert not Lockout.objects.exists()
    assert api.password_grant(alice.username).status_code == 200


# --- current_password ---------------------------------------------------------------------


def _change_password(
    api: Api, alice: Account, tokens: Tokens, current: str
) -> httpx.Response:
    return api.patch(
        f"/users/{alice.id}",
        json={"password": NEW_PASSWORD, "current_password": current},
        headers=tokens.headers,
    )


def test_current_password_guesses_lock_like_logins(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    from accounts.models import User

    for _ in range(MAX_FAILURES):
        response = _change_password(api, alice, alice_tokens, WRONG)
        assert_error(response, 422, "validation_error")
        assert detail_fields(response) == ["current_password"]
    response = _change_password(api, alice, alice_tokens, PASSWORD)
    assert_error(response, 429, "locked_out")
    assert 1 <= int(response.headers["Retry-After"]) <= 600
    assert User.objects.get(pk=alice.id).check_password(PASSWORD)  # unchanged


def test_current_password_shares_the_logins_counters(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    for _ in range(MAX_FAILURES):
        _change_password(api, alice, alice_tokens, WRONG)
    assert_locked_out(api.password_grant(alice.username))  # the same address
    assert api.with_peer("198.51.100.20").password_grant(alice.username).status_code == 200


def test_a_right_current_password_clears_earlier_failures(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    fail(api, alice.username, MAX_FAILURES - 1)
    response = _change_password(api, alice, alice_tokens, PASSWORD)
    assert response.status_code == 200, response.text
    fail(api, alice.username, MAX_FAILURES - 1)
    assert api.password_grant(alice.username, NEW_PASSWORD).status_code == 200


def test_the_locked_answer_is_the_same_at_every_prefix(
    apis: list[Api], make_user: Callable[..., Account]
) -> None:
    answers = []
    for index, each in enumerate(apis):
        each = each.with_peer(f"192.0.2.{index + 1}")  # one address per prefix: no IP lock
        account = make_user(f"victim{index}")
        tokens = each.login(account.username)
        for _ in range(MAX_FAILURES):
            _change_password(each, account, tokens, WRONG)
        response = _change_password(each, account, tokens, PASSWORD)
        assert_error(response, 429, "locked_out")
        assert int(response.headers["Retry-After"]) >= 1
        answers.append(normal_error(response))
    assert len(set(answers)) == 1, answers


# --- the database is the record -----------------------------------------------------------


def test_a_lock_survives_a_cache_flush(api: Api, alice: Account) -> None:
    fail(api, alice.username)
    cache.clear()  # what a Redis restart does
    assert_locked_out(api.password_grant(alice.username))


def test_after_a_flush_unknown_and_real_usernames_stay_alike(api: Api, alice: Account) -> None:
    fail(api.with_peer("192.0.2.1"), alice.username)
    fail(api.with_peer("192.0.2.2"), "ghost")
    cache.clear()
    real = api.with_peer("192.0.2.1").password_grant(alice.username, WRONG)
    unknown = api.with_peer("192.0.2.2").password_grant("ghost", WRONG)
    assert real.status_code == unknown.status_code == 429
    assert real.json()["error"] == unknown.json()["error"] == "locked_out"

