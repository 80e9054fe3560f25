"""Four fixed attacks, replayed against the server as shipped, through a real socket.

The server is `config.serving.server_command` (uvicorn with the project's
edge, no trusted proxies), started once for the module with a mail worker
(`manage.py db_worker`) beside it that writes each email to a folder. Each
test runs at every prefix. The in-process tests (test_register.py,
test_brute_force.py, test_password_reset.py, test_token.py) cover the same
rules; here the client address is a real peer address (the client socket is
bound to 127.x.y.z, which the server reads as the client IP), the tokens
cross a process boundary and the emails come out of the worker:

- a username that grows under NFKC (`ﬃ`, `¼`, `ﷺ`) is `422 validation_error`
  on `username` at registration, never a 500 from the database;
- five wrong passwords for a user from one address lock that user out from
  that address (`429 locked_out`, even with the right password), and the
  owner still logs in from another address (`200`, with tokens);
- a stranger asking, from one address, for reset emails to someone else's
  address (in several spellings) past that pair's budget gets `202` every
  time and never stops the owner's own request from another address: every
  request stores a mail job, exactly the pair's budget of the stranger's plus
  the owner's own carry the address, the owner's (the newest) among them,
  and the worker sends exactly that many emails to the owner;
- access and refresh tokens signed with the server's key (the test shares
  it through the environment, shown by a re-signed token that works) but
  with `exp` as a string or 10**30 are `401 invalid_token` at `/auth/me` and
  `400 invalid_grant` at the refresh grant, never a 500.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from django.conf import settings

from accounts.identity import canonical
from common.mail_tasks import mail_jobs
from config.serving import server_command
from tests.contract.conftest import (
    FRAMEWORK_OF,
    PASSWORD,
    PREFIXES,
    Account,
    assert_error,
    assert_oauth_error,
    bearer,
    detail_fields,
)
from tests.support.network import free_port, wait_until_answering
from tests.support.processes import MailWorker, process_env

# The contract's numbers, said here so the assertions and the server agree.
LOGIN_MAX_FAILURES = 5
PASSWORD_RESET_PER_ADDRESS_IP = 5
STRANGER_REQUESTS = PASSWORD_RESET_PER_ADDRESS_IP + 3
WRONG = "Wrong-Password-42"

SERVER_ENV = {
    "LOGIN_MAX_FAILURES": str(LOGIN_MAX_FAILURES),
    "LOGIN_MAX_FAILURES_PER_IP": "20",
    "LOGIN_MAX_FAILURES_PER_USERNAME": "100",
    "PASSWORD_RESET_PER_ADDRESS_IP": str(PASSWORD_RESET_PER_ADDRESS_IP),
    "PASSWORD_RESET_PER_ADDRESS": "20",
    # Only the mail budgets may hold the stranger back: every answer is 202.
    "RATE_LIMIT_PASSWORD_RESET": "1000/hour",
    "RATE_LIMIT_ANON": "1000/minute",
}

# Usernames of at most 150 characters whose stored (NFKC) form is longer.
GROWING_USERNAMES = ["\ufb03" * 50 + "1", "\u00bc" * 51 + "x", "\ufdfa" * 9 + "x"]

ODD_CLAIMS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "exp-numeric-string": lambda c: {**c, "exp": str(c["exp"])},
    "exp-10e30": lambda c: {**c, "exp": 10**30},
}

_TO = re.compile(r"^To: (.+)$", re.MULTILINE)


@dataclass
class Served:
    base_url: str
    mail_dir: Path


@pytest.fixture(scope="module")
def server(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("attacks")
    mail_dir = folder / "mail"
    mail_dir.mkdir()
    env = process_env({**SERVER_ENV, "EMAIL_URL": f"file://{mail_dir}"})
    for name in ("FORWARDED_ALLOW_IPS", "TRUSTED_PROXIES"):
        env.pop(name, None)  # the peer address is the client IP
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            server_command(sys.executable, host="127.0.0.1", port=port),
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    worker = MailWorker(env, log_path=folder / "worker.log")
    try:
        worker.start()
        try:
            ready = wait_until_answering(f"{base_url}/ready", process, timeout_s=90)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text()[-3000:]}") from None
        assert ready.status_code == 200, ready.text
        yield Served(base_url, mail_dir)
    finally:
        worker.stop()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=15)


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


def client_from(server: Served, prefix: str, address: str = "127.0.0.1") -> httpx.Client:
    """A client of `prefix` whose connections come from `address` (any 127.x.y.z)."""
    return httpx.Client(
        base_url=f"{server.base_url}{prefix}", timeout=30,
        transport=httpx.HTTPTransport(local_address=address),
    )


def addresses(test: int, prefix: str) -> tuple[str, str]:
    """Two client addresses of this test's and this prefix's own: no shared budgets."""
    block = f"127.{test}.{PREFIXES.index(prefix)}"
    return f"{block}.2", f"{block}.3"


def seen_address(http: httpx.Client) -> str:
    """The client IP the server sees for `http` (GET /bf-demo/status says it)."""
    response = http.get("/bf-demo/status")
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["ip"])


@contextmanager
def stranger_and_owner(
    server: Served, prefix: str, test: int
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two clients at two addresses of the test's own, each seen by the server as itself."""
    stranger_ip, owner_ip = addresses(test, prefix)
    with (
        client_from(server, prefix, stranger_ip) as stranger,
        client_from(server, prefix, owner_ip) as own,
    ):
        assert seen_address(stranger) == stranger_ip
        assert seen_address(own) == owner_ip
        yield stranger, own


