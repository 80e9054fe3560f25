"""/auth: register, the OAuth2 token endpoint, refresh, logout, me, password reset.

The grant logic (password and refresh grants, lockout, RFC 6749's error codes)
is `accounts.oauth`, shared with the other prefixes; the token endpoint reads
its form the way FastAPI's `OAuth2PasswordRequestForm` does (a class of
`Form()` parameters, used with `Depends()`), with the refresh grant's field too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic.json_schema import SkipJsonSchema

from accounts import oauth, password_reset
from accounts.services import user_register
from common.errors import NO_STORE
from common.mail import outbox

from ..db import run_db
from ..deps import (
    ClientIP,
    CurrentAccess,
    CurrentUser,
    anonymous_rate_limit,
    get_current_user,
    rate_limit,
    strict_anonymous_rate_limit,
    token_rate_limit,
)
from ..json_request import ContractRoute
from ..responses import PASSWORD_RESET, USERS, errors, oauth_errors
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

AUTHENTICATED = [Depends(get_current_user), Depends(rate_limit)]


def _form_field(**keywords: Any) -> Any:
    """A form field documented as an optional string (FastAPI turns "" into None)."""

    def extra(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema.update(keywords)

    return Form(json_schema_extra=extra)


OptionalField = str | SkipJsonSchema[None]


class TokenRequestForm:
    """RFC 6749's token request: FastAPI's OAuth2PasswordRequestForm, plus the refresh grant.

        grant_type=password&username=alice&password=...     (grant_type may be left out)
        grant_type=refresh_token&refresh_token=...

    Every field is optional here: which ones a grant needs, and the RFC 6749
    error when one is missing (400 `invalid_request`, not a 422), is
    `accounts.oauth.token_grant`'s rule.
    """

    def __init__(
        self,
        grant_type: Annotated[OptionalField, _form_field(
            enum=[oauth.GRANT_PASSWORD, oauth.GRANT_REFRESH], default=oauth.GRANT_PASSWORD)] = None,
        username: Annotated[OptionalField, _form_field(
            minLength=1, description="For grant_type=password.")] = None,
        password: Annotated[OptionalField, _form_field(
            minLength=1, format="password", description="For grant_type=password.")] = None,
        refresh_token: Annotated[OptionalField, _form_field(
            minLength=1, description="For grant_type=refresh_token.")] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.refresh_token = refresh_token

    def values(self) -> dict[str, str | None]:
        """The fields sent, as `accounts.oauth.token_grant` reads them."""
        return {name: value for name, value in vars(self).items() if value is not None}


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(anonymous_rate_limit)],
    summary="Create an account",
    response_description="Created: the new user.",
    responses=errors(400, 409, 413, 422, 429, 503, resource=USERS),
)
async def register(payload: UserRegister) -> UserEnvelope:
    """Creates a user with the role `user`. The username is 3 to 150 letters, digits (any script) or `@ . + - _`; the password must pass the server's password rules (length, not too common, not all digits, not too close to the username or email)."""  # noqa: E501
    user = await run_db(user_register, **payload.model_dump())
    return UserEnvelope(data=UserPublic.model_validate(user))


@router.post(
    "/token",
    # Not authenticated (a stale Bearer header is ignored), limited per IP,
    # and 503 rather than unprotected when the cache is down.
    dependencies=[Depends(token_rate_limit)],
    response_model=TokenResponse,
    summary="Log in: the OAuth2 token endpoint (password and refresh_token grants)",
    response_description="A new access token and refresh token.",
    responses=oauth_errors(400, 413, 429, 503),
)
async def token(form: Annotated[TokenRequestForm, Depends()], ip: ClientIP) -> JSONResponse:
    """Form-encoded, as RFC 6749 says. `grant_type` may be omitted: it means `password`. Errors use RFC 6749's shape `{error, error_description}`. After too many failed logins the username (or your address) is locked out for a while: 429 `locked_out`."""  # noqa: E501
    body = await run_db(oauth.token_grant, form=form.values(), client_ip=ip)
    return JSONResponse(body, headers=NO_STORE)


@router.post(
    "/refresh",
    dependencies=[Depends(strict_anonymous_rate_limit)],
    response_model=TokenResponse,
    summary="Exchange a refresh token for new tokens",
    response_description="A new access token and refresh token.",
    responses=errors(400, 413, 422, 429, 503),
)
async def refresh(payload: RefreshRequest) -> JSONResponse:
    """The JSON twin of the token endpoint's refresh_token grant. The refresh token sent is used up: a second use is refused and ends that login everywhere."""  # noqa: E501
    body = await run_db(oauth.refresh_grant, payload.refresh_token)
    return JSONResponse(body, headers=NO_STORE)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=AUTHENTICATED,
    summary="Log out",
    response_description="Logged out.",
    responses=errors(400, 401, 413, 422, 429, 503),
)
async def logout(
    access: CurrentAccess,
    payload: Annotated[LogoutRequest, Body()] = None,  # type: ignore[assignment]
) -> None:
    """Revokes the access token sent and, when given, the refresh token's login."""
    refresh_token = payload.refresh_token if payload is not None else None
    await run_db(oauth.logout, claims=access.claims, refresh_token=refresh_token)


@router.get(
    "/me",
    dependencies=AUTHENTICATED,
    summary="Your own account",
    response_description="You.",
    responses=errors(401, 429, 503),
)
async def me(user: CurrentUser) -> UserEnvelope:
    """The user the access token belongs to."""
    return UserEnvelope(data=UserPublic.model_validate(user))


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # 202 with no body
    dependencies=[Depends(strict_anonymous_rate_limit)],
    summary="Ask for a password reset email",
    response_description="Accepted: an email goes out if the address belongs to an account.",
    responses=errors(400, 413, 422, 429, 503, resource=PASSWORD_RESET),
)
async def password_reset_request(
    payload: PasswordResetRequest, request: Request, ip: ClientIP
) -> Response:
    """Answers 202 whether or not the address belongs to an account; when it does, an email with a one-time link goes out."""  # noqa: E501
    # The lookup and the email happen on the mail outbox (common.mail), not in
    # BackgroundTasks: those would run the SMTP exchange on the database
    # executor `run_db` uses, and a slow mail server would hold its threads
    # and their pooled connections. `send_later` only queues, so the answer
    # takes the same time whether or not the address belongs to anyone.
    email = await run_db(password_reset.password_reset_accept, email=payload.email, client_ip=ip)
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
    dependencies=[Depends(strict_anonymous_rate_limit)],
    summary="Set a new password with the link from the reset email",
    response_description="Password changed.",
    responses=errors(400, 413, 422, 429, 503, resource=PASSWORD_RESET),
)
async def password_reset_confirm(payload: PasswordResetConfirmRequest) -> None:
    """`uid` and `token` come from the emailed link. Every earlier token of the account stops working."""  # noqa: E501
    await run_db(password_reset.password_reset_confirm, **payload.model_dump())
