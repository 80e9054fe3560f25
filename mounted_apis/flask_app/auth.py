"""Who is calling: `g.user`, loaded once per request, and the access-control decorators.

    @bp.get("/me")
    @login_required           # 401 without a user
    @rate_limited()           # then spend the caller's budget
    def me(): ...

`load_logged_in_user` runs before every request (the /auth blueprint
registers it with `before_app_request`, as the auth blueprint of Flask's
tutorial does) and sets `g.user` (a User or None) and `g.access` (the
verified token's AccessContext, for logout):

- no Authorization header, or another scheme: anonymous (`g.user = None`);
- a Bearer token the token service refuses: 401 `invalid_token` at once,
  before any decorator of the view runs;
- nothing at all when routing already failed (404/405 come first: no
  credentials make a missing path or method exist), or for a view marked
  `@public` (register, token, refresh, password reset, health, docs), so a
  stale token cannot turn a login into a 401.

`login_required` and `require_role` refuse with the domain's errors
(NotAuthenticated 401, PermissionDenied 403); errors.py answers them.
They go above `@rate_limited` on every view: a refusal for credentials or
permission spends no rate-limit budget.
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

# The attribute `public` sets on a view function.
_PUBLIC = "reads_no_credentials"


def public(view: View) -> View:
    """Mark a view that authenticates nobody: its Authorization header is not read."""
    setattr(view, _PUBLIC, True)
    return view


def _view_is_public() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    # Decorators above @public (spectree's) keep the mark through __wrapped__.
    while view is not None:
        if getattr(view, _PUBLIC, False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def load_logged_in_user() -> None:
    """Set g.user / g.access from the Bearer token (see the module docstring).

    :raise InvalidToken: a token was sent and is bad, expired or revoked (401).
    """
    g.user = None
    g.access = None
    if request.routing_exception is not None or _view_is_public():
        return
    token = bearer_from_header(request.headers.get("Authorization"))  # InvalidToken if malformed
    if token is None:
        return
    g.access = token_service.authenticate_access(token)  # one query; raises InvalidToken
    g.user = g.access.user
    record_user(request.environ.get("asgi.scope"), g.user.pk)  # the access log names the user


def login_required(view: View) -> View:
    """401 `not_authenticated` (with a Bearer challenge) when there is no user."""

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
        if g.user is None:
            raise NotAuthenticated()
        return view(**kwargs)

    return wrapped_view  # type: ignore[return-value]


def require_role(role: str) -> Callable[[View], View]:
    """403 `permission_denied` for a user of another role (use under @login_required).

        @login_required
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
