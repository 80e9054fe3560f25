"""A plain ASGI callable: no framework, no routing, the payload for any path.

What any Python ASGI app costs at the least on this uvicorn: the ceiling
the other numbers sit under. It still serializes the dict per request, as
the frameworks do, so the gap to them is the framework, not json.dumps.
"""

from __future__ import annotations

from common.asgi.types import ASGIApp, Receive, Scope, Send

from .payload import compact_json, load_payload


def create_app() -> ASGIApp:
    payload = load_payload()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        body = compact_json(payload)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
