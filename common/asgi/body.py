"""Reading a request body whole, on the event loop, before any framework sees it.

a2wsgi hands Django and Flask a `wsgi.input` that reads from the socket on
the framework's worker thread: a client trickling its body one byte at a
time would hold that thread (ten per framework) for as long as it likes.
So the edge reads every body here first, bounded twice:

- in size, by MAX_BODY_BYTES: a `Content-Length` above it is refused
  before anything is read; a chunked body is refused at the first byte
  beyond it (413 `payload_too_large`);
- in time, by BODY_TIMEOUT: a body not complete by then is refused
  (408 `request_timeout`).

The app then gets the buffered body from `replay`, in one message, with its
length declared (WSGI apps read exactly CONTENT_LENGTH bytes, none without it).

What all bodies together hold is bounded too (`BodyBudget`,
MAX_BODY_BYTES_IN_FLIGHT): a thousand clients each stalling just under
MAX_BODY_BYTES would otherwise hold a gigabyte. A body reserves its
`Content-Length` (a chunked one, MAX_BODY_BYTES: its size is known only at
its end) before a byte is read, and gives it back when its request is done.
"""

from __future__ import annotations

import asyncio

from common.asgi.types import Message, Receive
from common.errors import PayloadTooLarge, RequestTimeout


class BodyBudget:
    """Bytes reserved by the bodies of requests in flight, across connections.

    One per process, used on the event loop only (no lock needed).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.reserved = 0

    def reserve(self, size: int) -> bool:
        """Reserve `size` bytes; False (nothing reserved) when that would pass the limit."""
        if self.reserved + size > self.limit:
            return False
        self.reserved += size
        return True

    def release(self, size: int) -> None:
        self.reserved -= size


class ClientGone(Exception):
    """The client disconnected before its body was complete: nobody to answer."""


async def read_body(receive: Receive, *, max_bytes: int, timeout: float) -> bytes:
    """The whole body. :raise PayloadTooLarge, RequestTimeout, ClientGone:"""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    raise ClientGone()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(max_bytes)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise RequestTimeout(timeout) from None


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out the buffered body once, then the real channel."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # waits for the disconnect, as the app expects

    return replayed

