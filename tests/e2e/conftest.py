"""What every browser test needs: the server, Chromium, a user, a page that watches the network.

The server is the real composed ASGI app under uvicorn, on a thread of this
process, so it sees the test database; the browser is Debian's Chromium
driven by Playwright (no browser download). Every request a page makes must
stay on this server: the docs' and the browsable API's assets come from the
installed packages, not a CDN.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from accounts.models import User
from config.asgi import application
from tests.support.network import free_port

CHROMIUM = "/usr/bin/chromium"
# Chromium's own background traffic would be refused by this machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "Tr0mbone-Quartz-Lantern"


@pytest.fixture
def server(transactional_db: None) -> Iterator[str]:
    port = free_port()
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


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for these tests (a launch costs a second or two).

    Every page the tests open is `browser.new_page()`, a fresh context: no
    cookie or storage is shared between tests. Playwright's sync API keeps an
    event loop on this thread, and Django refuses ORM calls where a loop runs
    (the tests create users and read lockouts while the browser is open), so
    that check is off while the browser lives (for the whole process: the
    contract tests, not these, hold the server to it).
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def alice(transactional_db: None) -> User:
    return User.objects.create_user(username="alice", email="alice@example.com", password=PASSWORD)


def open_page(browser: Browser, url: str, base: str) -> tuple[Page, list[str]]:
    """The page, and every request to elsewhere that the browser did not block.

    ReDoc's bundle asks for its "by Redocly" logo from cdn.redoc.ly; the
    docs pages' Content-Security-Policy (common/asgi/security_headers.py) stops
    the browser from sending it, which Chromium reports as a "csp" failure.
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
