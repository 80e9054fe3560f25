"""The headers the edge puts on every response, whichever framework answered.

Django's SecurityMiddleware and XFrameOptionsMiddleware add some of them to
what Django serves (/, /admin, /api/drf); FastAPI and Flask add none. The
edge (common/asgi/edge.py) writes them once, in front of all three, so
every prefix (and every path outside them, errors included) answers with
the same set:

    X-Content-Type-Options: nosniff
    Referrer-Policy: same-origin
    X-Frame-Options: DENY            (SAMEORIGIN on the docs pages)
    Cross-Origin-Opener-Policy: same-origin
    Strict-Transport-Security        only when SECURE_HSTS_SECONDS > 0
    Content-Security-Policy          on the docs pages only (below)

Values a framework already set are replaced, so no response carries two
different answers for one header.

The docs pages' Content-Security-Policy: Swagger UI and ReDoc are served
from the installed packages (no CDN), but ReDoc's bundle still asks for an
image from cdn.redoc.ly (the "API docs by Redocly" logo; no option turns it
off). The policy keeps the pages self-contained: the browser fetches nothing
that is not this server's, the right default for pages that handle tokens.
"""

from __future__ import annotations

import re

Header = tuple[bytes, bytes]

DOCS_PAGE = re.compile(r"^/api/[a-z]+/(docs|redoc)$")

DOCS_POLICY = "; ".join(
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

BASE_HEADERS: list[Header] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Swagger UI and ReDoc may be framed by this server's own pages (the landing page).
FRAME_DENY = (b"x-frame-options", b"DENY")
FRAME_SAMEORIGIN = (b"x-frame-options", b"SAMEORIGIN")


def hsts_header(
    seconds: int, *, include_subdomains: bool = False, preload: bool = False
) -> Header | None:
    """Strict-Transport-Security as Django's SecurityMiddleware writes it; None when off."""
    if seconds <= 0:
        return None
    value = f"max-age={seconds}"
    if include_subdomains:
        value += "; includeSubDomains"
    if preload:
        value += "; preload"
    return (b"strict-transport-security", value.encode())


def page_headers(hsts: Header | None) -> list[Header]:
    """What every response but a docs page gets."""
    return [*BASE_HEADERS, FRAME_DENY, *([hsts] if hsts else [])]


def docs_headers(hsts: Header | None) -> list[Header]:
    """What the docs pages get: framed by this server only, and the CSP above."""
    return [*BASE_HEADERS, FRAME_SAMEORIGIN, (b"content-security-policy", DOCS_POLICY),
            *([hsts] if hsts else [])]
