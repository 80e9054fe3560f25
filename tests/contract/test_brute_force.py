"""Brute-force lockout at the token endpoint (any prefix) and the bf-demo endpoints."""

from __future__ import annotations

import httpx
import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from common.errors import MSG_LOCKED_OUT
from tests.contract.conftest import Account, Api, assert_error, assert_oauth_error
from throttling.demo import DEMO_PASSWORD, DEMO_USERNAME

MAX_FAILURES = 3
# The address's own, higher threshold (LOGIN_MAX_FAILURES_PER_IP).
MAX_FAILURES_PER_IP = 6
LOCKOUT = 600
WRONG = "Wrong-Password-42"


@pytest.fixture(autouse=True)
def small_threshold(settings: SettingsWrapper) -> None:
    settings.LOGIN_MAX_FAILURES = MAX_FAILURES
    settings.LOGIN_MAX_FAILURES_PER_IP = MAX_FAILURES_PER_IP
    settings.LOGIN_LOCKOUT = LOCKOUT
    settings.LOGIN_FAILURE_WINDOW = 900
    # Rate limits must not be what refuses these attempts.
    settings.RATE_LIMIT_ANON = "1000/minute"


def fail(api: Api, username: str, times: int = MAX_FAILURES) -> None:
    for _ in range(times):
        assert_oauth_error(api.password_grant(username, WRONG), 400, "invalid_grant")


def assert_locked_out(response: httpx.Response) -> int:
    body = assert_oauth_error(response, 429, "locked_out")
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= LOCKOUT
    assert body["error_description"] == MSG_LOCKED_OUT.format(retry_after=retry_after)
    return retry_after


# --- the token endpoint ------------------------------------------------------------------------


def test_failures_below_the_threshold_are_plain_invalid_grant(api: Api, alice: Account) -> None:
    fail(api, alice.username, MAX_FAILURES - 1)
    assert api.password_grant(alice.username).status_code == 200


def test_the_attempt_after_the_threshold_is_locked_out(api: Api, alice: Account) -> None:
    fail(api, alice.username)
    assert_locked_out(api.password_grant(alice.username, WRONG))


def test_the_right_password_is_refused_while_locked(api: Api, alice: Account) -> None:
    fail(api, alice.username)
    assert_locked_out(api.password_grant(alice.username))


def test_an_unknown_username_is_locked_the_same_way(api: Api) -> None:
    fail(api, "ghost")
    assert_locked_out(api.password_grant("ghost", WRONG))


def test_a_locked_unknown_username_answers_like_a_locked_real_one(api: Api, alice: Account) -> None:
    fail(api.with_peer("192.0.2.1"), alice.username)
    fail(api.with_peer("192.0.2.2"), "ghost")
    real = api.with_peer("192.0.2.3").password_grant(alice.username, WRONG)
    unknown = api.with_peer("192.0.2.4").password_grant("ghost", WRONG)
    assert (real.status_code, set(real.json())) == (unknown.status_code, set(unknown.json()))
    assert real.json()["error"] == unknown.json()["error"] == "locked_out"


def test_failures_count_across_prefixes(apis: list[Api], alice: Account) -> None:
    for index in range(MAX_FAILURES):
        apis[index % len(apis)].password_grant(alice.username, WRONG)
    for each in apis:
        assert_locked_out(each.password_grant(alice.username))


def test_the_username_is_locked_from_every_address(api: Api, alice: Account) -> None:
    for index in range(MAX_FAILURES):
        api.with_peer(f"192.0.2.{index + 1}").password_grant(alice.username, WRONG)
    assert_locked_out(api.with_peer("198.51.100.9").password_grant(alice.username))


SPRAYED = [f"ghost{n}" for n in range(1, MAX_FAILURES_PER_IP + 1)]


def test_the_address_is_locked_for_every_username(api: Api, alice: Account, bob: Account) -> None:
    attacker = api.with_peer("203.0.113.5")
    for name in SPRAYED:
        attacker.password_grant(name, WRONG)
    assert_locked_out(attacker.password_grant(bob.username))
    assert api.with_peer("203.0.113.6").password_grant(bob.username).status_code == 200


