"""/auth: register, the OAuth2 token endpoint, refresh, logout, me, password reset.

The grant logic (password and refresh grants, lockout, error codes) is
accounts.oauth, shared with DRF and FastAPI; these views parse, call it and
answer. The decorators above each view are its check order, DRF's: the
user (401/403), then the rate limit, then the body, inside the view.
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

from ..auth import ignore_credentials, load_user, require_login
from ..parsing import String, json_object, token_form, validate
from ..ratelimit import rate_limited, request_client_ip
from ..rendering import no_content, user_public

bp = Blueprint("auth", __name__, url_prefix="/auth")
# Every view of the app sees g.user; this blueprint loads it, as the auth
# blueprint of Flask's tutorial does.
bp.before_app_request(load_user)

REGISTER_INPUT = {"username": String(), "email": String(), "password": String()}
REFRESH_INPUT = {"refresh_token": String()}
LOGOUT_INPUT = {"refresh_token": String(required=False, allow_null=True)}
PASSWORD_RESET_INPUT = {"email": String()}
PASSWORD_RESET_CONFIRM_INPUT = {"uid": String(), "token": String(), "new_password": String()}


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
@ignore_credentials  # a stray Authorization header must not 401 a sign-up
@rate_limited()
def register() -> tuple[dict[str, Any], int]:
    """Create an account (role user).

    :raise 400: the body is not a JSON object.
    :raise 422: a field is missing, mistyped or invalid.
    :raise 409: the username or email is taken.
    """
    values = validate(json_object(), REGISTER_INPUT)
    user = user_register(**values)
    return {"data": user_public(user)}, 201


@bp.post("/token")
@ignore_credentials
@oauth_errors
@rate_limited(strict=True)  # no lockout without the cache: 503, never unprotected
def token() -> tuple[dict[str, Any], int, dict[str, str]]:
    """The OAuth2 token endpoint: a form in, RFC 6749's body (or error) out."""
    body = oauth.token_grant(form=token_form(), client_ip=request_client_ip())
    return body, 200, NO_STORE


@bp.post("/refresh")
@ignore_credentials
@rate_limited(strict=True)
def refresh() -> tuple[dict[str, Any], int, dict[str, str]]:
    """JSON twin of the refresh grant; errors in the envelope (400 invalid_grant)."""
    values = validate(json_object(), REFRESH_INPUT)
    return oauth.refresh_grant(values["refresh_token"]), 200, NO_STORE


@bp.post("/logout")
@require_login
@rate_limited()
def logout() -> Response:
    """Revoke this access token's login (and the given refresh token's)."""
    values = validate(json_object(), LOGOUT_INPUT)
    oauth.logout(claims=g.access.claims, refresh_token=values.get("refresh_token"))
    return no_content()


@bp.get("/me")
@require_login
@rate_limited()
def me() -> dict[str, Any]:
    return {"data": user_public(g.user)}


@bp.post("/password-reset")
@ignore_credentials
@rate_limited(strict=True)
def password_reset_request() -> Response:
    """Count the request and answer 202; the lookup and the email happen on the mail outbox.

    Not `response.call_on_close`: that runs on the a2wsgi thread that served
    the request, which a slow mail server would then hold (with the pooled
    database connection of the lookup). The outbox (`common.mail`) has
    threads of its own; `send_later` only queues, so the answer takes the same
    time whether or not the address belongs to anyone.

    :raise 422: the email is missing or not a valid address.
    :raise 429: too many reset requests from this IP or for this address.
    """
    values = validate(json_object(), PASSWORD_RESET_INPUT)
    email = password_reset.password_reset_accept(
        email=values["email"], client_ip=request_client_ip()
    )
    site_url = password_reset.link_origin(
        scheme=request.scheme, host=request.host, server_port=request.environ.get("SERVER_PORT")
    )
    outbox.send_later(password_reset.password_reset_email, email=email, site_url=site_url)
    return Response(status=202)


@bp.post("/password-reset/confirm")
@ignore_credentials
@rate_limited(strict=True)
def password_reset_confirm() -> Response:
    """Set a new password with the uid and token from the email.

    :raise 400: `invalid_token`: a used, expired or forged token.
    :raise 422: a field is missing, or the new password fails the validators.
    """
    values = validate(json_object(), PASSWORD_RESET_CONFIRM_INPUT)
    password_reset.password_reset_confirm(**values)
    return no_content()
