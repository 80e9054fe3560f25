"""The admin's login form is guarded by the API's brute-force counters."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import oauth
from accounts.admin_login import MSG_ADMIN_BUSY
from accounts.models import User
from common.errors import OAuthError
from throttling import lockout
from throttling.models import Lockout

from .conftest import PASSWORD

MAX_FAILURES = 3
WRONG = "Wrong-Password-42"
LOGIN_URL = "/admin/login/?next=/admin/"
# Django's test Client reports this REMOTE_ADDR.
CLIENT_IP = "127.0.0.1"


@pytest.fixture(autouse=True)
def small_threshold(settings: SettingsWrapper) -> None:
    settings.LOGIN_MAX_FAILURES = MAX_FAILURES
    # Higher than a name's: most tests here watch the (username, IP) pair alone.
    settings.LOGIN_MAX_FAILURES_PER_IP = 10
    settings.LOGIN_LOCKOUT = 600
    settings.LOGIN_FAILURE_WINDOW = 900


@pytest.fixture
def boss(db: None) -> User:
    return User.objects.create_superuser("boss", "boss@example.com", PASSWORD)


def admin_login(client: Client, username: str, password: str) -> str:
    """POST the admin's login form; the page's text ("" after a redirect)."""
    response = client.post(LOGIN_URL, {"username": username, "password": password})
    return "" if response.status_code == 302 else response.content.decode()


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def test_the_right_password_logs_in(boss: User) -> None:
    client = Client()
    admin_login(client, "boss", PASSWORD)
    assert logged_in(client)


def test_wrong_passwords_lock_the_admin_login(boss: User) -> None:
    client = Client()
    for _ in range(MAX_FAILURES):
        page = admin_login(client, "boss", WRONG)
        assert "Please enter the correct username and password" in page
    page = admin_login(client, "boss", PASSWORD)
    assert "Too many failed logins for this account or from this address" in page
    assert "Try again in 10 minute(s)." in page
    assert not logged_in(client)
    assert Lockout.objects.filter(username="boss", scope="username_ip", ip=CLIENT_IP).exists()


def test_a_strangers_wrong_passwords_never_keep_the_admin_out(boss: User) -> None:
    """Five wrong passwords for `ａｄｍｉｎ`-style spellings of boss from one address:
    that address is locked for boss, the admin's own address is not."""
    stranger = Client(REMOTE_ADDR="203.0.113.66")
    for spelling in ("BOSS", "\uff42\uff4f\uff53\uff53", "boss"):  # full-width: NFKC
        admin_login(stranger, spelling, WRONG)
    assert "Too many failed logins" in admin_login(stranger, "boss", PASSWORD)
    owner = Client(REMOTE_ADDR="198.51.100.3")
    admin_login(owner, "boss", PASSWORD)
    assert logged_in(owner)
    assert not Lockout.objects.filter(ip="198.51.100.3").exists()


def test_an_unknown_username_locks_and_reads_the_same(boss: User) -> None:
    """The lock message says nothing about whether the account exists."""
    pages = []
    for index, username in enumerate(("boss", "nobody")):
        client = Client(REMOTE_ADDR=f"192.0.2.{index + 1}")
        for _ in range(MAX_FAILURES):
            admin_login(client, username, WRONG)
        pages.append(admin_login(client, username, WRONG))
    errors = [re.findall(r'<p class="errornote">.*?</p>', page, re.S) for page in pages]
    assert "Too many failed logins" in errors[0][0]
    assert errors[0] == errors[1]


def test_api_failures_lock_the_admin_login_from_that_address(boss: User) -> None:
    """Same counters: guessing at the token endpoint locks the admin's form
    from the same address, not from another."""
    for _ in range(MAX_FAILURES):
        with pytest.raises(OAuthError):
            oauth.password_grant(username="boss", password=WRONG, client_ip="203.0.113.1")
    client = Client(REMOTE_ADDR="203.0.113.1")
    page = admin_login(client, "boss", PASSWORD)
    assert "Too many failed logins" in page
    assert not logged_in(client)
    elsewhere = Client()
    admin_login(elsewhere, "boss", PASSWORD)
    assert logged_in(elsewhere)


def test_admin_failures_lock_the_api(boss: User) -> None:
    for _ in range(MAX_FAILURES):
        admin_login(Client(), "BOSS", WRONG)  # case-folded: one counter
    with pytest.raises(OAuthError) as refused:
        oauth.password_grant(username="boss", password=PASSWORD, client_ip=CLIENT_IP)
    assert refused.value.error == "locked_out"
    assert "access_token" in oauth.password_grant(
        username="boss", password=PASSWORD, client_ip="203.0.113.1"
    )


def test_a_non_staff_user_with_the_right_password_counts_as_a_failure(
    alice: User,
) -> None:
    """The admin refuses them; a refused admin login is a failed one."""
    for _ in range(MAX_FAILURES):
        admin_login(Client(), "alice", PASSWORD)
    with pytest.raises(OAuthError) as refused:
        oauth.password_grant(username="alice", password=PASSWORD, client_ip=CLIENT_IP)
    assert refused.value.error == "locked_out"


def test_a_success_clears_the_usernames_earlier_failures(
    boss: User, settings: SettingsWrapper
) -> None:
    for _ in range(MAX_FAILURES - 1):
        admin_login(Client(), "boss", WRONG)
    admin_login(Client(), "boss", PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        admin_login(Client(), "boss", WRONG)
    client = Client()
    admin_login(client, "boss", PASSWORD)
    assert logged_in(client)


def test_too_many_in_flight_is_not_a_lockout(boss: User) -> None:
    """Counters full of attempts still mid-check: try again, not locked."""
    for _ in range(MAX_FAILURES):
        lockout.login_guard.reserve("boss", CLIENT_IP)  # in flight, never finished
    page = admin_login(Client(), "boss", PASSWORD)
    assert MSG_ADMIN_BUSY in page.replace("&#x27;", "'")
    assert not Lockout.objects.exists()


def test_the_client_address_is_counted(boss: User, settings: SettingsWrapper) -> None:
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    for name in ("ghost1", "ghost2", "ghost3"):
        admin_login(Client(), name, WRONG)
    status = lockout.login_guard.status(None, CLIENT_IP)
    assert status["locked"] is True


def test_a_slowed_username_says_so_and_lets_a_familiar_address_in(
    boss: User, settings: SettingsWrapper
) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USERNAME = 4
    admin_login(Client(REMOTE_ADDR="198.51.100.5"), "boss", PASSWORD)  # a familiar address
    for index in range(4):  # a guess spread over four addresses
        admin_login(Client(REMOTE_ADDR=f"10.4.0.{index + 1}"), "boss", WRONG)
    page = admin_login(Client(REMOTE_ADDR="192.0.2.77"), "boss", PASSWORD)
    assert "Too many failed logins for this account from many addresses" in page
    assert "Try again in 10 minute(s)" in page
    home = Client(REMOTE_ADDR="198.51.100.5")
    admin_login(home, "boss", PASSWORD)
    assert logged_in(home)
