"""Password reset by email (API.md, "Auth"), at every prefix.

The email arrives in Django's test outbox (the locmem backend pytest-django
installs). Each request stores a mail job (common.mail); in this process
the job runs as it is stored (settings.TASKS under pytest), on FastAPI's
side on the writer thread, so the tests wait for it rather than expecting
it the instant the 202 is back. The last test stores real rows and works
them with `manage.py db_worker`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from accounts.password_reset import token_generator

from .conftest import NEW_PASSWORD, PASSWORD, Account, Api, assert_error, detail_fields

_UID = re.compile(r"^\s*uid:\s+(\S+)\s*$", re.MULTILINE)
_TOKEN = re.compile(r"^\s*token:\s+(\S+)\s*$", re.MULTILINE)


def wait_for_mail(count: int = 1, timeout: float = 10.0) -> list[mail.EmailMessage]:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(mail.outbox) >= count, f"expected {count} email(s), got {len(mail.outbox)}"
    return list(mail.outbox)


def uid_and_token(message: mail.EmailMessage) -> tuple[str, str]:
    uid, token = _UID.search(message.body), _TOKEN.search(message.body)
    assert uid and token, message.body
    return uid[1], token[1]


def request_reset(api: Api, email: str) -> None:
    response = api.post("/auth/password-reset", json={"email": email})
    assert response.status_code == 202, response.text
    assert response.content == b""


def confirm(api: Api, uid: str, token: str, new_password: str = NEW_PASSWORD):  # noqa: ANN201
    return api.post(
        "/auth/password-reset/confirm",
        json={"uid": uid, "token": token, "new_password": new_password},
    )


def test_the_emailed_token_sets_a_new_password_once(api: Api, alice: Account) -> None:
    old = api.login(alice.username)
    request_reset(api, alice.email.upper())  # addresses match case-insensitively
    (message,) = wait_for_mail()
    assert message.to == [alice.email]
    uid, token = uid_and_token(message)
    # A link a person can open: Django's page on the site the request came to.
    assert f"http://testserver/password-reset/{uid}/{token}" in message.body

    response = confirm(api, uid, token)
    assert response.status_code == 204, response.text

    # Every earlier token of the user is dead, at once.
    assert_error(api.get("/auth/me", headers=old.headers), 401, "invalid_token")
    assert api.refresh_grant(old.refresh).json()["error"] == "invalid_grant"
    assert api.password_grant(alice.username, PASSWORD).status_code == 400
    api.login(alice.username, NEW_PASSWORD)
    # The token was one-time: using it changed the password it was made from.
    assert_error(confirm(api, uid, token, "Another-Fine-Pass-77"), 400, "invalid_token")


def test_a_token_from_one_prefix_works_at_the_others(apis: list[Api], alice: Account) -> None:
    drf, fastapi, flask = apis
    request_reset(drf, alice.email)
    uid, token = uid_and_token(wait_for_mail()[0])
    assert confirm(flask, uid, token).status_code == 204
    assert_error(confirm(fastapi, uid, token), 400, "invalid_token")


def test_unknown_address_answers_the_same_and_sends_nothing(
    apis: list[Api], alice: Account
) -> None:
    answers = []
    for number, api in enumerate(apis):
        client = api.with_peer(f"198.51.100.{number + 1}")  # each within its IP budget
        for email in ("nobody@example.com", alice.email):
            response = client.post("/auth/password-reset", json={"email": email})
            answers.append((response.status_code, response.content))
    assert set(answers) == {(202, b"")}
    wait_for_mail(3)
    time.sleep(0.3)  # give any stray sending the time to show up
    assert [m.to for m in mail.outbox] == [[alice.email]] * 3


def test_inactive_user_gets_no_mail(api: Api, make_user: Callable[..., Account]) -> None:
    gone = make_user("gone", is_active=False)
    request_reset(api, gone.email)
    time.sleep(0.3)
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("uid", "token"),
    [("MQ", "forged-token"), ("!!!", "x"), ("", "abc-def"), ("OTk5OTk5", "abc-def")],
)
def test_forged_token_or_uid_is_invalid_token(
    api: Api, alice: Account, uid: str, token: str
) -> None:
    assert_error(confirm(api, uid, token), 400, "invalid_token")


def test_expired_token_is_invalid_token(
    api: Api, alice: Account, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    request_reset(api, alice.email)
    uid, token = uid_and_token(wait_for_mail()[0])
    later = token_generator._now().timestamp() + settings.PASSWORD_RESET_TIMEOUT + 5
    from datetime import datetime

    monkeypatch.setattr(token_generator, "_now", lambda: datetime.fromtimestamp(later))
    assert_error(confirm(api, uid, token), 400, "invalid_token")


def test_weak_password_is_422_and_the_token_still_works(api: Api, alice: Account) -> None:
    request_reset(api, alice.email)
    uid, token = uid_and_token(wait_for_mail()[0])
    response = confirm(api, uid, token, "123")
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["new_password"]
    assert confirm(api, uid, token).status_code == 204


def test_bodies_are_checked(api: Api) -> None:
    response = api.post("/auth/password-reset", json={})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["email"]
    assert detail_fields(api.post("/auth/password-reset", json={"email": 5})) == ["email"]
    assert detail_fields(api.post("/auth/password-reset", json={"email": "not-an-address"})) == [
        "email"
    ]
    response = api.post("/auth/password-reset/confirm", json={"uid": "MQ"})
    assert detail_fields(response) == ["token", "new_password"]
    assert_error(api.post("/auth/password-reset", content=b"[1]",
                          headers={"Content-Type": "application/json"}), 400, "bad_request")


def test_requests_are_limited_per_ip(api: Api, alice: Account, settings) -> None:
    settings.RATE_LIMIT_PASSWORD_RESET = "2/hour"
    # Per IP, whichever addresses it asks for (unknown ones count the same).
    spray = api.with_peer("198.51.100.9")
    request_reset(spray, "one@example.com")
    request_reset(spray, alice.email)
    response = spray.post("/auth/password-reset", json={"email": alice.email})
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    wait_for_mail(1)
    time.sleep(0.3)
    assert len(mail.outbox) == 1  # the refused request sent nothing


def _all_sent(api: Api, sentinel: Account) -> list[mail.EmailMessage]:
    """Every email asked for so far, once sent: a last one to `sentinel` marks the end."""
    request_reset(api.with_peer("192.0.2.250"), sentinel.email)
    deadline = time.monotonic() + 10
    while sentinel.email not in [m.to[0] for m in mail.outbox] and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # a straggler would land by now
    return [m for m in mail.outbox if m.to != [sentinel.email]]


STRANGER = "203.0.113.44"
OWNER = "198.51.100.44"


def test_a_stranger_neither_floods_the_mailbox_nor_stops_the_owners_request(
    api: Api, alice: Account, make_user: Callable[..., Account], settings
) -> None:
    settings.RATE_LIMIT_PASSWORD_RESET = "100/hour"
    settings.PASSWORD_RESET_PER_ADDRESS_IP = 2
    settings.PASSWORD_RESET_PER_ADDRESS = 5
    sentinel = make_user("sentinel")
    stranger = api.with_peer(STRANGER)
    for spelling in (alice.email, alice.email.upper(), alice.email, alice.email.title()):
        request_reset(stranger, spelling)  # 202 every time: nothing tells the budget
    request_reset(api.with_peer(OWNER), alice.email)  # the owner's own: sent
    sent = _all_sent(api, sentinel)
    assert [m.to for m in sent] == [[alice.email]] * 3  # the stranger's two, the owner's one


def test_the_address_has_a_ceiling_across_ips(
    api: Api, alice: Account, make_user: Callable[..., Account], settings
) -> None:
    settings.RATE_LIMIT_PASSWORD_RESET = "100/hour"
    settings.PASSWORD_RESET_PER_ADDRESS_IP = 5
    settings.PASSWORD_RESET_PER_ADDRESS = 3
    sentinel = make_user("sentinel")
    for number in range(5):
        request_reset(api.with_peer(f"203.0.113.{number + 1}"), alice.email)
    sent = _all_sent(api, sentinel)
    assert [m.to for m in sent] == [[alice.email]] * 3


def test_a_login_in_the_same_second_ends_the_link(
    api: Api, alice: Account, time_machine: Any
) -> None:
    """The token hashes last_login to the microsecond: Django's to the second let it live."""
    start = datetime(2026, 12, 2, 8, 0, 0, 100_000, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    api.login(alice.username)
    request_reset(api, alice.email)
    uid, token = uid_and_token(wait_for_mail()[0])
    time_machine.move_to(start + timedelta(milliseconds=500), tick=False)  # the same second
    api.login(alice.username)
    assert_error(confirm(api, uid, token), 400, "invalid_token")


def _emailed_link(api: Api, alice: Account, **kwargs: Any) -> str:
    response = api.post("/auth/password-reset", json={"email": alice.email}, **kwargs)
    assert response.status_code == 202, response.text
    body = wait_for_mail()[0].body
    match = re.search(r"(\S+)/password-reset/\S+", body)
    assert match, body
    return match[1]


def test_the_link_never_has_a_port_the_client_chose(api: Api, alice: Account) -> None:
    # The test client's server listens on port 80 (scope["server"]).
    origin = _emailed_link(api, alice, headers={"Host": "localhost:1337"})
    assert origin == "http://localhost"


def test_the_link_uses_public_url_when_set(api: Api, alice: Account, settings) -> None:
    settings.PUBLIC_URL = "https://books.example.org"
    origin = _emailed_link(api, alice, headers={"Host": "localhost:1337"})
    assert origin == "https://books.example.org"


def test_with_the_task_queue_the_worker_sends_the_email(
    apis: list[Api], alice: Account, settings
) -> None:
    """Every prefix stores a job (the database backend, as served); `manage.py db_worker` sends it.

    The stored row is there when the 202 is: on DRF's and Flask's threads
    it is written before the answer, on FastAPI's loop by the writer thread
    (`wait_until_empty`).
    """
    from io import StringIO

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from common.mail import outbox

    settings.MAIL_QUEUE = "tasks"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for number, api in enumerate(apis):
        request_reset(api.with_peer(f"198.51.100.{60 + number}"), alice.email)
    outbox.wait_until_empty()
    assert mail.outbox == []  # stored, not sent by the server process
    assert DBTaskResult.objects.filter(status="READY").count() == len(apis)
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert [m.to for m in mail.outbox] == [[alice.email]] * len(apis)
    uid, token = uid_and_token(mail.outbox[0])
    assert confirm(apis[0], uid, token).status_code == 204
