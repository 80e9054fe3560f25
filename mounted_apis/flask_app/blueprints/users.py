"""/users: the admin's list, and self-or-admin read, update and soft delete.

DRF's user views carry permission classes (IsAuthenticated, IsAdminRole),
checked before the rate limit: hence `@require_login` / `@require_role`
above `@rate_limited()`. Who may see or change whom is decided by
accounts.selectors and accounts.services, not here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from accounts.selectors import user_get_for, user_page
from accounts.services import user_soft_delete, user_update
from common.pagination import page_links

from ..auth import require_login, require_role
from ..parsing import Boolean, String, json_object, query_params, validate
from ..ratelimit import rate_limited, request_client_ip
from ..rendering import no_content, page_body, user_public

bp = Blueprint("users", __name__, url_prefix="/users")

# PATCH /users/{id}: every field optional; values and who may send which: the service.
USER_PATCH = {
    "email": String(required=False),
    "password": String(required=False),
    "current_password": String(required=False),
    "role": String(required=False),
    "is_active": Boolean(required=False),
}


@bp.get("")
@require_role("admin")
@rate_limited()
def list_users() -> dict[str, Any]:
    """`?search=`, `?role=`, `?is_active=`, `?page=`, `?page_size=`.

    :raise 422: a bad filter or paging parameter (each one named).
    """
    params = query_params()
    result = user_page(params=params)
    links = page_links(request.base_url, params, result)
    return page_body([user_public(user) for user in result.items], result, links)


@bp.get("/<digits:user_id>")
@require_login
@rate_limited()
def get_user(user_id: int) -> dict[str, Any]:
    """:raise 403: a non-admin asking for anyone else (existing or not).
    :raise 404: an admin asking for an id that does not exist.
    """
    return {"data": user_public(user_get_for(actor=g.user, user_id=user_id))}


@bp.patch("/<digits:user_id>")
@require_login
@rate_limited()
def update_user(user_id: int) -> dict[str, Any]:
    """Self: email, password (+ current_password); admin: also role, is_active."""
    changes = validate(json_object(), USER_PATCH)
    target = user_get_for(actor=g.user, user_id=user_id)
    user = user_update(
        actor=g.user, target=target, changes=changes, client_ip=request_client_ip()
    )
    return {"data": user_public(user)}


@bp.delete("/<digits:user_id>")
@require_login
@rate_limited()
def delete_user(user_id: int) -> Response:
    """Soft delete: the row stays, inactive, its tokens revoked."""
    user_soft_delete(actor=g.user, target=user_get_for(actor=g.user, user_id=user_id))
    return no_content()
