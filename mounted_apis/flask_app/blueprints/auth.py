"""/auth: register, the OAuth2 token endpoint, refresh, logout, me, password reset.

The grant logic (password and refresh grants, lockout, error codes) is
accounts.oauth, shared with DRF and FastAPI; these views parse, call it and
answer. The decorators above each view are its checks in the order they
run: who may call (`@public`: nobody's token is read; `@login_required`:
401), then the rate limit (429), then, inside the view, the body (400, 422)
and the domain's answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from accounts import oauth, password_reset
from accounts.services import user_register
from common.errors import NO_STORE, ApplicationError, OAuthError
from common.mail import outbox

from ..auth import load_logged_in_user, login_required, public
from ..openapi import PASSWORD_RESET_ERRORS, USER_ERRORS, answers, documented
from ..parsing import fields, json_object, string, token_form
from ..ratelimit import rate_limited, request_client_ip
from ..rendering import no_content, user_public
from ..schemas import (
    LogoutRequest,
    PasswordResetConfirmRequest,
    PasswordResetRequest,
    RefreshRequest,
    TokenForm,
    TokenResponse,
    UserEnvelope,
    UserRegister,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")
# Every view of the app sees g.user; this blueprint loads it, as the auth
# blueprint of Flask's tutorial does.
bp.before_app_request(load_logged_in_user)

REGISTER_FIELDS = {"username": string(), "email": string(), "password": string()}
REFRESH_FIELDS = {"refresh_token": string()}
LOGOUT_FIELDS = {"refresh_token": string(required=False, nullable=True)}
PASSWORD_RESET_FIELDS = {"email": string()}
PASSWORD_RESET_CONFIRM_FIELDS = {"uid": string(), "token": string(), "new_password": string()}


def oauth_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Keep RFC 6749's error shape for everything raised inside the token endpoint.

    The limiter's 429 and its 503 (cache down) are ApplicationErrors; an
    OAuth2 client library must still find `error` / `error_description`.
    """

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
        try:
            return view(**kwargs)
        except ApplicationError as exc:
            raise OAuthError.from_application_error(exc) from None

    return wrapped_view


@bp.post("/register")
@documented("auth", json=UserRegister, resp=answers(
    (201, UserEnvelope, "Created: the new user."), 400, 409, 413, 422, 429, 503,
    words=USER_ERRORS))
@public  # a stray Authorization header must not 401 a sign-up
@rate_limited()
def register() -> tuple[dict[str, Any], int]:
    """Create an account

    Creates a user with the role `user`. The username is 3 to 150 letters, digits
    (any script) or `@ . + - _`; the password must pass the server's password rules
    (length, not too common, not all digits, not too close to the username or email).
    """
    values = fields(json_object(), REGISTER_FIELDS)
    user = user_register(**values)
    return {"data": user_public(user)}, 201


@bp.post("/token")
@documented("auth", form=TokenForm, resp=answers(
    (200, TokenResponse, "A new access token and refresh token."), 400, 413, 429, 503,
    oauth=(400, 429, 503)))
@public
@oauth_errors
@rate_limited(strict=True)  # no lockout without the cache: 503, never unprotected
def token() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Log in: the OAuth2 token endpoint (password and refresh_token grants)

    Form-encoded, as RFC 6749 says. `grant_type` may be omitted: it means `password`.
    Errors use RFC 6749's shape `{error, error_description}`. After too many failed
    logins the username (or your address) is locked out for a while: 429 `locked_out`.
    """
    body = oauth.token_grant(form=token_form(), client_ip=request_client_ip())
    return body, 200, NO_STORE


@bp.post("/refresh")
@documented("auth", json=RefreshRequest, resp=answers(
    (200, TokenResponse, "A new access token and refresh token."), 400, 413, 422, 429, 503))
@public
@rate_limited(strict=True)
def refresh() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Exchange a refresh token for new tokens

    The JSON twin of the token endpoint's refresh_token grant. The refresh token sent
    is used up: a second use is refused and ends that login everywhere.
    \f
    Errors in the envelope (400 invalid_grant), not in RFC 6749's shape.
    """
    values = fields(json_object(), REFRESH_FIELDS)
    return oauth.refresh_grant(values["refresh_token"]), 200, NO_STORE


@bp.post("/logout")
@documented("auth", auth="required", json=LogoutRequest, resp=answers(
    (204, None, "Logged out."), 400, 401, 413, 422, 429, 503))
@login_required
@rate_limited()
def logout() -> Response:
    """Log out

    Revokes the access token sent and, when given, the refresh token's login.
    """
    values = fields(json_object(), LOGOUT_FIELDS)
    oauth.logout(claims=g.access.claims, refresh_token=values.get("refresh_token"))
    return no_content()


@bp.get("/me")
@documented("auth", auth="required", resp=answers((200, UserEnvelope, "You."), 401, 429, 503))
@login_required
@rate_limited()
def me() -> dict[str, Any]:
    """Your own account

    The user the access token belongs to.
    """
    return {"data": user_public(g.user)}


@bp.post("/password-reset")
@documented("auth", json=PasswordResetRequest, resp=answers(
    (202, None, "Accepted: an email goes out if the address belongs to an account."),
    400, 413, 422, 429, 503, words=PASSWORD_RESET_ERRORS))
@public
@rate_limited(strict=True)
def password_reset_request() -> Response:
    """Ask for a password reset email

    Answers 202 whether or not the address belongs to an account; when it does, an
    email with a one-time link goes out.
    \f
    The lookup and the email happen on the mail outbox. Not
    `response.call_on_close`: that runs on the a2wsgi thread that served the
    request, which a slow mail server would then hold (with the pooled
    database connection of the lookup). The outbox (`common.mail`) has
    threads of its own; `send_later` only queues, so the answer takes the same
    time whether or not the address belongs to anyone.

    :raise 422: the email is missing or not a valid address.
    :raise 429: too many reset requests from this IP.
    """
    values = fields(json_object(), PASSWORD_RESET_FIELDS)
    email = password_reset.password_reset_accept(
        email=values["email"], client_ip=request_client_ip()
    )
    site_url = password_reset.link_origin(
        scheme=request.scheme, host=request.host, server_port=request.environ.get("SERVER_PORT")
    )
    outbox.send_later(password_reset.password_reset_email, email=email, site_url=site_url)
    return Response(status=202)


@bp.post("/password-reset/confirm")
@documented("auth", json=PasswordResetConfirmRequest, resp=answers(
    (204, None, "Password changed."), 400, 413, 422, 429, 503, words=PASSWORD_RESET_ERRORS))
@public
@rate_limited(strict=True)
def password_reset_confirm() -> Response:
    """Set a new password with the link from the reset email

    `uid` and `token` come from the emailed link. Every earlier token of the account
    stops working.
    \f
    :raise 400: `invalid_token`: a used, expired or forged token.
    :raise 422: a field is missing, or the new password fails the validators.
    """
    values = fields(json_object(), PASSWORD_RESET_CONFIRM_FIELDS)
    password_reset.password_reset_confirm(**values)
    return no_content()
