"""In a real browser: the password reset email's link, a new password, then logins with it.

The walk a person takes (API.md, "Auth": password reset):

1. a reset is asked for through the API (POST /api/fastapi/auth/password-reset);
2. the email arrives (the live server runs in this process, so it lands in
   Django's test outbox) and its link is opened in Chromium;
3. the page moves the token into the session and redirects: the address
   bar ends on `/set-password`, with no token in it;
4. the new password is typed twice and submitted: the browser's own POST,
   with its own `Origin` header, passes Django's CSRF check (a page with
   `<meta name="referrer" content="no-referrer">` made Chromium send
   `Origin: null`, which Django refuses with 403);
5. the done page shows, and the new password logs in at every prefix while
   the old one is refused.

A forged link shows the "invalid or used" page and no form at all. The
confirm endpoint of each prefix is covered by tests/contract/test_password_reset.py.
"""

from __future__ import annotations

import re
import time

import httpx
from django.core import mail
from playwright.sync_api import Browser, expect

from accounts.models import User
from tests.e2e.conftest import PASSWORD, open_page

PREFIXES = ("/api/drf", "/api/fastapi", "/api/flask")
NEW_PASSWORD = "Velvet-Harbor-9-Compass"
INVALID = re.compile("invalid or used", re.IGNORECASE)
_LINK = re.compile(r"(http://\S+/password-reset/\S+)")


def _emailed_link(timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mail.outbox, "no reset email arrived"
    (message,) = mail.outbox
    match = _LINK.search(message.body)
    assert match, message.body
    return match[1]


def _password_grant(server: str, prefix: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server}{prefix}/auth/token",
        data={"grant_type": "password", "username": "alice", "password": password},
        timeout=10,
    )


def test_the_emailed_link_sets_a_new_password_in_chromium(
    server: str, alice: User, browser: Browser
) -> None:
    response = httpx.post(
        f"{server}/api/fastapi/auth/password-reset", json={"email": alice.email}, timeout=10
    )
    assert response.status_code == 202, response.text
    link = _emailed_link()
    assert link.startswith(f"{server}/password-reset/"), link
    token = link.rstrip("/").rsplit("/", 1)[1]

    page, elsewhere = open_page(browser, link, server)
    # The token went into the session; the address bar holds none of it.
    expect(page).to_have_url(re.compile(r"/password-reset/[^/]+/set-password$"))
    assert token not in page.url
    passwords = page.locator("input[type=password]")
    expect(passwords).to_have_count(2)
    passwords.nth(0).fill(NEW_PASSWORD)
    passwords.nth(1).fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("password", re.IGNORECASE)).click()
    assert "CSRF" not in page.content()
    expect(page.get_by_role("heading")).to_have_text(re.compile("password.*changed", re.I))
    expect(page).to_have_url(f"{server}/password-reset/done")
    assert elsewhere == []

    # The same link again: used, so the page says so and offers no form.
    page.goto(link)
    expect(page.get_by_role("heading")).to_have_text(INVALID)
    expect(page.locator("input[type=password]")).to_have_count(0)
    page.close()

    for prefix in PREFIXES:
        new = _password_grant(server, prefix, NEW_PASSWORD)
        assert new.status_code == 200, (prefix, new.text)
        assert new.json()["token_type"] == "bearer"
        old = _password_grant(server, prefix, PASSWORD)
        assert old.status_code == 400, (prefix, old.text)
        assert old.json()["error"] == "invalid_grant"


def test_a_forged_link_shows_no_form(server: str, alice: User, browser: Browser) -> None:
    page, _ = open_page(browser, f"{server}/password-reset/MQ/c4x9-forgedtoken", server)
    expect(page.get_by_role("heading")).to_have_text(INVALID)
    expect(page.locator("input[type=password]")).to_have_count(0)
    expect(page.locator("form")).to_have_count(0)
    page.close()
