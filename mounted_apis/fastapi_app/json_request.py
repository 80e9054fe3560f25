"""`ContractRoute`: FastAPI's route class, reading JSON bodies by the contract's rule.

FastAPI decodes a JSON body with `json.loads`, which takes `NaN`, lone
surrogates (`"\\ud800"`, which PostgreSQL later refuses) and any depth. The
contract refuses those with 400 `bad_request` at every prefix, and a body that
is JSON but not an object (`null`, `[1, 2]`) too. FastAPI's documented
extension point for this is a custom `Request` class handed out by a custom
`APIRoute` ("Custom Request and APIRoute class" in its docs): `ContractRequest.json()`
parses with `common.json_body.loads_json`, the rule Flask applies as well.

    router = APIRouter(prefix="/books", route_class=ContractRoute)

FastAPI calls `json()` before it resolves any dependency, so a malformed
body is answered before authentication (see the guide, "Order of checks").
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from common.errors import MSG_NOT_AN_OBJECT, BadRequest
from common.json_body import loads_json


class ContractRequest(Request):
    """A Request whose `json()` is strict JSON, and an object."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            data = loads_json(await self.body())  # :raise BadRequest: NaN, depth, surrogates
            if not isinstance(data, dict):
                raise BadRequest(MSG_NOT_AN_OBJECT)
            self._json = data
        return self._json


class ContractRoute(APIRoute):
    """An APIRoute whose endpoints see a ContractRequest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            return await handler(ContractRequest(request.scope, request.receive))

        return route_handler
