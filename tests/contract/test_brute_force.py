"""Brute-force lockout at the token endpoint (any prefix) and the bf-demo endpoints.

Failures lock a username *from one address*: a stranger guessing at a name
never keeps its owner out from another address (the admin included, at
/admin/ too); an address is locked after its own, higher number; a name
guessed at from many addresses is slowed except from its owner's addresses.
"""

from __future__ import annotations

import io
import re

import httpx
import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.contract.conftest import PASSWORD, Account, Api, assert_error, assert_oauth_error
from throttling.demo import DEMO_PASSWORD, DEMO_USERNAME

MAX_FAILURES = 3
# The address's own, higher threshold (LOGIN_MAX_FAILURES_PER_IP).
MAX_FAILURES_PER_IP = 6
# A name's failures across all addresses before it is slowed.
MAX_FAILURES_PER_USERNAME = 8
LOCKOUT = 600
WRONG = "Wrong-Password-42"
ADMIN_LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def small_threshold(settings: SettingsWrapper) -> None:
    settings.LOGIN_MAX_FAILURES = MAX_FAILURES
    settings.LOGIN_MAX_FAILURES_PER_IP = MAX_FAILURES_PER_IP
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = MAX_FAILURES_PER_USERNAME
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
    assert body["error_description"], body
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
    real = api.with_peer("192.0.2.1").password_grant(alice.username, WRONG)
    unknown = api.with_peer("192.0.2.2").password_grant("ghost", WRONG)
    assert (real.status_code, set(real.json())) == (unknown.status_code, set(unknown.json()))
    assert real.json()["error"] == unknown.json()["error"] == "locked_out"


def test_failures_count_across_prefixes(apis: list[Api], alice: Account) -> None:
    for index in range(MAX_FAILURES):
        apis[index % len(apis)].password_grant(alice.username, WRONG)
    for each in apis:
        assert_locked_out(each.password_grant(alice.username))


STRANGER = "203.0.113.99"
OWNER = "198.51.100.9"


def test_a_strangers_failures_never_keep_the_owner_out(api: Api, alice: Account) -> None:
    stranger = api.with_peer(STRANGER)
    fail(stranger, alice.username)
    assert_locked_out(stranger.password_grant(alice.username))  # the stranger's address
    assert api.with_peer(OWNER).password_grant(alice.username).status_code == 200


def _make_the_admin() -> None:
    from accounts.models import User

    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.mark.usefixtures("transactional_db")
def test_five_guesses_at_the_admin_never_keep_the_admin_out(
    api: Api, settings: SettingsWrapper
) -> None:
    """The default thresholds; spellings that fold to the admin's name (NFKC, case)."""
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_MAX_FAILURES_PER_IP = 20
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 100
    _make_the_admin()
    stranger = api.with_peer(STRANGER)
    for spelling in ("Admin", "\uff41\uff44\uff4d\uff49\uff4e", "ADMIN", "admin", "Admin"):
        assert_oauth_error(stranger.password_grant(spelling, WRONG), 400, "invalid_grant")
    assert_locked_out(stranger.password_grant("admin"))
    owner = api.with_peer(OWNER)
    assert owner.password_grant("admin").status_code == 200
    assert admin_login(owner, "admin", PASSWORD).status_code == 302


@pytest.mark.usefixtures("transactional_db")
def test_guesses_at_the_admin_login_page_never_keep_the_admin_out(api: Api) -> None:
    _make_the_admin()
    stranger = api.with_peer(STRANGER)
    for _ in range(MAX_FAILURES):
        assert admin_login(stranger, "admin", WRONG).status_code == 200  # the form again
    refused = admin_login(stranger, "admin", PASSWORD)
    assert "Too many failed logins" in refused.text
    assert_locked_out(stranger.password_grant("admin"))  # one set of counters
    assert admin_login(api.with_peer(OWNER), "admin", PASSWORD).status_code == 302
    assert api.with_peer(OWNER).password_grant("admin").status_code == 200


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
    locked = api.with_peer("198.51.100.9")
    fail(locked, alice.username)
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


# --- the address's own threshold; what a success clears; what unlock lifts --------------------


