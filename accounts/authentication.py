"""DRF's side of the token service: Bearer authentication and its OpenAPI entry.

    Authorization: Bearer eyJhbGciOiJIUzI1NiIs...

No header, or another scheme, means anonymous (a view that needs a user then
answers 401 `not_authenticated`). A Bearer header whose token the token
service refuses answers 401 `invalid_token`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.models import User
from accounts.tokens import AccessContext, bearer_from_header, token_service
from common.errors import MSG_INVALID_TOKEN, InvalidToken

TOKEN_URL = "/api/drf/auth/token"


class BearerTokenAuthentication(BaseAuthentication):
    """Resolve `Authorization: Bearer <access token>` through `token_service`."""

    def authenticate(self, request: Request) -> tuple[User, AccessContext] | None:
        try:
            token = bearer_from_header(request.META.get("HTTP_AUTHORIZATION"))
            if token is None:
                return None  # not ours: anonymous, or another scheme
            context = token_service.authenticate_access(token)
        except InvalidToken:
            # DRF's own exception, not ours: DRF then records "no user" on
            # the request before re-raising, so nothing that reads
            # request.user later (throttles, middleware) authenticates
            # again. common.drf.exceptions maps it to our InvalidToken envelope.
            raise exceptions.AuthenticationFailed(MSG_INVALID_TOKEN) from None
        return context.user, context

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return 'Bearer realm="api"'


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
