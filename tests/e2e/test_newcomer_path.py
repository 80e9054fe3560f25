"""In a real browser, the path a newcomer takes: landing page, /compare, then the admin.

One walk, in order:

1. the landing page links to /compare, where the three columns show;
2. the admin's login page lets a superuser in;
3. a username locked out by failed logins is lifted with the "Unlock" button
   on its lockout's page: the row then shows as lifted, and a login for that
   username is answered again (400 invalid_grant: a wrong password) instead
   of 429;
4. a user is soft-deleted with the admin's "Delete" button (the row stays,
   inactive, with a deletion date) and comes back with the "Restore" action.

The failed logins are recorded straight into the login guard, from an
address that is not this machine's: five wrong passwords sent from here
would lock 127.0.0.1 too (the guard counts per username AND per IP), and
with it the admin's own login page. The live server runs in this process
(tests/e2e/conftest.py), so it sees the same database and cache.

Playwright's sync API runs an asyncio event loop on the test's thread, and
Django then refuses the ORM there ("cannot call this from an async
context"). Worse, in that context a query would open a connection that no
teardown closes (PostgreSQL then refuses to drop the test database). So
the users are created by a fixture before the browser starts, and the
checks in between run on a short-lived thread of their own (`off_loop`),
which gives its connections back when it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from accounts.models import User
from common.db import release_connections
from tests.e2e.conftest import PASSWORD, open_page
from throttling.lockout import login_guard
from throttling.models import Lockout

ADMIN_USERNAME = "keeper"
LOCKED_USERNAME = "mallory-target"
# The address the server sees this test's requests come from: a name is
# locked from one address, and the test then tries it from there.
CLIENT_IP = "127.0.0.1"

T = TypeVar("T")


def off_loop(work: Callable[[], T]) -> T:
    """`work()` on a thread outside Playwright's event loop; its connections closed after."""

    def run_and_release() -> T:
        try:
            return work()
        finally:
            release_connections()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_and_release).result()


def lock_out(username: str) -> Lockout:
    """LOGIN_MAX_FAILURES wrong passwords for `username` from CLIENT_IP; that lockout."""
    for _ in range(login_guard.max_failures()):
        login_guard.reserve(username, CLIENT_IP)
        login_guard.record_failure(username, CLIENT_IP)
    return Lockout.objects.get(scope=Lockout.Scope.USERNAME_IP, username=username)


@pytest.fixture
def people(transactional_db: None) -> None:
    """The admin who logs in, a user to delete and restore, a user to lock out."""
    User.objects.create_superuser(
        username=ADMIN_USERNAME, email="keeper@example.com", password=PASSWORD
    )
    User.objects.create_user(username="bob", email="bob@example.com", password=PASSWORD)
    User.objects.create_user(
        username=LOCKED_USERNAME, email="target@example.com", password=PASSWORD
    )


def _token_login_status(server: str, username: str) -> int:
    """The token endpoint's status for a wrong password: 400 (invalid_grant), 429 while locked."""
    response = httpx.post(
        f"{server}/api/fastapi/auth/token",
        data={"grant_type": "password", "username": username, "password": "not-the-password"},
        timeout=10,
    )
    return response.status_code


def _user_row(page: Page, username: str) -> Locator:
    """The users list's row of `username`, after opening the list."""
    return page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=username, exact=True)
    )


def _is_active_icon(row: Locator) -> str | None:
    """The alt text ("True"/"False") of the row's is_active boolean icon."""
    return row.locator("td.field-is_active img").get_attribute("alt")