def test_a_success_before_the_threshold_clears_the_counters(api: Api, alice: Account) -> None:
    fail(api, alice.username, MAX_FAILURES - 1)
    assert api.password_grant(alice.username).status_code == 200
    fail(api, alice.username, MAX_FAILURES - 1)
    assert api.password_grant(alice.username).status_code == 200


def test_the_lockout_window_comes_from_the_settings(
    api: Api, alice: Account, settings: SettingsWrapper
) -> None:
    settings.LOGIN_LOCKOUT = 30
    fail(api, alice.username)
    retry_after = int(api.password_grant(alice.username).headers["Retry-After"])
    assert 1 <= retry_after <= 30


def test_unlock_command_lifts_a_username_lock(api: Api, alice: Account) -> None:
    for index in range(MAX_FAILURES):
        api.with_peer(f"192.0.2.{index + 1}").password_grant(alice.username, WRONG)
    locked = api.with_peer("198.51.100.9")
    assert_locked_out(locked.password_grant(alice.username))
    call_command("unlock", username=alice.username)
    assert locked.password_grant(alice.username).status_code == 200


def test_unlock_command_lifts_an_address_lock(api: Api, alice: Account) -> None:
    attacker = api.with_peer("203.0.113.5")
    for name in SPRAYED:
        attacker.password_grant(name, WRONG)
    assert_locked_out(attacker.password_grant(alice.username))
    call_command("unlock", ip="203.0.113.5")
    assert attacker.password_grant(alice.username).status_code == 200


def test_a_lockout_is_recorded_in_the_database(api: Api, alice: Account) -> None:
    from throttling.models import Lockout

    fail(api, alice.username)
    api.password_grant(alice.username)
    assert Lockout.objects.filter(username=alice.username).exists()


# --- bf-demo ---------------------------------------------------------------------------------


DEMO_WRONG = {"username": "demo-nobody", "password": WRONG}
DEMO_RIGHT = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}


def test_bf_demo_accepts_the_demo_pair(api: Api) -> None:
    response = api.post("/bf-demo/login", json=DEMO_RIGHT)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"authenticated": True}}


def test_bf_demo_refuses_a_wrong_pair_with_401(api: Api) -> None:
    assert_error(api.post("/bf-demo/login", json=DEMO_WRONG), 401, "not_authenticated")


def test_bf_demo_refuses_the_right_pair_while_locked(api: Api) -> None:
    for _ in range(MAX_FAILURES):
        api.post("/bf-demo/login", json={"username": DEMO_USERNAME, "password": WRONG})
    assert_error(api.post("/bf-demo/login", json=DEMO_RIGHT), 429, "locked_out")


def test_bf_demo_locks_out_after_the_threshold(api: Api) -> None:
    for _ in range(MAX_FAILURES):
        assert api.post("/bf-demo/login", json=DEMO_WRONG).status_code == 401
    response = api.post("/bf-demo/login", json=DEMO_WRONG)
    assert_error(response, 429, "locked_out")
    assert 1 <= int(response.headers["Retry-After"]) <= LOCKOUT


def test_bf_demo_counters_are_its_own(api: Api, alice: Account) -> None:
    for _ in range(MAX_FAILURES + 1):
        api.post("/bf-demo/login", json={"username": alice.username, "password": WRONG})
    assert api.password_grant(alice.username).status_code == 200


def test_bf_demo_status_answers(api: Api) -> None:
    api.post("/bf-demo/login", json=DEMO_WRONG)
    response = api.get("/bf-demo/status")
    assert response.status_code == 200
    assert "data" in response.json()


def test_bf_demo_status_changes_after_a_failure(api: Api) -> None:
    before = api.get("/bf-demo/status").json()
    api.post("/bf-demo/login", json=DEMO_WRONG)
    assert api.get("/bf-demo/status").json() != before
