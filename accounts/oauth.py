"""The OAuth2 token endpoint (RFC 6749), without a framework.

    POST /auth/token   grant_type=password&username=alice&password=...
    POST /auth/token   grant_type=refresh_token&refresh_token=...

Each framework reads the form its own way (DRF's FormParser, FastAPI's
`Form()` fields, Flask's `request.form`; repeated names: the last wins, as
`form_values` reads a QueryDict), finds the client IP its own way, calls
`token_grant`, and answers either the returned body (200, with `common.errors.NO_STORE`
headers) or the raised `OAuthError` (its `.body()`, `.status` and
`.response_headers()`). So the form rule, the grant rules, the error codes
and their wording exist once.

The password grant goes through the brute-force guard (`LoginGuard.attempt`):
the attempt is counted *before* the password is hashed (N parallel guesses
cost at most LOGIN_MAX_FAILURES hashes), then the outcome is recorded, or
the attempt given back when the check raised. Unknown users, wrong
passwords and inactive users all answer the same `invalid_grant`, so the
endpoint never tells whether a username exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from accounts.services import authenticate_password, user_record_login
from accounts.tokens import InvalidGrant, token_service
from common.errors import (
    FieldInvalid,
    LockedOut,
    OAuthError,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from common.text import reject_nul

if TYPE_CHECKING:
    from throttling.lockout import LoginGuard

GRANT_PASSWORD = "password"
GRANT_REFRESH = "refresh_token"

MSG_BAD_CREDENTIALS = "Invalid username or password."
MSG_MISSING_PARAMETER = "The {name} parameter is required."
MSG_UNSUPPORTED_GRANT = "The grant type {grant_type!r} is not supported."
MSG_FORM_ENCODED = "The request must be form-encoded (application/x-www-form-urlencoded)."
MSG_NUL_PARAMETER = "The {name} parameter must not contain NUL characters."


TokenForm = dict[str, str | None]


def form_values(form: Mapping[str, str]) -> TokenForm:
    """One value per name: for a QueryDict, the last of repeated names (its `.get`)."""
    return {name: form.get(name) for name in form}


def _login_guard() -> LoginGuard:
    """The guard, looked up at call time so tests can monkeypatch the module attribute."""
    from throttling import lockout

    return lockout.login_guard


def _require(form: Mapping[str, str | None], name: str) -> str:
    """A parameter that must be present and non-empty (RFC 6749 §5.2 invalid_request)."""
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", MSG_MISSING_PARAMETER.format(name=name))
    return value


def token_grant(*, form: Mapping[str, str | None], client_ip: str) -> dict[str, Any]:
    """Answer one token request: the RFC 6749 §5.1 body, or raise OAuthError.

    `grant_type` may be omitted: it then means `password` (what simple
    clients and the contract expect).
    """
    for name, value in form.items():
        # Refused before any lookup: PostgreSQL cannot even compare a NUL.
        if value and "\x00" in value:
            raise OAuthError("invalid_request", MSG_NUL_PARAMETER.format(name=name))
    grant_type = form.get("grant_type") or GRANT_PASSWORD
    if grant_type == GRANT_PASSWORD:
        username = _require(form, "username")
        password = _require(form, "password")
        return password_grant(username=username, password=password, client_ip=client_ip)
    if grant_type == GRANT_REFRESH:
        refresh_token = _require(form, "refresh_token")
        try:
            return refresh_grant(refresh_token)
        except InvalidGrant as exc:
            raise OAuthError.from_application_error(exc) from None
    raise OAuthError(
        "unsupported_grant_type", MSG_UNSUPPORTED_GRANT.format(grant_type=grant_type)
    )


def password_grant(*, username: str, password: str, client_ip: str) -> dict[str, Any]:
    """Check the credentials behind the lockout guard and open a new login.

    A check that raises (the database is down) is given back to the guard,
    not counted as a failure, and its error goes on to the framework.

    :raise OAuthError: invalid_grant (bad credentials, inactive user),
        locked_out (429), rate_limited (429, Retry-After 1: too many attempts
        in flight), service_unavailable (503, the guard's cache is down).
    """
    guard = _login_guard()
    try:
        user = guard.attempt(username, client_ip, lambda: authenticate_password(username, password))
    except (LockedOut, RateLimited, ServiceUnavailable) as exc:  # refused before the check
        raise OAuthError.from_application_error(exc) from None
    if user is None:
        raise OAuthError("invalid_grant", MSG_BAD_CREDENTIALS)
    user_record_login(user)
    return token_service.issue_for_login(user).as_oauth_body()


def refresh_grant(refresh_token: str) -> dict[str, Any]:
    """Rotate a refresh token (shared by the token endpoint and /auth/refresh).

    :raise ValidationFailed: the token contains NUL (422 on `refresh_token`).
    :raise InvalidGrant: the token is bad, expired, revoked or reused.
    """
    _reject_nul_field("refresh_token", refresh_token)
    return token_service.rotate(refresh_token).as_oauth_body()


def logout(*, claims: dict[str, Any], refresh_token: str | None) -> None:
    """Revoke the caller's access token and, when given, a refresh token's family.

    :raise ValidationFailed: the refresh token contains NUL (422 on `refresh_token`).
    """
    if refresh_token:
        _reject_nul_field("refresh_token", refresh_token)
    token_service.logout(claims=claims, refresh_token=refresh_token)


def _reject_nul_field(name: str, value: str) -> None:
    try:
        reject_nul(value)
    except FieldInvalid as exc:
        raise ValidationFailed.single(name, exc.message) from None
