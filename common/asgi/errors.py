"""Answering an error from the ASGI layer, before any framework sees the request."""

from __future__ import annotations

from common.asgi.types import Send
from common.errors import ApplicationError


async def send_error(
    send: Send, error: ApplicationError, *, extra_headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """The contract's JSON envelope for `error`, as the frameworks would write it."""
    body = error.compact_json()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in error.response_headers().items()
                ),
                *extra_headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
