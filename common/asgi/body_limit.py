"""Refuse request bodies larger than MAX_BODY_BYTES, for every framework, before they are read.

Each framework has its own idea of a size limit (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB, ends in a 500 through DRF; FastAPI
and Flask read and parse anything). One ASGI middleware in front of all
three gives the contract's single answer, 413 `payload_too_large`:

- a `Content-Length` above the limit is refused at once, nothing is read;
- a body without `Content-Length` (chunked transfer encoding) is read here,
  up to the limit and no further, then replayed to the app with its length
  now declared; one byte more and the client gets the 413 instead.

So a client can never make the process hold more than MAX_BODY_BYTES of one
request's body in memory, whichever prefix it sends to.
"""

from __future__ import annotations

from common.asgi.errors import send_error
from common.asgi.types import ASGIApp, Message, Receive, Scope, Send
from common.errors import PayloadTooLarge


class BodySizeLimit:
    """ASGI middleware: 413 for a request body longer than `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)  # the server stops at Content-Length
            return
        if not _has_header(scope, b"transfer-encoding"):
            # HTTP/1.1: neither header means no body at all (every plain GET).
            await self.app(scope, receive, send)
            return
        # No length declared: read up to the limit before the app sees anything.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # Now that the length is known, say it: WSGI apps (Django and Flask
        # behind a2wsgi) read exactly CONTENT_LENGTH bytes, none without it.
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"transfer-encoding", b"content-length")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app(dict(scope, headers=headers), _replay(body, receive), send)

    async def _refuse(self, send: Send) -> None:
        # The unread rest of the body makes the connection unusable.
        await send_error(send, PayloadTooLarge(self.max_bytes),
                         extra_headers=((b"connection", b"close"),))


def _content_length(scope: Scope) -> int | None:
    """The declared Content-Length, or None when absent or not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _has_header(scope: Scope, wanted: bytes) -> bool:
    return any(name == wanted for name, _value in scope.get("headers", []))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out the buffered body once, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
