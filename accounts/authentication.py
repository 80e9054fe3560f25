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
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import HTTP_HEADER_ENCODING, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.models import User
from accounts.tokens import bearer_from_header, token_service
from common.asgi.metrics import record_user
from common.errors import MSG_INVALID_TOKEN, InvalidToken

TOKEN_URL = "/api/drf/auth/token"


class BearerTokenAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication, checking tokens through `token_service`.

    Each hook turns the service's InvalidToken into DRF's AuthenticationFailed,
    not ours: DRF then records "no user" on the request before re-raising, so
    nothing that reads request.user later (throttles, middleware)
    authenticates again. common.drf.exceptions maps it to our envelope.
    """

    def authenticate(self, request: Any) -> tuple[User, dict[str, Any]] | None:  # type: ignore[override]
        result = super().authenticate(request)
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
