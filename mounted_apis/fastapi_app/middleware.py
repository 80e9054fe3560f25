"""RateLimitHeadersMiddleware: the RateLimit headers on every limited response.

The rate-limit dependency (deps.RateLimit) runs before the endpoint and
cannot know which response will follow: a 200, a 404 raised by the domain, a
422 from the body. It leaves its decision in `scope["state"]` (what
`request.state` wraps), and this middleware, which sees every response
start, copies the decision's headers onto it. A refused request's 429
already carries its own, fresher headers: those are kept.

Pure ASGI, not `BaseHTTPMiddleware`: no extra task per request, and the
scope is passed on unchanged (the composition root reads `scope["route"]`
back for its metrics).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .deps import RATE_LIMIT_STATE


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Created here so the dict the dependency writes to is the one we read.
        state = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            decision = state.get(RATE_LIMIT_STATE)
            if message["type"] == "http.response.start" and decision is not None:
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in decision.headers().items():
                    if name.lower().encode("latin-1") not in present:
                        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