def password_grant(http: httpx.Client, username: str, password: str) -> httpx.Response:
    return http.post(
        "/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )


# --- 2. a username that grows under NFKC -------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_username_that_grows_under_nfkc_is_a_validation_error(
    server: Served, prefix: str, transactional_db: None
) -> None:
    with client_from(server, prefix) as http:
        for number, username in enumerate(GROWING_USERNAMES):
            assert len(username) <= 150
            response = http.post("/auth/register", json={
                "username": username, "email": f"grows{number}@example.com",
                "password": PASSWORD,
            })
            assert_error(response, 422, "validation_error")
            assert detail_fields(response) == ["username"], username
        # Control: eight U+FDFA (144 letters once stored) still fit.
        fits = http.post("/auth/register", json={
            "username": "\ufdfa" * 8, "email": "fits@example.com", "password": PASSWORD,
        })
        assert fits.status_code == 201, fits.text


# --- 3. a lockout is per (username, address) ---------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_stranger_locks_a_user_out_from_their_own_address_only(
    server: Served, prefix: str, make_user: Callable[..., Account]
) -> None:
    owner = make_user(f"owner-{FRAMEWORK_OF[prefix]}")
    with stranger_and_owner(server, prefix, 10) as (stranger, own):
        for _ in range(LOGIN_MAX_FAILURES):
            wrong = password_grant(stranger, owner.username, WRONG)
            assert_oauth_error(wrong, 400, "invalid_grant")
        # The lock exists: from the stranger's address, even the right password is refused.
        for password in (WRONG, owner.password):
            locked = password_grant(stranger, owner.username, password)
            assert_oauth_error(locked, 429, "locked_out")
            assert int(locked.headers["Retry-After"]) >= 1

        login = password_grant(own, owner.username, owner.password)
        assert login.status_code == 200, login.text
        tokens = login.json()
        assert tokens["access_token"] and tokens["refresh_token"]
        me = own.get("/auth/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json()["data"]["username"] == owner.username


# --- 4. password reset: a stranger cannot block the owner -------------------------------


def wait_for_mail_jobs(count: int, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """The kwargs of every mail job, oldest first, once `count` are stored and all are done."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = list(mail_jobs())
        done = all(row.status in ("SUCCESSFUL", "FAILED") for row in rows)
        if len(rows) >= count and done:
            assert all(row.status == "SUCCESSFUL" for row in rows), [r.status for r in rows]
            return [row.args_kwargs["args"][1] for row in reversed(rows)]
        assert time.monotonic() < deadline, f"{len(rows)} mail job(s), done: {done}"
        time.sleep(0.1)


def emails_sent_to(server: Served, address: str) -> int:
    """How many emails the worker wrote for `address` (the file backend: one To: each)."""
    recipients = [
        to.strip()
        for path in server.mail_dir.iterdir()
        for to in _TO.findall(path.read_text(errors="replace"))
    ]
    return recipients.count(address)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_stranger_cannot_stop_the_owners_password_reset(
    server: Served, prefix: str, make_user: Callable[..., Account]
) -> None:
    victim = make_user(f"victim-{FRAMEWORK_OF[prefix]}")
    spellings = [victim.email, victim.email.upper(), victim.email.title()]
    with stranger_and_owner(server, prefix, 20) as (stranger, own):
        for number in range(STRANGER_REQUESTS):
            response = stranger.post(
                "/auth/password-reset", json={"email": spellings[number % len(spellings)]}
            )
            assert response.status_code == 202, response.text  # nothing tells the budget
        response = own.post("/auth/password-reset", json={"email": victim.email})
        assert response.status_code == 202, response.text

    jobs = wait_for_mail_jobs(STRANGER_REQUESTS + 1)
    assert len(jobs) == STRANGER_REQUESTS + 1
    deliverable = [job["email"] for job in jobs if job["email"] is not None]
    # The pair's budget of the stranger's requests, and the owner's own (the newest).
    assert len(deliverable) == PASSWORD_RESET_PER_ADDRESS_IP + 1, jobs
    assert {canonical(email) for email in deliverable} == {canonical(victim.email)}
    assert jobs[-1]["email"] is not None, jobs
    assert emails_sent_to(server, victim.email) == PASSWORD_RESET_PER_ADDRESS_IP + 1


# --- 6. signed tokens with odd claims -----------------------------------------------------


def resign(token: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
    """`token`'s claims, changed, signed again with the key the server was given."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(change(claims), settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.mark.parametrize("odd", list(ODD_CLAIMS))
@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_signed_token_with_an_odd_exp_is_refused_not_a_500(
    server: Served, prefix: str, odd: str, make_user: Callable[..., Account]
) -> None:
    holder = make_user(f"holder-{FRAMEWORK_OF[prefix]}")
    with client_from(server, prefix) as http:
        login = password_grant(http, holder.username, holder.password)
        assert login.status_code == 200, login.text
        access, refresh = login.json()["access_token"], login.json()["refresh_token"]
        # Control: re-signed here, unchanged, the server takes it: the keys are the same.
        same = http.get("/auth/me", headers=bearer(resign(access, dict)))
        assert same.status_code == 200, same.text

        me = http.get("/auth/me", headers=bearer(resign(access, ODD_CLAIMS[odd])))
        assert_error(me, 401, "invalid_token")
        refreshed = http.post("/auth/token", data={
            "grant_type": "refresh_token", "refresh_token": resign(refresh, ODD_CLAIMS[odd]),
        })
        assert_oauth_error(refreshed, 400, "invalid_grant")

        # Control: the refresh token itself was good; only the claim was odd.
        good = http.post("/auth/token", data={
            "grant_type": "refresh_token", "refresh_token": resign(refresh, dict),
        })
        assert good.status_code == 200, good.text
