"""`ContractRoute`: FastAPI's route class, with DRF's rules for reading a JSON body.

FastAPI reads and decodes the body *before* it resolves any dependency, so
out of the box a malformed body would answer 400/422 even to a caller without
a token. DRF parses lazily, inside the view, after authentication, permission
checks and throttling, and it has its own idea of an empty body. For the same
request to get the same answer at both prefixes, this route class (FastAPI's
documented extension point, "Custom Request and APIRoute class") looks at
the body first and:

- empty body                        -> treated as `{}` (DRF: "no content" = empty data),
                                       so a missing field says "This field is required."
- content type not application/json -> 400 "Content type must be application/json."
- not valid (strict) JSON           -> 400 "Request body is not valid JSON."
- valid JSON but not an object      -> 400 "Request body must be a JSON object."

The three 400s are *not* raised here. The error is left on `request.state`
and the body swapped for a placeholder that can never validate: FastAPI then
runs the dependencies (authentication, permission, rate limit, in that order,
any of which may answer first, as in DRF), fails on the placeholder, and the
RequestValidationError handler (errors.py) answers with the stored 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any

from fastapi import Request, Response
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute

from common.errors import (
    MSG_NOT_AN_OBJECT,
    MSG_UNSUPPORTED_MEDIA,
    ApplicationError,
    BadRequest,
    OAuthError,
)

from .errors import BODY_ERROR_STATE

# A JSON string: valid JSON (so FastAPI decodes it) that no object schema accepts.
_UNPARSED_PLACEHOLDER = b'"<unparsed request body>"'
_EMPTY_OBJECT = b"{}"


def _is_json(content_type: str | None) -> bool:
    """DRF's JSONParser matches `application/json`, with or without parameters."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    return message.get_content_type() == "application/json"


def _reject_constant(name: str) -> Any:
    # NaN / Infinity are not JSON; DRF's parser (STRICT_JSON) refuses them too.
    raise ValueError(f"{name} is not valid JSON")


def body_error(raw: bytes, content_type: str | None) -> BadRequest | None:
    """Why `raw` is not an acceptable JSON-object body, or None when it is."""
    if not _is_json(content_type):
        return BadRequest(MSG_UNSUPPORTED_MEDIA)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return BadRequest()
    if not isinstance(data, dict):
        return BadRequest(MSG_NOT_AN_OBJECT)
    return None


def _with_body(request: Request, body: bytes) -> Request:
    """A copy of `request` whose body is `body`, declared as JSON."""
    headers = [
        (name, value)
        for name, value in request.scope["headers"]
        if name not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    request.state  # noqa: B018  (creates scope["state"], which the copy then shares)
    replaced = Request(dict(request.scope, headers=headers), request.receive)
    replaced._body = body  # Starlette's cache of the read body
    return replaced


class ContractRoute(APIRoute):
    """An APIRoute whose JSON body is checked the way DRF checks it (module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        if body_field is None or isinstance(body_field.field_info, fastapi_params.Form):
            return handler  # no JSON body: nothing to check

        async def route_handler(request: Request) -> Response:
            raw = await request.body()
            if not raw:
                return await handler(_with_body(request, _EMPTY_OBJECT))
            error = body_error(raw, request.headers.get("content-type"))
            if error is not None:
                setattr(request.state, BODY_ERROR_STATE, error)
                return await handler(_with_body(request, _UNPARSED_PLACEHOLDER))
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
