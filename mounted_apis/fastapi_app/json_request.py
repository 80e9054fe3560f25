"""`ContractRoute`: FastAPI's route class, reading JSON bodies by the contract's rule.

FastAPI decodes a JSON body with `json.loads`, which takes `NaN`, lone
surrogates (`"\\ud800"`, which PostgreSQL later refuses) and any depth, and
treats a missing body as a missing field. The contract (the same at every
prefix) refuses the first three with 400 `bad_request`, and a body that is
JSON but not an object (`null`, `[1, 2]`) too; no body at all is an empty
object, so each required field is reported missing. FastAPI's documented
extension point for this is a custom `Request` class handed out by a custom
`APIRoute` ("Custom Request and APIRoute class" in its docs):

    router = APIRouter(prefix="/books", route_class=ContractRoute)

`ContractRequest.json()` parses with `common.json_body.loads_json`, the rule
Flask applies as well. FastAPI reads the body before it resolves any
dependency, so a malformed body is answered before authentication; a body
that parses but breaks a field's rule is reported after the dependencies
(see the guide, "Order of checks"). The route's limiter never ran for the
former: the route handler spends that budget itself, as the contract counts
every answer of a limited endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from common.errors import MSG_NOT_AN_OBJECT, MSG_UNSUPPORTED_MEDIA, BadRequest
from common.json_body import loads_json
from common.media_types import JSON_MEDIA_TYPE, media_type

from .deps import RateLimit

EMPTY_OBJECT = b"{}"


class ContractRequest(Request):
    """A Request whose body is a JSON object: `{}` when empty, strict JSON otherwise."""

    async def body(self) -> bytes:
        # What FastAPI sees: an empty body is an empty object.
        return await super().body() or EMPTY_OBJECT

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = self._json_object(await super().body())
        return self._json

    def _json_object(self, raw: bytes) -> dict[str, Any]:
        if not raw:
            return {}
        # FastAPI asks only when the type is JSON or absent (strict_content_type=False).
        if media_type(self.headers.get("content-type")) != JSON_MEDIA_TYPE:
            raise BadRequest(MSG_UNSUPPORTED_MEDIA)
        data = loads_json(raw)  # :raise BadRequest: not JSON, NaN, too deep, surrogates
        if not isinstance(data, dict):
            raise BadRequest(MSG_NOT_AN_OBJECT)
        return data


class ContractRoute(APIRoute):
    """An APIRoute whose endpoints see a ContractRequest.

    FastAPI hands `json()` a body without a Content-Type only when
    `strict_content_type` is off; ContractRequest then refuses it itself,
    with the contract's message, unless it is empty.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["strict_content_type"] = False
        super().__init__(*args, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # The route's limiter, for a body refused before it could run (below).
        limiter = next((d.dependency for d in self.dependencies
                        if isinstance(d.dependency, RateLimit)), None)

        async def route_handler(request: Request) -> Response:
            contract_request = ContractRequest(request.scope, request.receive)
            try:
                return await handler(contract_request)
            except HTTPException as exc:
                # FastAPI answers a body it cannot decode before any dependency,
                # the limiter included; the contract counts that answer too.
                if isinstance(exc.__cause__, BadRequest) and limiter is not None:
                    await limiter.count_refused_request(contract_request)
                raise

        return route_handler
