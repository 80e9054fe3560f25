"""In a real browser: each docs page loads offline, Authorize logs in, Try it out works.

Run by `.ci/run` (with Debian's Chromium installed), or by hand:

    .venv/bin/pip install -r requirements/e2e.txt   # Playwright, no browser download
    python3 dev.py test tests/e2e                    # needs /usr/bin/chromium

The server and the browser come from tests/e2e/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from accounts.models import User
from tests.e2e.conftest import PASSWORD, open_page

PREFIXES = ["/api/drf", "/api/fastapi", "/api/flask"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_authorize_then_try_it_out(server: str, alice: User, browser: Browser, prefix: str):
    page, elsewhere = open_page(browser, f"{server}{prefix}/docs", server)

    # The Authorize dialog: OAuth2 password flow against this prefix's token endpoint.
    page.locator("button.authorize").first.click()
    page.fill("#oauth_username", "alice")
    page.fill("#oauth_password", PASSWORD)
    page.locator(".auth-btn-wrapper button.authorize").first.click()
    page.locator(".modal-ux", has_text="Authorized").wait_for(timeout=10_000)
    page.locator("button.btn-done").first.click()

    # Try it out: GET /auth/me, sent by Swagger UI with the bearer token it got.
    page.locator(".opblock-summary-path", has_text="/auth/me").first.click()
    page.locator("button.try-out__btn").first.click()
    page.locator("button.execute").first.click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    assert status.inner_text(timeout=10_000).strip() == "200"
    body = page.locator(".live-responses-table .microlight").first.inner_text()
    assert '"username": "alice"' in body
    assert elsewhere == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_redoc_renders_offline(
    server: str, browser: Browser, prefix: str, tmp_path: Path
) -> None:
    page, elsewhere = open_page(browser, f"{server}{prefix}/redoc", server)
    # ReDoc has rendered the document: its title and an operation of the books tag.
    page.locator("h1", has_text="Books API").first.wait_for(timeout=15_000)
    page.get_by_text("/books", exact=False).first.wait_for(timeout=15_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=tmp_path / f"redoc{prefix.replace('/', '-')}.png")
    assert elsewhere == []
