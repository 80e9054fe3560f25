"""/auth: register, the OAuth2 token endpoint, refresh, logout, me, password reset.

The grant logic (password and refresh grants, lockout, error codes) is
accounts.oauth, shared with DRF; this module parses, calls it once in a
worker thread and answers. The token endpoint reads its form itself (no
python-multipart needed) with `oauth.read_token_form`, the rule Flask uses
too: Django's QueryDict over the url-encoded body, exactly what DRF's
FormParser produces, so every prefix sees the same form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from accounts import oauth, password_reset
from accounts.services import user_register
from common.errors import NO_STORE
from common.mail import outbox
from common.media_types import FORM_MEDIA_TYPE
from common.openapi_text import PASSWORD_RESET, USERS

from ..db import run_db
from ..deps import (
    AUTHENTICATED_THEN_LIMITED,
    CurrentAccess,
    CurrentUser,
    anonymous_rate_limit,
    request_client_ip,
    strict_anonymous_rate_limit,
)
from ..docs import error_responses, oauth_error_responses
from ..routing import ContractRoute, OAuthRoute
from ..schemas import (
    LogoutRequest,
    PasswordResetConfirmRequest,
    PasswordResetRequest,
    RefreshRequest,
    TokenResponse,
    UserEnvelope,
    UserPublic,
    UserRegister,
)

router = APIRouter(prefix="/auth", tags=["auth"], route_class=ContractRoute)

_TOKEN_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM_MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["password", "refresh_token"],
                                       "default": "password"},
                        "username": {"type": "string"},
                        "password": {"type": "string", "format": "password"},
                        "refresh_token": {"type": "string"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    dependencies=[Depends(anonymous_rate_limit)],
    responses=error_responses(400, 409, 422, 429, resource=USERS),
)
async def register(payload: UserRegister) -> UserEnvelope:
    user = await run_db(user_register, **payload.model_dump())
    return UserEnvelope(data=UserPublic.model_validate(user))


async def token(request: Request) -> JSONResponse:
    form = oauth.read_token_form(await request.body(), request.headers.get("content-type"))
    body = await run_db(oauth.token_grant, form=form, client_ip=request_client_ip(request))
    return JSONResponse(body, headers=NO_STORE)


# Added here, after `/register`, so the docs list the endpoints in contract order.
# The token endpoint alone answers every error in RFC 6749's shape (OAuthRoute);
# a route of `router` itself, so its path is `/auth/token` wherever it is read.
router.add_api_route(
    "/token",
    token,
    methods=["POST"],
    route_class_override=OAuthRoute,
    summary="OAuth2 token endpoint (password and refresh_token grants)",
    description="Form-encoded (RFC 6749). `grant_type` may be omitted: it means `password`. "
    "Errors use RFC 6749's shape `{error, error_description}`.",
    # Not authenticated (a stale Bearer header is ignored), limited per IP,
    # and 503 rather than unprotected when the cache is down.
    dependencies=[Depends(strict_anonymous_rate_limit)],
    response_model=TokenResponse,
    responses=oauth_error_responses(400, 429, 503),
    openapi_extra=_TOKEN_FORM_SCHEMA,
)


@router.post(
    "/refresh",
    summary="Rotate a refresh token (JSON twin of the refresh_token grant)",
    dependencies=[Depends(strict_anonymous_rate_limit)],
    response_model=TokenResponse,
    responses=error_responses(400, 422, 429, 503),
)
async def refresh(payload: RefreshRequest) -> JSONResponse:
    body = await run_db(oauth.refresh_grant, payload.refresh_token)
    return JSONResponse(body, headers=NO_STORE)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out: revoke this access token's login (and the given refresh token's)",
    dependencies=AUTHENTICATED_THEN_LIMITED,
    responses=error_responses(400, 401, 422, 429),
)
async def logout(payload: LogoutRequest, access: CurrentAccess) -> Response:
    await run_db(oauth.logout, claims=access.claims, refresh_token=payload.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    summary="The authenticated user",
    dependencies=AUTHENTICATED_THEN_LIMITED,
    responses=error_responses(401, 429),
)
async def me(user: CurrentUser) -> UserEnvelope:
    return UserEnvelope(data=UserPublic.model_validate(user))


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # 202 with no body: nothing for the document to describe
    summary="Ask for a password reset email (202 whether or not the address is known)",
    dependencies=[Depends(strict_anonymous_rate_limit)],
    responses=error_responses(400, 422, 429, 503, resource=PASSWORD_RESET),
)
async def password_reset_request(payload: PasswordResetRequest, request: Request) -> Response:
    """Answers 202 at once, whether or not the address belongs to anyone; when it
    does, an email with a one-time link goes out shortly after.
    """
    # The lookup and the email happen on the mail outbox (common.mail), not in
    # BackgroundTasks: those would run the lookup and the SMTP exchange on the
    # database executor `run_db` uses, and a slow mail server would hold its
    # threads and their pooled connections. `send_later` only queues, so the
    # answer takes the same time whether or not the address belongs to anyone.
    email = await run_db(
        password_reset.password_reset_accept,
        email=payload.email,
        client_ip=request_client_ip(request),
    )
    # The site's origin (not the /api/fastapi mount point): the link opens Django's page.
    server = request.scope.get("server") or (None, None)
    site_url = password_reset.link_origin(
        scheme=request.url.scheme, host=request.headers.get("host", ""), server_port=server[1]
    )
    outbox.send_later(password_reset.password_reset_email, email=email, site_url=site_url)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the uid and token from the reset email",
    dependencies=[Depends(strict_anonymous_rate_limit)],
    responses=error_responses(400, 422, 429, 503, resource=PASSWORD_RESET),
)
async def password_reset_confirm(payload: PasswordResetConfirmRequest) -> Response:
    await run_db(password_reset.password_reset_confirm, **payload.model_dump())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
