"""One canonical identity (API.md, "Brute force"): NFKC, then case folding, on every backend.

The login lookup, uniqueness, the lockout counters and the password-reset
budget all compare the same form, computed in Python. Before, the lookup
was the database's `iexact` (PostgreSQL: `UPPER()`, and `UPPER('ı') = 'I'`;
SQLite: ASCII only) while the counters case-folded in Python:

- on PostgreSQL, `ıvy` (dotless ı, U+0131) with ivy's password logged in as
  ivy, even while ivy was locked, with fresh counters of its own;
- on SQLite, `élodie` and `Élodie` registered as two accounts, and `ÉLODIE`
  could not log in as élodie;
- on PostgreSQL, `u@dıtto.io` spellings mailed u@ditto.io's reset link past
  its per-address budget.

Two spellings that fold differently are two names: `ıvy` is an unknown user
(invalid_grant), never ivy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core import mail
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.contract.conftest import PASSWORD, Account, Api, assert_oauth_error
from tests.contract.test_brute_force import (  # small_threshold: its autouse fixture
    MAX_FAILURES,
    WRONG,
    assert_locked_out,
    small_threshold,  # noqa: F401
)
from tests.contract.test_password_reset import request_reset, wait_for_mail

IVY = "ivy-quartermaine"
DOTLESS_IVY = "\u0131vy-quartermaine"  # ıvy-...: folds to itself, not to "ivy"


def test_a_dotless_i_does_not_log_in_as_a_locked_ivy(
    api: Api, make_user: Callable[..., Account]
) -> None:
    ivy = make_user(IVY)
    guesser = api.with_peer("192.0.2.1")
    for _ in range(MAX_FAILURES):
        guesser.password_grant(ivy.username, WRONG)
    assert_locked_out(guesser.password_grant(ivy.username))

    response = guesser.password_grant(DOTLESS_IVY, ivy.password)
    assert response.status_code in (400, 429), response.text
    if response.status_code == 400:  # another name, unknown: the plain refusal
        assert_oauth_error(response, 400, "invalid_grant")
    # Still locked: the other spelling unlocked nothing.
    assert_locked_out(guesser.password_grant(ivy.username))


def test_a_dotless_i_is_another_name_not_ivy(api: Api, make_user: Callable[..., Account]) -> None:
    ivy = make_user(IVY)
    assert_oauth_error(api.password_grant(DOTLESS_IVY, ivy.password), 400, "invalid_grant")
    # Its failures are its own: ivy is not locked by them.
    for index in range(MAX_FAILURES + 1):
        api.with_peer(f"192.0.2.{index + 1}").password_grant(DOTLESS_IVY, WRONG)
    assert api.with_peer("198.51.100.9").password_grant(ivy.username).status_code == 200


def test_accented_names_that_fold_alike_are_one_account(api: Api) -> None:
    first = api.register("élodie", "elodie@example.com")
    assert first.status_code == 201, first.text
    second = api.register("Élodie", "elodie2@example.com")
    assert second.status_code == 409, second.text
    third = api.register("ÉLODIE", "elodie3@example.com")
    assert third.status_code == 409, third.text


def test_an_upper_case_accented_name_logs_in_as_its_account(api: Api) -> None:
    assert api.register("élodie", "elodie@example.com").status_code == 201
    tokens = api.login("ÉLODIE", PASSWORD)
    me = api.get("/auth/me", headers=tokens.headers)
    assert me.status_code == 200, me.text
    assert me.json()["data"]["username"] == "élodie"


def test_emails_that_fold_alike_are_one_address(api: Api) -> None:
    """Case folding, not lower-casing: `ß` is `ss` (PostgreSQL's LOWER keeps ß)."""
    assert api.register("hans-one", "hans@straße.example").status_code == 201
    response = api.register("hans-two", "hans@strasse.example")
    assert response.status_code == 409, response.text


def test_a_dotless_i_email_neither_spends_nor_bypasses_the_owners_reset_budget(
    api: Api, make_user: Callable[..., Account], settings: SettingsWrapper
) -> None:
    """u@dıtto.io is another address: it mails nobody, and u@ditto.io's budget holds.

    Each request comes from its own address, so only the budget per address
    across all IPs counts.
    """
    settings.PASSWORD_RESET_PER_ADDRESS = 2
    owner = make_user("ditto-owner", email="u@ditto.io")
    sentinel = make_user("sentinel", email="sentinel@example.com")
    mail.outbox.clear()

    request_reset(api.with_peer("198.51.100.1"), "u@ditto.io")
    request_reset(api.with_peer("198.51.100.2"), "U@DITTO.IO")  # same address, same budget
    request_reset(api.with_peer("198.51.100.3"), "u@Ditto.io")  # 202, and nothing sent
    for number, spelling in enumerate(("u@dıtto.io", "u@dıttö.io", "U@DıTTO.IO")):
        request_reset(api.with_peer(f"198.51.100.{10 + number}"), spelling)
    # A last, unrelated email: once it is out, the requests before it are done.
    request_reset(api.with_peer("198.51.100.20"), sentinel.email)
    deadline = time.monotonic() + 10
    while sentinel.email not in [m.to[0] for m in mail.outbox] and time.monotonic() < deadline:
        time.sleep(0.02)
    wait_for_mail(3)
    time.sleep(0.3)  # a straggler from the look-alikes would land by now

    to_owner = [m for m in mail.outbox if m.to == [owner.email]]
    assert len(to_owner) == 2, [m.to for m in mail.outbox]


@pytest.mark.parametrize("spelling", ["IVY-QUARTERMAINE", "ｉｖｙ-quartermaine"])
def test_spellings_that_fold_alike_share_the_lock(
    api: Api, make_user: Callable[..., Account], spelling: str
) -> None:
    """Upper case and full-width letters (NFKC) are ivy: one name, one counter."""
    ivy = make_user(IVY)
    guesser = api.with_peer("192.0.2.1")
    for _ in range(MAX_FAILURES):
        guesser.password_grant(spelling, WRONG)
    assert_locked_out(guesser.password_grant(ivy.username))