def test_a_success_does_not_wipe_the_addresses_failures(api: Api, alice: Account) -> None:
    """Spraying from one address with an account of one's own.

    Two guesses at other names, then the attacker's own login, again and
    again: before, each success cleared the address's count, so it never
    reached a lock (12 guesses, not one 429).
    """
    attacker = api.with_peer("203.0.113.77")
    statuses = []
    for turn in range(6):
        for guess in range(MAX_FAILURES - 1):  # never enough to lock a username
            statuses.append(attacker.password_grant(f"victim{turn}-{guess}", WRONG).status_code)
        statuses.append(attacker.password_grant(alice.username).status_code)
    assert statuses.count(429) >= 2, statuses
    assert_locked_out(attacker.password_grant(alice.username))
    assert_locked_out(attacker.password_grant("victim-next", WRONG))


# --- the name across all addresses: slowed, not locked ------------------------------------


def test_a_distributed_guess_slows_strangers_but_not_the_owners_address(
    api: Api, alice: Account
) -> None:
    home = api.with_peer(OWNER)
    assert home.password_grant(alice.username).status_code == 200  # a familiar address
    for index in range(MAX_FAILURES_PER_USERNAME):
        bot = api.with_peer(f"10.9.{index // 200}.{index % 200 + 1}")
        assert_oauth_error(bot.password_grant(alice.username, WRONG), 400, "invalid_grant")
    slowed = api.with_peer("192.0.2.200").password_grant(alice.username)  # the right password
    body = assert_oauth_error(slowed, 429, "rate_limited")
    assert 1 <= int(slowed.headers["Retry-After"]) <= LOCKOUT
    assert body["error_description"]
    assert home.password_grant(alice.username).status_code == 200
    assert api.with_peer("192.0.2.200").password_grant("bob-elsewhere", WRONG).status_code == 400


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def admin_login(api: Api, username: str, password: str) -> httpx.Response:
    """The Django admin's login form, through the same ASGI app and client address."""
    page = api.client.get(ADMIN_LOGIN)
    assert page.status_code == 200
    return api.client.post(
        ADMIN_LOGIN,
        data={
            "username": username,
            "password": password,
            "next": "/admin/",
            "csrfmiddlewaretoken": _csrf_token(page.text),
        },
        follow_redirects=False,
    )


def test_one_users_typos_do_not_lock_the_admin_out_of_the_admin(
    api: Api, bob: Account, settings: SettingsWrapper
) -> None:
    """Six wrong passwords for bob from 127.0.0.1 (default thresholds): the admin logs in there."""
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_MAX_FAILURES_PER_IP = 20
    for _ in range(6):
        api.password_grant(bob.username, WRONG)
    assert_locked_out(api.password_grant(bob.username))  # bob is locked, as he should be

    from accounts.models import User

    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    response = admin_login(api, "boss", PASSWORD)
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/admin/"
    assert api.client.get("/admin/").status_code == 200


def _lock_bob_and_his_address(api: Api, bob: Account, address: str) -> Api:
    """bob's lock, recorded from `address`; then other names' failures lock the address."""
    office = api.with_peer(address)
    fail(office, bob.username)
    for index in range(MAX_FAILURES_PER_IP - MAX_FAILURES):
        assert_oauth_error(office.password_grant(f"ghost{index}", WRONG), 400, "invalid_grant")
    assert_locked_out(office.password_grant("anyone-else"))
    return office


def test_unlock_username_says_the_ip_lock_still_stands_and_lifts_it_on_request(
    api: Api, bob: Account
) -> None:
    office = _lock_bob_and_his_address(api, bob, "198.51.100.40")

    out = io.StringIO()
    call_command("unlock", username=bob.username, stdout=out)
    assert "Still locked, and blocking 'bob' too: IP 198.51.100.40 (login, until" in out.getvalue()
    assert "--with-ip" in out.getvalue()
    # What it says: bob's own lock is gone (from elsewhere), the address's stands.
    assert_locked_out(office.password_grant(bob.username))
    assert api.with_peer("192.0.2.77").password_grant(bob.username).status_code == 200

    out = io.StringIO()
    call_command("unlock", username=bob.username, with_ip=True, stdout=out)
    assert "IP 198.51.100.40; 1 lockout(s) lifted." in out.getvalue()
    assert "Still locked" not in out.getvalue()
    assert office.password_grant(bob.username).status_code == 200


def test_unlock_with_ip_in_one_go(api: Api, bob: Account) -> None:
    office = _lock_bob_and_his_address(api, bob, "198.51.100.41")
    call_command("unlock", "--username", "BOB", "--with-ip", stdout=io.StringIO())
    assert office.password_grant(bob.username).status_code == 200


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
