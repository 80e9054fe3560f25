"""The speed path of DRF's cached reads: count the budget and fetch the page in one round trip.

    class BookViewSet(OneRoundTripCachedReads, viewsets.GenericViewSet):
        @cached_read
        def list(self, request): ...

What a DRF user would write instead (docs/drf.md, "The speed path"): the
default throttle (a round trip to count), BearerTokenAuthentication (a query
per Bearer read), and a cache lookup in the view (a round trip for the version
and the page). This mixin does the same work with one Redis transaction
(books/fast_read.py, shared with FastAPI and Flask): for `list` and `retrieve`
answered as JSON, the default throttle is not run (`get_throttles`) and the
read counts the request itself, after DRF's authentication and permission
checks (so a 401 spends nothing), in the round trip that reads the books
version and the stored body. A Bearer token is checked in two halves: its
signature by `SnapshotBearerAuthentication` (`get_authenticators`), and
whether its login is still open by the same round trip, against the login's
snapshot (accounts/token_snapshots.py), or once against the database when no
snapshot vouches for it (a revoked login: 401, and the unit counted is given
back). A HIT sends the stored bytes as they are (an HttpResponse: no
serializer, no renderer); a MISS runs the view set's own action and keeps the
bytes its renderer wrote. The browsable API (HTML) takes DRF's ordinary path:
the default throttle, then the action.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import SnapshotBearerAuthentication
from accounts.session import BrowsableApiSessionAuthentication
from books.fast_read import ReadPlan, wsgi_url
from common.asgi.metrics import record_user
from common.asgi.notes import record_rate_limit
from throttling.limiter import default_policy
from throttling.throttles import request_client_ip, request_user_id

HIT = "HIT"
MISS = "MISS"


class OneRoundTripCachedReads:
    """`list` and `retrieve` from the read cache, counted in the same round trip."""

    # The actions whose JSON answers are cached (and counted by the read).
    cached_actions = frozenset({"list", "retrieve"})

    def _reads_from_cache(self) -> bool:
        # `request` and `action` are DRF's GenericViewSet's, which this mixin precedes.
        renderer = getattr(getattr(self, "request", None), "accepted_renderer", None)
        action = getattr(self, "action", None)
        return action in self.cached_actions and isinstance(renderer, JSONRenderer)

    def get_authenticators(self) -> list[Any]:
        # Called before `self.action` is set (ViewSetMixin.initialize_request):
        # the action map says which action this is. drf-spectacular's schema
        # generation (swagger_fake_view) documents the full Bearer class.
        request = getattr(self, "request", None)
        action_map: dict[str, str] = getattr(self, "action_map", {})
        action = action_map.get(request.method.lower()) if request is not None else None
        if action in self.cached_actions and not getattr(self, "swagger_fake_view", False):
            return [SnapshotBearerAuthentication(), BrowsableApiSessionAuthentication()]
        return super().get_authenticators()  # type: ignore[misc]

    def get_throttles(self) -> list[Any]:
        if self._reads_from_cache():
            return []  # the read below counts the request, in its own round trip
        return super().get_throttles()  # type: ignore[misc]

    def answer_from_cache(
        self, request: Request, action: Callable[..., Response], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        """The stored body (HIT), or `action`'s answer, stored once rendered (MISS)."""
        if not self._reads_from_cache():
            return action(request, *args, **kwargs)
        policy = default_policy(user_id=request_user_id(request), ip=request_client_ip(request))
        claims = request.auth if isinstance(request.auth, dict) else None
        plan = ReadPlan.for_request(url=wsgi_url(request.META), policy=policy, claims=claims)
        outcome = plan.read()  # raises RateLimited (429), or 503 with the cache down
        # The edge writes the RateLimit headers from it, on whatever answer follows.
        record_rate_limit(request.META.get("asgi.scope"), outcome.decision)
        if claims is not None:
            if not outcome.token_vouched:
                plan.confirm_token(outcome, claims)  # raises InvalidToken (401)
            record_user(request.META.get("asgi.scope"), request_user_id(request))
        if outcome.page is not None:
            hit = HttpResponse(outcome.page.body, content_type=JSONRenderer.media_type)
            hit["X-Cache"] = HIT
            return hit
        response = action(request, *args, **kwargs)  # a 422 raises: never stored
        response["X-Cache"] = MISS
        # Once DRF's renderer has written the body, keep those very bytes.
        response.add_post_render_callback(lambda rendered: plan.store(outcome, rendered.content))
        return response


Action = Callable[..., Response]


def cached_read(action: Action) -> Callable[..., HttpResponse]:
    """Decorate a view set's `list` or `retrieve`: answered through `answer_from_cache`.

    The view set must include `OneRoundTripCachedReads`, which also moves the
    count out of the throttle and into the read (see the module docstring).
    """

    @functools.wraps(action)
    def wrapper(
        view: OneRoundTripCachedReads, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        bound = functools.partial(action, view)
        return view.answer_from_cache(request, bound, *args, **kwargs)

    return wrapper
