"""`ContractRoute`: FastAPI's route class, with DRF's rules for reading a JSON body.

FastAPI reads and decodes the body *before* it resolves any dependency, so
out of the box a malformed body would answer 400/422 even to a caller without
a token. DRF parses lazily, inside the view, after authentication, permission
checks and throttling, and it has its own idea of an empty body. For the same
request to get the same answer at both prefixes, this route class (FastAPI's
documented extension point, "Custom Request and APIRoute class") looks at
the body first and applies the contract's body rule,
`common.json_body.json_object_body` (shared with Flask): an empty body is
treated as `{}` (DRF: "no content" = empty data, so a missing field says
"This field is required."); a wrong content type, a body that is not
(strict) JSON, or JSON that is not an object is a 400.

The three 400s are *not* raised here. The error is left on `request.state`
and the body swapped for a placeholder that can never validate: FastAPI then
runs the dependencies (authentication, permission, rate limit, in that order,
any of which may answer first, as in DRF), fails on the placeholder, and the
RequestValidationError handler (errors.py) answers with the stored 400.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute
from starlette.types import Message

from common.errors import ApplicationError, BadRequest, OAuthError
from common.json_body import json_object_body

from .errors import BODY_ERROR_STATE

# A JSON string: valid JSON (so FastAPI decodes it) that no object schema accepts.
_UNPARSED_PLACEHOLDER = b'"<unparsed request body>"'
_EMPTY_OBJECT = b"{}"


def _with_body(request: Request, body: bytes) -> Request:
    """A copy of `request` whose body is `body`, declared as JSON.

    The copy reads its body through plain ASGI: its `receive` hands over
    `body` as the one `http.request` message, then passes on to the real
    `receive` (whose body was already read), e.g. for a disconnect.
    """
    headers = [
        (name, value)
        for name, value in request.scope["headers"]
        if name not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return pending.pop() if pending else await request.receive()

    request.state  # noqa: B018  (creates scope["state"], which the copy then shares)
    return Request(dict(request.scope, headers=headers), receive)


class ContractRoute(APIRoute):
    """An APIRoute whose JSON body is checked the way DRF checks it (module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None or isinstance(body_field.field_info, fastapi_params.Form):
            return handler  # no JSON body: nothing to check

        async def route_handler(request: Request) -> Response:
            raw = await request.body()
            try:
                json_object_body(raw, request.headers.get("content-type"))
            except BadRequest as error:
                setattr(request.state, BODY_ERROR_STATE, error)
                return await handler(_with_body(request, _UNPARSED_PLACEHOLDER))
            if not raw:  # the rule's `{}`, in bytes FastAPI can decode
                return await handler(_with_body(request, _EMPTY_OBJECT))
            return await handler(request)

        return route_handler


class OAuthRoute(ContractRoute):
    """A route answering every error in RFC 6749's shape: the token endpoint.

    API.md: the envelope holds for every endpoint *except* the OAuth2 token
    endpoint. Errors raised before the grant logic runs (the limiter's 429,
    its 503 when the cache is down) are ApplicationErrors; this turns them
    into OAuthErrors, with the same status and headers, so an OAuth2 client
    library always finds `error` / `error_description`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except ApplicationError as exc:
                raise OAuthError.from_application_error(exc) from None

        return route_handler
