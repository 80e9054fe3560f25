"""What the edge costs per request, in process: a raw ASGI app alone vs. behind the edge.

    .venv/bin/python -m benchmarks.edge_cost [N]

No server and no socket: N requests are driven straight into the ASGI
callable with a fake `receive` and `send`, so the difference between the two
rows is the edge's own work (header pass, notes, the response headers, the
metrics, and the access line when the "access" logger is at INFO). The
request is a typical API read: a GET with eight header lines, a query
string, a client-sent X-Request-ID. Each row is the best of ROUNDS runs (the
machine's other work only ever adds time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")  # development keys: nothing here is secret
import django  # noqa: E402

django.setup()

from common.asgi.edge import Edge, EdgeSettings  # noqa: E402
from common.asgi.types import Message, Receive, Scope, Send  # noqa: E402

BODY = b'{"data":[]}'
ROUNDS = 5


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"%d" % len(BODY))]})
    await send({"type": "http.response.body", "body": BODY})


def _scope() -> Scope:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": "/api/fastapi/books",
        "raw_path": b"/api/fastapi/books", "query_string": b"page=1&page_size=20",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"localhost:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*"),
            (b"accept-encoding", b"gzip"), (b"connection", b"keep-alive"),
            (b"x-request-id", b"bench-0001"), (b"authorization", b"Bearer x.y.z"),
            (b"cookie", b"a=b"),
        ],
    }


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


def _best(app: object, n: int) -> float:
    """Microseconds per request, the best of ROUNDS runs."""
    return min(asyncio.run(_run(app, n)) for _ in range(ROUNDS))


async def _run(app: object, n: int) -> float:
    """Microseconds per request."""
    scope = _scope()
    for _ in range(1000):  # warm up
        await app(dict(scope), _receive, _send)  # type: ignore[operator]
    started = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), _receive, _send)  # type: ignore[operator]
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    config = EdgeSettings(
        allowed_hosts=["localhost"], metrics_allowed_ips=["127.0.0.1"],
        max_header_bytes=16_384, max_query_params=1000, max_body_bytes=1_048_576,
        body_timeout=10,
    )
    edge = Edge(raw_app, config, served_by=lambda path: "fastapi")
    access = logging.getLogger("access")
    rows = []
    raw = _best(raw_app, n)
    rows.append(("raw ASGI app alone", raw))
    access.disabled = True
    rows.append(("behind the edge, access line off", _best(edge, n)))
    access.disabled = False
    access.handlers, access.propagate = [logging.NullHandler()], False
    access.setLevel(logging.INFO)
    rows.append(("behind the edge, access line to a NullHandler", _best(edge, n)))
    print(f"{n} requests in process, best of {ROUNDS} runs, µs per request")
    print(f"{'':48} {'µs/req':>8} {'edge cost':>10}")
    for label, micros in rows:
        print(f"{label:48} {micros:8.2f} {micros - raw:10.2f}")


if __name__ == "__main__":
    main()
