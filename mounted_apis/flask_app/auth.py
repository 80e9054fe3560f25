"""Who is calling: `g.user` from the Bearer token, and the access-control decorators.

    @bp.get("/me")
    @require_login            # 401 without a token
    @rate_limited()           # then spend the caller's budget
    def me(): ...

`load_user` runs before every request (the /auth blueprint registers it with
`before_app_request`, as the auth blueprint of Flask's tutorial does) and
sets `g.user` (a User or None) and `g.access` (the verified token's
AccessContext, for logout). It follows DRF's authentication step:

- no Authorization header, or another scheme: anonymous (g.user = None);
- a Bearer token the token service refuses (`token_service.authenticate_access`:
  simplejwt's TokenBackend, then the login family, as DRF's
  JWTAuthentication subclass checks it): 401 `invalid_token` at once,
  before any permission check, rate limit or body parsing;
- nothing at all when routing already failed (404/405 come first: no
  credentials can make a missing path or method exist), or when the view is
  marked `@ignore_credentials` (register, token, refresh, health, docs:
  DRF's `authentication_classes = []`, so a stale token cannot turn a login
  into a 401).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from accounts.tokens import bearer_from_header, token_service
from common.asgi.metrics import record_user
from common.errors import NotAuthenticated, PermissionDenied

View = TypeVar("View", bound=Callable[..., Any])

# The attribute `ignore_credentials` sets on a view function.
_IGNORES_CREDENTIALS = "ignores_credentials"


def ignore_credentials(view: View) -> View:
    """Mark a view that authenticates nobody: its Authorization header is not read."""
    setattr(view, _IGNORES_CREDENTIALS, True)
    return view


def authenticates_itself(view: View) -> View:
    """Mark a view that reads the token itself (ratelimit.cached_read): load_user skips it."""
    return ignore_credentials(view)


def _view_ignores_credentials() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _IGNORES_CREDENTIALS, False))


def load_user() -> None:
    """Set g.user / g.access from the Bearer token (see the module docstring).

    :raise InvalidToken: a token was sent and is bad, expired or revoked (401).
    """
    g.user = None
    g.access = None
    if request.routing_exception is not None or _view_ignores_credentials():
        return
    token = bearer_from_header(request.headers.get("Authorization"))  # InvalidToken if malformed
    if token is None:
        return
    g.access = token_service.authenticate_access(token)  # one query; raises InvalidToken
    g.user = g.access.user
    record_user(request.environ.get("asgi.scope"), g.user.pk)  # the access log names the user


def require_login(view: View) -> View:
    """401 `not_authenticated` (with a Bearer challenge) when there is no user."""

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
        if g.user is None:
            raise NotAuthenticated()
        return view(**kwargs)

    return wrapped_view  # type: ignore[return-value]


def require_role(role: str) -> Callable[[View], View]:
    """401 without a user, 403 `permission_denied` for a user of another role.

        @require_role("admin")
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped_view(**kwargs: Any) -> Any:
            if g.user is None:
                raise NotAuthenticated()
            if g.user.role != role:
                raise PermissionDenied()
            return view(**kwargs)

        return wrapped_view  # type: ignore[return-value]

    return decorator

