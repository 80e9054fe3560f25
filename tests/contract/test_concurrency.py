"""Races the contract pins down: parallel refreshes, parallel wrong logins, parallel requests."""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.contract.conftest import Account, Api, Tokens, run_in_parallel


@pytest.mark.parametrize("parallel", [2, 8])
def test_concurrent_refreshes_of_one_token_admit_exactly_one(
    api: Api, alice_tokens: Tokens, parallel: int
) -> None:
    responses = run_in_parallel(
        [lambda: api.refresh_grant(alice_tokens.refresh) for _ in range(parallel)]
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 400: parallel - 1}, [r.text for r in responses]


def test_concurrent_refreshes_across_prefixes_admit_exactly_one(
    apis: list[Api], alice: Account
) -> None:
    tokens = apis[0].login(alice.username)
    calls = [lambda a=a: a.refresh_grant(tokens.refresh) for a in apis for _ in range(3)]
    statuses = Counter(response.status_code for response in run_in_parallel(calls))
    assert statuses[200] == 1
    assert statuses[400] == len(calls) - 1


def round_robin(apis: list[Api], count: int) -> list[Api]:
    """`count` Apis cycling through every prefix."""
    return [apis[index % len(apis)] for index in range(count)]


class CountingVerify:
    """Counts MD5PasswordHasher.verify calls: every password check in the process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        lock = threading.Lock()
        original = MD5PasswordHasher.verify

        def verify(hasher: MD5PasswordHasher, password: str, encoded: str) -> bool:
            with lock:
                self.calls += 1
            return original(hasher, password, encoded)

        monkeypatch.setattr(MD5PasswordHasher, "verify", verify)


def test_parallel_wrong_logins_check_the_password_at_most_max_times(
    api: Api, alice: Account, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LOGIN_MAX_FAILURES = 5
    settings.RATE_LIMIT_ANON = "1000/minute"
    counter = CountingVerify(monkeypatch)
    responses = run_in_parallel(
        [lambda: api.password_grant(alice.username, "Wrong-Password-1") for _ in range(20)]
    )
    statuses = Counter(response.status_code for response in responses)
    assert counter.calls <= 5
    assert statuses[400] <= 5
    assert statuses[429] >= 15
    assert set(statuses) <= {400, 429}


def test_the_counting_wrapper_sees_password_checks(
    api: Api, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control for the test above: a login does go through the counted check."""
    counter = CountingVerify(monkeypatch)
    api.password_grant(alice.username, "Wrong-Password-1")
    assert counter.calls == 1


def test_parallel_requests_admit_exactly_the_limit(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_PING = "5/hour"
    responses = run_in_parallel([lambda: api.get("/rl-demo/ping") for _ in range(40)])
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 5, 429: 35}


def test_parallel_requests_across_prefixes_admit_exactly_the_limit(
    apis: list[Api], settings: SettingsWrapper
) -> None:
    settings.RL_DEMO_PING = "5/hour"
    calls = [partial(a.get, "/rl-demo/ping") for a in round_robin(apis, 40)]
    statuses = Counter(response.status_code for response in run_in_parallel(calls))
    assert statuses == {200: 5, 429: 35}


def test_parallel_registrations_of_one_name_create_one_user(apis: list[Api]) -> None:
    calls = [partial(a.register, "racer") for a in round_robin(apis, 6)]
    statuses = Counter(response.status_code for response in run_in_parallel(calls))
    assert statuses == {201: 1, 409: 5}


def test_parallel_creates_with_one_isbn_create_one_book(apis: list[Api], alice: Account) -> None:
    tokens = apis[0].login(alice.username)
    payload = {"title": "Dune", "author": "Frank Herbert", "year": 1965, "isbn": "9780306406157"}
    calls = [
        partial(a.post, "/books", json=payload, headers=tokens.headers)
        for a in round_robin(apis, 6)
    ]
    statuses = Counter(response.status_code for response in run_in_parallel(calls))
    assert statuses == {201: 1, 409: 5}
