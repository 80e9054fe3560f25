"""The edge: one ASGI pass in front of all three frameworks.

Everything that belongs to HTTP rather than to a framework is decided here,
once, in one function call per request, so the three prefixes cannot answer
it differently:

    request
      1. header size       all header lines > MAX_HEADER_BYTES          431 headers_too_large
      2. Host              not exactly one Host line, or one outside
                           ALLOWED_HOSTS (common/hosts.py)              400 bad_request
      3. credentials       two Authorization headers                    401 invalid_token
      4. forwarded         X-Forwarded-For / -Proto believed only from TRUSTED_PROXIES:
                           scope["client"] and scope["scheme"] are rewritten, so every
                           framework (and the limiter) sees the client and the scheme
      5. paths             under /api/ but no prefix's, or a control character in it
                           (`/api/drf/books/1%0A`)                      404 not_found
      6. parameters        more than MAX_QUERY_PARAMS                   400 bad_request
      7. own paths         GET /metrics (METRICS_ALLOWED_IPS, else 404); the pages
                           `/`, `/health`, `/ready`, `/compare` answer GET and HEAD
                           only (405); `/health` (liveness) and `/ready` (readiness,
                           common/health.py) are answered here
      8. body              refused before it is read when the edge already knows the
                           answer: a Content-Length over MAX_BODY_BYTES (413), bodies
                           in flight over MAX_BODY_BYTES_IN_FLIGHT (503), and, under
                           `Expect: 100-continue`, a write on {p}/books without
                           credentials (401); otherwise read whole here, within
                           MAX_BODY_BYTES (413) and BODY_TIMEOUT (408), then replayed
                           (body.py); form fields counted like query parameters (400)
      9. HEAD              passed on as GET, the body dropped from the answer
    response
      - X-Request-ID (echoed when it looks like an id, generated otherwise), X-Served-By
      - the security headers (security_headers.py)
      - RateLimit, RateLimit-Policy from the limiter's decision (notes.py)
      - metrics (count and latency by route template) and the access line (request_log.py)

Header size, a caveat: uvicorn's default parser (httptools, with uvloop)
has no limit of its own and hands the app whatever it buffered, so rule 1
makes the answer the contract's 431, not a memory bound. uvicorn's
`--h11-max-incomplete-event-size` (16 KiB by default) bounds the buffer
only under `--http h11`, and answers a bare 400 there. The server as
shipped bounds a head at 64 KiB itself (http_protocol.py), and nginx's
`large_client_header_buffers` does in front of it.

The header list is decided on once, from the head. uvicorn (httptools)
appends a chunked body's trailer fields to the list it put in the scope,
before the app runs when they arrive with the head; the server as shipped
(http_protocol.py) hands the app its own copy of the head's lines instead,
and the edge works on a copy taken before it reads the body. So no trailer
field reaches a framework as a header (RFC 9110 6.5.1): an `Authorization`
or `Host` sent in a trailer is ignored.

`Expect: 100-continue`: uvicorn sends `100 Continue` on the app's first
`receive()`, so every refusal of rule 8 that comes before the read is the
final answer the client gets instead, and its body is never sent.

Every refusal is the contract's JSON envelope (errors.py) and passes through
the same response path: it gets the same headers and its own access line.
The frameworks tell the edge what only they know (the route template, the
user, the rate-limit decision) through the request's notes (notes.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from common.asgi.body import BodyBudget, ClientGone, read_body, replay
from common.asgi.drain import drain
from common.asgi.errors import send_error
from common.asgi.metrics import LATENCY, REQUESTS, UNMATCHED, serve_metrics
from common.asgi.notes import NOTES_SCOPE_KEY, RequestNotes, current_notes
from common.asgi.request_log import log_request
from common.asgi.security_headers import DOCS_PAGE, Header, docs_headers, page_headers
from common.asgi.types import ASGIApp, Message, Receive, Scope, Send
from common.client_address import client_ip, is_trusted_proxy
from common.errors import (
    MSG_BAD_HOST,
    MSG_BODIES_IN_FLIGHT,
    MSG_TOO_MANY_FIELDS,
    MSG_TWO_AUTHORIZATIONS,
    MSG_TWO_HOSTS,
    ApplicationError,
    BadRequest,
    HeadersTooLarge,
    InvalidToken,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from common.health import CHECK_TIMEOUT_S, report, result_of, start_checks
from common.hosts import HostCheck
from common.media_types import FORM_MEDIA_TYPE, media_type
from common.redis_metrics import count_cache_answer

# A client-sent request id is echoed only when it looks like an id: no header
# injection, no megabyte-long log lines.
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
# A control character (a decoded %0A, %00, ...) anywhere in a path under /api/.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The request headers the edge reads (the rest are only counted).
_READ_HEADERS = frozenset({
    b"host", b"authorization", b"x-request-id", b"content-length", b"content-type",
    b"transfer-encoding", b"x-forwarded-for", b"x-forwarded-proto", b"expect",
})
# The rate-limit headers, written from the limiter's decision only.
_RATELIMIT_NAMES = (b"ratelimit", b"ratelimit-policy")
_CLOSE: tuple[Header, ...] = ((b"connection", b"close"),)
# The pages outside the prefixes that only show something: GET (and HEAD).
_PAGES = frozenset({"/", "/health", "/ready", "/compare"})
_PAGE_METHODS = ["GET", "HEAD"]
# The writes that need credentials at every prefix, known before the body (rule 8).
_BOOK_WRITE = re.compile(r"^/api/(drf|fastapi|flask)/books(/[0-9]+)?/?$")
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LIVE_BODY = b'{"status":"ok"}'
# How long a client refused for bodies in flight should wait: about one body's time.
_BUSY_RETRY_AFTER_S = 2
# Status logged for a client that left before its body was complete (nginx's 499).
CLIENT_GONE = 499


@dataclass(frozen=True)
class EdgeSettings:
    """The limits and lists the edge enforces (settings.py names them)."""

    allowed_hosts: list[str]
    metrics_allowed_ips: list[str]
    max_header_bytes: int
    max_query_params: int
    max_body_bytes: int
    body_timeout: float
    max_body_bytes_in_flight: int = 64 * 1024 * 1024
    shutdown_drain_seconds: float = 0
    hsts: Header | None = None


class Edge:
    """ASGI middleware: the one pass (module docstring)."""

    def __init__(
        self, app: ASGIApp, config: EdgeSettings, *, served_by: Callable[[str], str]
    ) -> None:
        self.app = app
        self.config = config
        self.served_by = served_by
        self.hosts = HostCheck(config.allowed_hosts)
        self.bodies = BodyBudget(config.max_body_bytes_in_flight)
        self.metrics_ips = frozenset(config.metrics_allowed_ips)
        self.page_headers = page_headers(config.hsts)
        self.docs_headers = docs_headers(config.hsts)
        # Per kind of page, the response headers the edge owns (a framework's value is
        # replaced): its own, the request id, X-Served-By and the RateLimit pair.
        always = {b"x-request-id", b"x-served-by", *_RATELIMIT_NAMES}
        self.page_owned = frozenset(name for name, _ in self.page_headers) | always
        self.docs_owned = frozenset(name for name, _ in self.docs_headers) | always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._lifespan_receive(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        config = self.config
        scope = dict(scope)  # ours to rewrite (client, scheme, method, headers)
        method = scope["method"]
        path = scope["path"]
        framework = self.served_by(path)
        notes = RequestNotes()
        scope[NOTES_SCOPE_KEY] = notes
        context_token = current_notes.set(notes)

        # One pass over the header lines: their size and the few the edge reads.
        # Our own copy: the server appends a chunked body's trailer to its list.
        headers: list[Header] = list(scope["headers"])
        scope["headers"] = headers
        size = hosts = authorizations = 0
        host = request_id = forwarded_for = forwarded_proto = content_type = None
        content_length = -1
        chunked = expect_continue = False
        for name, value in headers:
            size += len(name) + len(value) + 4  # "name: value\r\n"
            if name not in _READ_HEADERS:
                continue
            if name == b"host":
                hosts += 1
                host = value
            elif name == b"authorization":
                authorizations += 1
            elif name == b"x-request-id":
                request_id = value if request_id is None else request_id
            elif name == b"content-length":
                content_length = int(value) if value.isdigit() else content_length
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"x-forwarded-for":
                forwarded_for = value if forwarded_for is None else forwarded_for + b"," + value
            elif name == b"x-forwarded-proto":
                forwarded_proto = value
            elif name == b"expect":
                expect_continue = value.strip().lower() == b"100-continue"
        if request_id is None or not _REQUEST_ID.match(request_id):
            request_id = os.urandom(16).hex().encode()
            headers = [(n, v) for n, v in headers if n != b"x-request-id"]
            headers.append((b"x-request-id", request_id))
            scope["headers"] = headers
        if forwarded_for is not None or forwarded_proto is not None:
            _believe_forwarded(scope, forwarded_for, forwarded_proto)

        head = method == "HEAD"
        served_by_value = framework.encode("ascii")
        docs = DOCS_PAGE.match(path) is not None
        added = self.docs_headers if docs else self.page_headers
        owned = self.docs_owned if docs else self.page_owned
        response_status = CLIENT_GONE
        first_byte = 0.0

        async def send_through_edge(message: Message) -> None:
            nonlocal response_status, first_byte
            if message["type"] == "http.response.start":
                response_status = message["status"]
                count_cache_answer(framework, message.get("headers", ()))
                # Header names arrive lower-cased (ASGI; a2wsgi and Starlette do so).
                out = [(n, v) for n, v in message.get("headers", ()) if n not in owned]
                out += added
                out.append((b"x-request-id", request_id))
                out.append((b"x-served-by", served_by_value))
                decision = notes.rate_limit
                if decision is not None:
                    out += [(n.lower().encode(), v.encode()) for n, v in decision.headers().items()]
                message = {**message, "headers": out}
                first_byte = time.perf_counter()
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        has_body = content_length > 0 or chunked
        reserved = 0
        try:
            error = self._refusal(scope, method, path, framework, size, hosts, host, authorizations)
            if error is not None:
                await send_error(send_through_edge, error, extra_headers=_CLOSE if has_body else ())
                return
            if path == "/metrics":
                await self._metrics(scope, method, notes, send_through_edge)
                return
            if path == "/health":  # liveness: the process answers, whatever else is down
                notes.template = path
                await _send_json(send_through_edge, 200, _LIVE_BODY)
                return
            if path == "/ready":
                notes.template = path
                await _send_ready(send_through_edge)
                return
            if has_body:
                try:
                    # Refused before a byte is read (and before uvicorn's `100 Continue`);
                    # the unread rest spoils the connection.
                    if content_length > config.max_body_bytes:
                        raise PayloadTooLarge(config.max_body_bytes)
                    if expect_continue and authorizations == 0 and (
                        method in _WRITE_METHODS and _BOOK_WRITE.match(path)
                    ):
                        raise NotAuthenticated()
                    wanted = content_length if content_length > 0 else config.max_body_bytes
                    if not self.bodies.reserve(wanted):
                        raise ServiceUnavailable(
                            MSG_BODIES_IN_FLIGHT, retry_after=_BUSY_RETRY_AFTER_S
                        )
                    reserved = wanted
                    body = await read_body(
                        receive, max_bytes=config.max_body_bytes, timeout=config.body_timeout
                    )
                except ApplicationError as refusal:  # 413, 401, 503, 408
                    await send_error(send_through_edge, refusal, extra_headers=_CLOSE)
                    return
                except ClientGone:
                    return
                if body.count(b"&") >= config.max_query_params and _is_form(content_type):
                    await send_error(send_through_edge, _too_many_fields(config))
                    return
                if chunked:  # the length is known now: say it, WSGI apps need it
                    scope["headers"] = [
                        (n, v) for n, v in scope["headers"]
                        if n not in (b"transfer-encoding", b"content-length")
                    ] + [(b"content-length", b"%d" % len(body))]
                receive = replay(body, receive)
            if head:
                scope["method"] = "GET"  # answered like GET; the body is dropped above
            await self.app(scope, receive, send_through_edge)
        finally:
            self.bodies.release(reserved)
            current_notes.reset(context_token)
            # Labelled once the app is done: FastAPI's template is known only then.
            template = notes.template or UNMATCHED
            series = _series(framework, template, method, response_status)
            series[0].inc()
            if first_byte:
                series[1].observe(first_byte - started)
            log_request(
                method=method,
                path=path,
                route=notes.template,
                framework=framework,
                status=response_status,
                duration_ms=(time.perf_counter() - started) * 1000,
                user_id=notes.user_id,
                request_id=request_id,
            )

    def _refusal(
        self,
        scope: Scope,
        method: str,
        path: str,
        framework: str,
        size: int,
        hosts: int,
        host: bytes | None,
        authorizations: int,
    ) -> ApplicationError | None:
        """The first rule (1-7 of the module docstring) this request breaks, or None."""
        config = self.config
        if size > config.max_header_bytes:
            return HeadersTooLarge(config.max_header_bytes)
        if hosts > 1:
            return BadRequest(MSG_TWO_HOSTS)
        if host is None or not self.hosts.allows(host):
            return BadRequest(MSG_BAD_HOST)
        if authorizations > 1:
            return InvalidToken(MSG_TWO_AUTHORIZATIONS)
        under_api = path.startswith("/api/") or path == "/api"
        if under_api and (framework == "django" or _CONTROL.search(path)):
            return NotFound()
        query = scope.get("query_string", b"")
        if query and query.count(b"&") >= config.max_query_params:
            return _too_many_fields(config)
        if path in _PAGES and method not in _PAGE_METHODS:
            return MethodNotAllowed(method, _PAGE_METHODS)
        return None

    def _lifespan_receive(self, receive: Receive) -> Receive:
        """`receive` for the lifespan: at startup, the drain goes in front of SIGTERM."""
        seconds = self.config.shutdown_drain_seconds

        async def lifespan_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                drain.install(seconds)
            return message

        return lifespan_receive

    async def _metrics(self, scope: Scope, method: str, notes: RequestNotes, send: Send) -> None:
        """GET /metrics for METRICS_ALLOWED_IPS; a 404 like any unknown path for the rest."""
        client = scope.get("client")
        if client is None or client[0] not in self.metrics_ips:
            await send_error(send, NotFound())
            return
        if method not in _PAGE_METHODS:
            await send_error(send, MethodNotAllowed(method, _PAGE_METHODS))
            return
        notes.template = "/metrics"
        await serve_metrics(send)


@lru_cache(maxsize=4096)
def _series(framework: str, template: str, method: str, status: int) -> tuple[Any, Any]:
    """The counter and histogram children of one label set (labels() costs ~µs a call).

    Bounded like the label values themselves: templates, not paths.
    """
    return (
        REQUESTS.labels(framework, template, method, str(status)),
        LATENCY.labels(framework, template, method),
    )


def _is_form(content_type: bytes | None) -> bool:
    """A form body, whatever the case of its media type (RFC 9110 8.3.1)."""
    return content_type is not None and media_type(content_type.decode("latin-1")) == (
        FORM_MEDIA_TYPE
    )


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"cache-control", b"no-store"),
        ],
    })
    await send({"type": "http.response.body", "body": body})


async def _send_ready(send: Send) -> None:
    """Readiness (common/health.py), awaited on the loop: no worker thread is held."""
    futures = start_checks()
    await asyncio.wait(
        [asyncio.wrap_future(future) for future in futures.values()], timeout=CHECK_TIMEOUT_S
    )
    status, body = report({name: result_of(future) for name, future in futures.items()})
    await _send_json(send, status, json.dumps(body, separators=(",", ":")).encode())


def _too_many_fields(config: EdgeSettings) -> BadRequest:
    return BadRequest(MSG_TOO_MANY_FIELDS.format(limit=config.max_query_params))


def _believe_forwarded(scope: Scope, forwarded_for: bytes | None, proto: bytes | None) -> None:
    """X-Forwarded-For and -Proto, when the peer is a trusted proxy, become the connection's.

    Every framework then reads one answer: Django and Flask through a2wsgi's
    REMOTE_ADDR and wsgi.url_scheme, FastAPI through request.client and
    request.url; the limiter through the same client address.
    """
    peer = scope.get("client")
    if not peer or not is_trusted_proxy(peer[0]):
        return
    if forwarded_for is not None:
        scope["client"] = (
            client_ip(peer=peer[0], forwarded_for=forwarded_for.decode("latin-1")), 0
        )
    if proto is not None:
        # The nearest proxy's word is the last entry.
        scheme = proto.decode("latin-1").rsplit(",", 1)[-1].strip().lower()
        if scheme in ("http", "https"):
            scope["scheme"] = scheme
