"""/auth: register, the OAuth2 token endpoint, refresh, logout, me, password reset.

The grant logic (password and refresh grants, lockout, error codes) is
accounts.oauth, shared with DRF; this module parses, calls it once in a
worker thread and answers. The token endpoint reads its form itself (no
python-multipart needed) with `oauth.read_token_form`, the rule Flask uses
too: Django's QueryDict over the url-encoded body, exactly what DRF's
FormParser produces, so every prefix sees the same form.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from accounts import oauth, password_reset
from accounts.services import user_register
from common.errors import NO_STORE
from common.mail import outbox

from ..db import run_db
from ..deps import (
    AUTHENTICATED_THEN_LIMITED,
    CurrentAccess,
    CurrentUser,
    anonymous_rate_limit,
    request_client_ip,
    strict_anonymous_rate_limit,
)
from ..docs import contract
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

router = APIRouter(prefix="/auth", route_class=ContractRoute)


@router.post("/register", dependencies=[Depends(anonymous_rate_limit)], **contract("register"))
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
    # Not authenticated (a stale Bearer header is ignored), limited per IP,
    # and 503 rather than unprotected when the cache is down.
    dependencies=[Depends(strict_anonymous_rate_limit)],
    response_model=TokenResponse,
    **contract("token"),
)


@router.post(
    "/refresh",
    dependencies=[Depends(strict_anonymous_rate_limit)],
    response_model=TokenResponse,
    **contract("refresh"),
)
async def refresh(payload: RefreshRequest) -> JSONResponse:
    body = await run_db(oauth.refresh_grant, payload.refresh_token)
    return JSONResponse(body, headers=NO_STORE)


@router.post("/logout", dependencies=AUTHENTICATED_THEN_LIMITED, **contract("logout"))
async def logout(payload: LogoutRequest, access: CurrentAccess) -> Response:
    await run_db(oauth.logout, claims=access.claims, refresh_token=payload.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", dependencies=AUTHENTICATED_THEN_LIMITED, **contract("me"))
async def me(user: CurrentUser) -> UserEnvelope:
    return UserEnvelope(data=UserPublic.model_validate(user))


@router.post(
    "/password-reset",
    response_class=Response,  # 202 with no body: nothing for the document to describe
    dependencies=[Depends(strict_anonymous_rate_limit)],
    **contract("password_reset_request"),
)
async def password_reset_request(payload: PasswordResetRequest, request: Request) -> Response:
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
    dependencies=[Depends(strict_anonymous_rate_limit)],
    **contract("password_reset_confirm"),
)
async def password_reset_confirm(payload: PasswordResetConfirmRequest) -> Response:
    await run_db(password_reset.password_reset_confirm, **payload.model_dump())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
