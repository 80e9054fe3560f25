"""Puts the RateLimit headers on every limited Django response.

A DRF throttle runs inside the view, before the view's own code, and cannot
touch the response the view (or the exception handler) will build. So it
leaves its decision on the Django request (`remember_decision`), and this
middleware copies the headers onto whatever response comes back: 200, 404,
422 alike. A refused request needs nothing from here: its RateLimited
exception already carries the headers.

Sync and async capable, so it adds no thread hand-off under either handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from throttling.limiter import RateLimitDecision

# Where the decision waits on the HttpRequest between the throttle and us.
REQUEST_ATTRIBUTE = "ratelimit_decision"


def remember_decision(request: HttpRequest, decision: RateLimitDecision) -> None:
    setattr(request, REQUEST_ATTRIBUTE, decision)


def apply_headers(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    decision: RateLimitDecision | None = getattr(request, REQUEST_ATTRIBUTE, None)
    if decision is not None:
        for name, value in decision.headers().items():
            if name not in response:  # a 429's own (fresher) headers win
                response[name] = value
    return response


class RateLimitHeadersMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        return apply_headers(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)  # type: ignore[misc]
        return apply_headers(request, response)
