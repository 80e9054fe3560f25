"""In a real browser: each docs page loads offline, Authorize logs in, Try it out works.

Run by `.ci/run` (with Debian's Chromium installed), or by hand:

    .venv/bin/pip install -r requirements/e2e.txt   # Playwright, no browser download
    python3 dev.py test tests/e2e                    # needs /usr/bin/chromium

The server is the real composed ASGI app under uvicorn, on a thread of this
process, so it sees the test database; the browser is Chromium driven by
Playwright. Every request the page makes must stay on the server: Swagger
UI and ReDoc assets come from the installed packages, not a CDN.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from accounts.models import User
from config.asgi import application

CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic would be refused by this machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "Tr0mbone-Quartz-Lantern"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(transactional_db: None) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def alice(transactional_db: None) -> User:
    return User.objects.create_user(username="alice", email="alice@example.com", password=PASSWORD)


def _open(browser: Browser, url: str, base: str) -> tuple[Page, list[str]]:
    """The page, and every request to elsewhere that the browser did not block.

    ReDoc's bundle asks for its "by Redocly" logo from cdn.redoc.ly; the
    docs pages' Content-Security-Policy (common/docs_security.py) stops the
    browser from sending it, which Chromium reports as a "csp" failure.
    """
    page = browser.new_page()
    elsewhere: list[str] = []

    def _is_local(url: str) -> bool:
        return url.startswith((base, f"blob:{base}", "data:"))

    def on_finished(request: Any) -> None:
        if not _is_local(request.url):
            elsewhere.append(request.url)

    def on_failed(request: Any) -> None:
        blocked_by_policy = (request.failure or "").lower() in {"csp", "net::err_blocked_by_csp"}
        if not _is_local(request.url) and not blocked_by_policy:
            elsewhere.append(f"{request.url} ({request.failure})")

    page.on("requestfinished", on_finished)
    page.on("requestfailed", on_failed)
    page.goto(url)
    return page, elsewhere


@pytest.mark.parametrize("prefix", ["/api/drf", "/api/fastapi", "/api/flask"])
def test_authorize_then_try_it_out(server: str, alice: User, browser: Browser, prefix: str):
    page, elsewhere = _open(browser, f"{server}{prefix}/docs", server)

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


# API.md gives Flask Swagger UI only, no ReDoc.
@pytest.mark.parametrize("prefix", ["/api/drf", "/api/fastapi"])
def test_redoc_renders_offline(server: str, browser: Browser, prefix: str) -> None:
    page, elsewhere = _open(browser, f"{server}{prefix}/redoc", server)
    page.get_by_text("/books", exact=False).first.wait_for(timeout=15_000)
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
