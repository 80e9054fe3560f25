"""A Content-Security-Policy for the API docs pages of every framework.

Swagger UI and ReDoc are served from the installed packages (no CDN), but
ReDoc's bundle still asks for an image from cdn.redoc.ly (the "API docs by
Redocly" logo; no option turns it off). The policy keeps the pages
self-contained: the browser fetches nothing that is not this server's, which
is also the right default for pages that handle bearer tokens.
"""

from __future__ import annotations

import re

from common.asgi.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PAGE = re.compile(r"^/api/[a-z]+/(docs|redoc)$")

POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        # Both UIs inject inline styles; Swagger UI's init script is inline.
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self' 'unsafe-inline'",
        # ReDoc runs its search index in a worker built from a blob.
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "frame-ancestors 'self'",
    ]
).encode()



class DocsContentSecurityPolicy:
    """ASGI middleware: add the policy to responses of `{prefix}/docs` and `/redoc`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not DOCS_PAGE.match(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", POLICY))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_policy)
