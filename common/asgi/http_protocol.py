"""uvicorn's httptools protocol, with what only the connection can decide.

    uvicorn config.asgi:application --http common.asgi.http_protocol:EdgeHttpProtocol

(config/serving.py's `server_command` and the systemd unit start it so.)
The edge (edge.py) sees a request only once its head is parsed; four things
happen before that, or outside it, and are decided here:

- **Trailers are not headers.** uvicorn appends a chunked body's trailer
  fields to the very list it put in the scope, and when the body arrives in
  the same read as the head they are there before the app starts. The scope
  gets its own copy of the header lines when the head is complete: a trailer
  `Authorization` or `Host` never reaches the edge or a framework.
- **A head must arrive in time.** uvicorn's keep-alive timer covers the
  pause between requests only: a connection that connects and sends
  nothing, or trickles a head, is held forever. Here a head not complete
  within `HEAD_TIMEOUT_S` of the connection (or of its first byte, on a
  kept-alive connection) closes the connection, as nginx's
  `client_header_timeout` does.
- **A head is bounded in memory.** httptools has no limit of its own: a head
  still incomplete after `MAX_HEAD_BYTES` is answered 431 and closed. (The
  contract's MAX_HEADER_BYTES, smaller, is the edge's 431.)
- **A request that cannot be parsed** gets the contract's envelope with the
  security headers and an `X-Request-ID`, not uvicorn's plain-text 400.
- **An idle connection is not cut under a request at shutdown.** uvicorn
  closes every connection with no request in progress as it stops. nginx
  may have sent a request on one a moment before (on a kept-alive
  connection, or right after connecting): closing it resets that request
  unread, and nginx cannot resend a POST (CI's rolling restart: one 503 in
  about two thousand requests). Here such a connection is given
  `SHUTDOWN_GRACE_S`, longer than nginx's upstream `keepalive_timeout`
  (2 s): nginx closes it first, or its request arrives and is answered
  with `Connection: close`.

Standard library and uvicorn only: uvicorn imports this before the app.
"""

from __future__ import annotations

import asyncio
import json
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from common.asgi.security_headers import page_headers

HEAD_TIMEOUT_S = 10.0
MAX_HEAD_BYTES = 65_536
# At shutdown, how long an idle connection stays open for a request already
# on its way: more than nginx keeps an idle upstream connection (2 s).
SHUTDOWN_GRACE_S = 2.5


def _refusal(status: int, reason: bytes, code: str, message: str) -> bytes:
    """A whole `Connection: close` answer in the contract's envelope."""
    body = json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":")).encode()
    lines = [
        b"HTTP/1.1 %d %s" % (status, reason),
        b"content-type: application/json",
        b"content-length: %d" % len(body),
        b"cache-control: no-store",
        b"connection: close",
        *(name + b": " + value for name, value in page_headers(None)),
        b"x-request-id: " + os.urandom(16).hex().encode(),
        b"x-served-by: edge",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


BAD_REQUEST = _refusal(400, b"Bad Request", "bad_request", "The request could not be read.")
HEAD_TOO_LARGE = _refusal(
    431, b"Request Header Fields Too Large", "headers_too_large",
    f"The request headers are larger than {MAX_HEAD_BYTES} bytes in all.",
)


class EdgeHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with the four rules of the module docstring."""

    _head_timer: asyncio.TimerHandle | None = None
    _in_head = True
    _head_bytes = 0
    _shutting_down = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._refuse(HEAD_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        self._in_head = False
        self._head_bytes = 0
        # The scope's own list: later on_header calls (the trailer) append elsewhere.
        self.scope["headers"] = list(self.headers)
        super().on_headers_complete()
        if self._shutting_down and self.cycle is not None:
            self.cycle.keep_alive = False  # arrived during shutdown: the last one

    def shutdown(self) -> None:
        """uvicorn's, but an idle connection gets SHUTDOWN_GRACE_S for a request on its way."""
        if self._idle() and not self.transport.is_closing():
            self._shutting_down = True
            self.loop.call_later(SHUTDOWN_GRACE_S, self._close_if_idle)
            return
        super().shutdown()  # a request in progress: answered, then closed

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _close_if_idle(self) -> None:
        if self._idle() and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._in_head = True  # the next bytes are the next request's head
        self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        self._refuse(BAD_REQUEST)

    # -- the head timer

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            loop = asyncio.get_running_loop()
            self._head_timer = loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or (self.cycle is not None and not self.cycle.response_complete):
            return  # a request is being answered: not idle
        self.transport.close()

    def _refuse(self, answer: bytes) -> None:
        self._disarm_head_timer()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()