def test_the_newcomer_path(people: None, server: str, browser: Browser, tmp_path: Path) -> None:

    # 1. Landing page → /compare, three columns.
    page, elsewhere = open_page(browser, f"{server}/", server)
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(page.get_by_role("heading", name="One API, three frameworks")).to_be_visible()
    page.screenshot(path=str(tmp_path / "1-landing.png"))
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(f"{server}/compare")
    columns = page.locator('[data-concept="routing"] .column')
    expect(columns).to_have_count(3)
    for index, framework in enumerate(["drf", "fastapi", "flask"]):
        expect(columns.nth(index)).to_be_visible()
        expect(columns.nth(index)).to_have_attribute("data-framework", framework)
    page.screenshot(path=str(tmp_path / "2-compare.png"))

    # 2. The admin, from the landing page's link, as the superuser.
    page.goto(f"{server}/")
    page.get_by_role("link", name="Django admin").click()
    page.wait_for_url(f"{server}/admin/login/**")
    page.fill("#id_username", ADMIN_USERNAME)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server}/admin/")
    expect(page.get_by_role("link", name="Lockouts")).to_be_visible()
    page.screenshot(path=str(tmp_path / "3-admin.png"))

    # 3. A lockout, lifted with the "Unlock" button.
    lockout = off_loop(lambda: lock_out(LOCKED_USERNAME))
    assert _token_login_status(server, LOCKED_USERNAME) == 429

    page.get_by_role("link", name="Lockouts").click()
    row = page.locator("#result_list tbody tr").filter(has_text=LOCKED_USERNAME).filter(
        has=page.locator("td.field-scope", has_text="Username")
    )
    expect(row.locator(".field-active img")).to_have_attribute("alt", "True")
    page.screenshot(path=str(tmp_path / "4-lockouts.png"))
    row.locator(".field-active a").click()
    page.wait_for_url(f"{server}/admin/throttling/lockout/{lockout.pk}/change/")
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Lifted")
    # The page shows the lock as lifted, by whom, and no longer offers the button.
    expect(page.locator(".field-lifted_by .readonly")).to_have_text(ADMIN_USERNAME)
    expect(page.get_by_role("button", name="Unlock")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "5-unlocked.png"))
    # Back in the list, the same row is no longer active.
    page.get_by_role("link", name="Lockouts", exact=True).first.click()
    expect(row.locator(".field-active img")).to_have_attribute("alt", "False")
    off_loop(lockout.refresh_from_db)
    assert lockout.lifted_at is not None and not lockout.is_active
    assert _token_login_status(server, LOCKED_USERNAME) == 400

    # 4. Soft delete with the admin's "Delete" button, then "Restore".
    page.goto(f"{server}/admin/accounts/user/")
    bob_row = _user_row(page, "bob")
    assert _is_active_icon(bob_row) == "True"
    expect(bob_row.locator("td.field-deleted_at")).to_have_text("-")
    bob_row.get_by_role("link", name="bob", exact=True).click()
    page.locator("a.deletelink").click()
    expect(page.locator("#content")).to_contain_text("soft delete")
    page.screenshot(path=str(tmp_path / "6-delete-confirm.png"))
    page.get_by_role("button", name="Yes, I’m sure").click()
    page.wait_for_url(f"{server}/admin/accounts/user/")
    bob_row = _user_row(page, "bob")
    assert _is_active_icon(bob_row) == "False"
    expect(bob_row.locator("td.field-deleted_at")).not_to_have_text("-")
    page.screenshot(path=str(tmp_path / "7-deleted.png"))
    # The row stayed (a soft delete) and the database agrees with the page.
    bob = off_loop(lambda: User.objects.get(username="bob"))
    assert bob.deleted_at is not None and not bob.is_active

    bob_row.locator("input.action-select").check()
    page.select_option("select[name=action]", "restore_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Restored 1 user(s).")
    bob_row = _user_row(page, "bob")
    assert _is_active_icon(bob_row) == "True"
    expect(bob_row.locator("td.field-deleted_at")).to_have_text("-")
    page.screenshot(path=str(tmp_path / "8-restored.png"))
    off_loop(bob.refresh_from_db)
    assert bob.deleted_at is None and bob.is_active

    assert elsewhere == []
