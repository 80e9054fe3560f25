"""/users: the admin's list, and self-or-admin read, update and soft delete.

Checks in the order they run: `@login_required` (401), `@require_role`
(403, the list) or `@target_user` (403/404: who may see whom is
accounts.selectors' rule), on a PATCH `@changes_allowed` (the body, 400/422,
and which fields the caller may send, 403), `@rate_limited` (429), then the
view (accounts.services: values 422, uniqueness 409). A 401 or 403 is
decided before the limiter counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from accounts.selectors import user_get_for, user_page
from accounts.services import may_change_fields, user_soft_delete, user_update
from common.errors import PermissionDenied
from common.pagination import page_links

from ..auth import login_required, require_role
from ..openapi import USER_ERRORS, answers, documented
from ..parsing import boolean, fields, json_object, string, user_list_args
from ..ratelimit import rate_limited, request_client_ip
from ..rendering import no_content, page_body, user_public
from ..schemas import UserEnvelope, UserListQuery, UsersPage, UserUpdate

bp = Blueprint("users", __name__, url_prefix="/users")

# PATCH /users/{id}: every field optional; values and who may send which: the service.
USER_CHANGES = {
    "email": string(required=False),
    "password": string(required=False),
    "current_password": string(required=False),
    "role": string(required=False),
    "is_active": boolean(required=False),
}


def target_user(view: Callable[..., Any]) -> Callable[..., Any]:
    """Load the user the URL names into `g.target`, as the caller may see it.

    :raise PermissionDenied: a non-admin naming anyone else, existing or not (403).
    :raise NotFound: an admin naming an id that does not exist (404).
    """

    @functools.wraps(view)
    def wrapped_view(user_id: int) -> Any:
        g.target = user_get_for(actor=g.user, user_id=user_id)
        return view(user_id=user_id)

    return wrapped_view


def changes_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Parse the PATCH body into `g.changes`, if the caller may send every field in it.

    :raise BadRequest: the body is not a JSON object (400).
    :raise ValidationFailed: a field of the wrong JSON type (422).
    :raise PermissionDenied: a non-admin sending role or is_active (403).
    """

    @functools.wraps(view)
    def wrapped_view(user_id: int) -> Any:
        g.changes = fields(json_object(), USER_CHANGES)
        if not may_change_fields(actor=g.user, fields=g.changes):
            raise PermissionDenied()
        return view(user_id=user_id)

    return wrapped_view


@bp.get("")
@documented("users", auth="required", query=UserListQuery, resp=answers(
    (200, UsersPage, "One page of users."), 401, 403, 422, 429, 503))
@login_required
@require_role("admin")
@rate_limited()
def list_users() -> dict[str, Any]:
    """List users (admins only)

    Paginated; filter with `search`, `role` and `is_active`.
    \f
    :raise 422: a bad filter or paging parameter (each one named).
    """
    args = user_list_args()
    result = user_page(params=args.as_params())
    links = page_links(request.base_url, request.args, result)
    return page_body([user_public(user) for user in result.items], result, links)


@bp.get("/<digits:user_id>")
@documented("users", auth="required", resp=answers(
    (200, UserEnvelope, "The user."), 401, 403, 404, 429, 503, words=USER_ERRORS))
@login_required
@target_user
@rate_limited()
def get_user(user_id: int) -> dict[str, Any]:
    """Read a user (yourself, or anyone if you are an admin)

    A non-admin asking for any other id gets 403, whether or not that id exists.
    """
    return {"data": user_public(g.target)}


@bp.patch("/<digits:user_id>")
@documented("users", auth="required", json=UserUpdate, resp=answers(
    (200, UserEnvelope, "The changed user."), 400, 401, 403, 404, 409, 413, 422, 429, 503,
    words=USER_ERRORS))
@login_required
@target_user
@changes_allowed
@rate_limited()
def update_user(user_id: int) -> dict[str, Any]:
    """Change a user (yourself: email, password; admins: also role, is_active)

    Changing your own password needs `current_password`. A new password ends every
    earlier login of that user, yours included: log in again.
    """
    user = user_update(
        actor=g.user, target=g.target, changes=g.changes, client_ip=request_client_ip()
    )
    return {"data": user_public(user)}


@bp.delete("/<digits:user_id>")
@documented("users", auth="required", resp=answers(
    (204, None, "Deleted."), 401, 403, 404, 429, 503, words=USER_ERRORS))
@login_required
@target_user
@rate_limited()
def delete_user(user_id: int) -> Response:
    """Delete a user (yourself, or anyone if you are an admin)

    The account is deactivated and can no longer log in; its books stay.
    """
    user_soft_delete(actor=g.user, target=g.target)
    return no_content()
