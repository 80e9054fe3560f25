"""The contract's security headers on every response, whichever framework answered.

Django's SecurityMiddleware and XFrameOptionsMiddleware add them to what
Django serves (/, /admin, /api/drf); FastAPI and Flask add none. Setting
them here, once, in front of all three, makes every prefix (and every path
outside them, errors included) answer with the same set:

    X-Content-Type-Options: nosniff
    Referrer-Policy: same-origin
    X-Frame-Options: DENY            (SAMEORIGIN on the docs pages)
    Cross-Origin-Opener-Policy: same-origin
    Strict-Transport-Security        only when SECURE_HSTS_SECONDS > 0

Values a framework already set are replaced, so no response carries two
different answers for one header.
"""

from __future__ import annotations

from common.asgi.docs_security import DOCS_PAGE
from common.asgi.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Swagger UI and ReDoc may be framed by this server's own pages (the landing page).
FRAME_DENY = (b"x-frame-options", b"DENY")
FRAME_SAMEORIGIN = (b"x-frame-options", b"SAMEORIGIN")


def hsts_header(
    seconds: int, *, include_subdomains: bool = False, preload: bool = False
) -> tuple[bytes, bytes] | None:
    """Strict-Transport-Security as Django's SecurityMiddleware writes it; None when off."""
    if seconds <= 0:
        return None
    value = f"max-age={seconds}"
    if include_subdomains:
        value += "; includeSubDomains"
    if preload:
        value += "; preload"
    return (b"strict-transport-security", value.encode())


class SecurityHeaders:
    """ASGI middleware: the same security headers on every HTTP response."""

    def __init__(self, app: ASGIApp, hsts: tuple[bytes, bytes] | None = None) -> None:
        self.app = app
        self.page_headers = [*BASE_HEADERS, FRAME_DENY]
        self.docs_headers = [*BASE_HEADERS, FRAME_SAMEORIGIN]
        if hsts is not None:
            self.page_headers.append(hsts)
            self.docs_headers.append(hsts)
        self.names = {name for name, _value in self.page_headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self.docs_headers if DOCS_PAGE.match(scope["path"]) else self.page_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in self.names
                ]
                message = dict(message, headers=kept + added)
            await send(message)

        await self.app(scope, receive, send_with_headers)
