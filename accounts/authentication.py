"""DRF's side of the token service: simplejwt's JWTAuthentication, and its OpenAPI entry.

    Authorization: Bearer eyJhbGciOiJIUzI1NiIs...

`BearerTokenAuthentication` is simplejwt's `JWTAuthentication`, its
`authenticate()` unchanged; the three steps it calls are pointed at the
code FastAPI and Flask use too, so a token gets the same answer at every
prefix:

    get_raw_token        accounts.tokens.bearer_from_header
    get_validated_token  token_service.verify_access   (signature, claims, expiry)
    get_user             token_service.resolve_access  (the login family, one query)

No header, or another scheme, means anonymous (a view that needs a user then
answers 401 `not_authenticated`, with JWTAuthentication's
`WWW-Authenticate: Bearer realm="api"`). A Bearer header whose token the
token service refuses answers 401 `invalid_token`. As with simplejwt,
`request.user` is the user and `request.auth` the validated token: here its
verified claims (logout reads the login family from them).

`SnapshotBearerAuthentication` is the same class for the cached reads
(GET /books, GET /books/{id}): it stops after the signature, as simplejwt's
`JWTStatelessUserAuthentication` does, and leaves the "is this login still
open?" question to the cached read, which asks it in the same Redis round
trip that counts the budget and fetches the page (the speed path,
books/drf_fast_read.py). docs/drf.md, "A cached read".
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import HTTP_HEADER_ENCODING, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.models import User
from accounts.tokens import bearer_from_header, token_service
from common.asgi.metrics import record_user
from common.errors import MSG_INVALID_TOKEN, InvalidToken
from drf_support.browsable import BrowsableApiRenderer

TOKEN_URL = "/api/drf/auth/token"


class BearerTokenAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication, checking tokens through `token_service`.

    Each hook turns the service's InvalidToken into DRF's AuthenticationFailed,
    not ours: DRF then records "no user" on the request before re-raising, so
    nothing that reads request.user later (throttles, middleware)
    authenticates again. drf_support.exceptions maps it to our envelope.
    """

    # The overrides here (type: ignore[override]) take and return the token
    # service's claims dict where simplejwt's annotations say Token: simplejwt
    # only passes what get_validated_token returned on to get_user.
    def authenticate(self, request: Any) -> tuple[User, dict[str, Any]] | None:  # type: ignore[override]
        # simplejwt returns (get_user(...), get_validated_token(...)): the types below.
        result = cast("tuple[User, dict[str, Any]] | None", super().authenticate(request))
        if result is not None:  # the access log names the user (common/asgi/request_log.py)
            record_user(request.META.get("asgi.scope"), result[0].pk)
        return result

    def get_raw_token(self, header: bytes) -> str | None:  # type: ignore[override]
        """The token of a Bearer header; None for another scheme (anonymous)."""
        try:
            return bearer_from_header(header.decode(HTTP_HEADER_ENCODING))
        except InvalidToken:
            raise exceptions.AuthenticationFailed(MSG_INVALID_TOKEN) from None

    def get_validated_token(self, raw_token: str) -> dict[str, Any]:  # type: ignore[override]
        """The verified claims (no database yet)."""
        try:
            return token_service.verify_access(raw_token)
        except InvalidToken:
            raise exceptions.AuthenticationFailed(MSG_INVALID_TOKEN) from None

    def get_user(self, validated_token: dict[str, Any]) -> User:  # type: ignore[override]
        """The claims' user, if their login family is still open (one query)."""
        try:
            return token_service.resolve_access(validated_token).user
        except InvalidToken:
            raise exceptions.AuthenticationFailed(MSG_INVALID_TOKEN) from None


class TokenLogin:
    """The user of a verified access token, before the database is asked (simplejwt's TokenUser).

    Enough for a public read: an id for the rate limit and the access log,
    `is_authenticated` for permissions. Not a `User`: nothing may write
    with it, and `is_admin` is always False (the role lives in the database).
    """

    is_authenticated = True
    is_anonymous = False
    is_admin = False
    is_active = True

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims

    @cached_property
    def pk(self) -> int:
        return int(self.claims["sub"])

    @property
    def id(self) -> int:
        return self.pk

    def __str__(self) -> str:
        return f"TokenLogin({self.pk})"


class SnapshotBearerAuthentication(BearerTokenAuthentication):
    """BearerTokenAuthentication that stops at the signature, for the cached reads only.

    `request.user` is a `TokenLogin`; `request.auth` the verified claims. The
    login family is checked right after, by `OneRoundTripCachedReads`, in the
    round trip that reads the page: against the snapshot in Redis, or (no
    snapshot yet) against the database, once, with a 401 if it is revoked.
    A view that uses this class must use that mixin too: the pair is the
    whole check. The browsable API (HTML) still takes the full path, so its
    forms see the real user and role.
    """

    def authenticate(self, request: Any) -> tuple[Any, dict[str, Any]] | None:  # type: ignore[override]
        if isinstance(getattr(request, "accepted_renderer", None), BrowsableApiRenderer):
            return super().authenticate(request)
        return JWTAuthentication.authenticate(self, request)  # type: ignore[return-value]

    def get_user(self, validated_token: dict[str, Any]) -> TokenLogin:  # type: ignore[override]
        # No query; the cached read names the user in the access log once the login is confirmed.
        return TokenLogin(validated_token)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describe the authentication as OAuth2's password flow.

    Swagger UI's "Authorize" button then asks for a username and password,
    calls the token endpoint, and sends the access token on every request.
    """

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "OAuth2PasswordBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "flows": {"password": {"tokenUrl": TOKEN_URL, "scopes": {}}},
        }
