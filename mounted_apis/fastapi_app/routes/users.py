"""/users: the admin's list, and self-or-admin read, update and soft delete.

DRF's user views carry permission classes (IsAuthenticated, IsAdminRole),
which DRF checks before its throttles: here the same order is spelled out
with `dependencies=` (deps.AUTHENTICATED_THEN_LIMITED / ADMIN_THEN_LIMITED).
Who may see or change whom is decided by accounts.selectors/services.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from accounts.models import User
from accounts.selectors import user_get_for, user_page
from accounts.services import user_soft_delete, user_update
from common.openapi_text import USERS

from ..db import run_db
from ..deps import (
    ADMIN_THEN_LIMITED,
    AUTHENTICATED_THEN_LIMITED,
    CurrentUser,
    request_client_ip,
)
from ..docs import error_responses
from ..pagination import page_meta_and_links, query_params
from ..routing import ContractRoute
from ..schemas import UserEnvelope, UserPublic, UsersPage, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], route_class=ContractRoute)


def _update(*, actor: User, user_id: int, changes: dict[str, Any], client_ip: str) -> User:
    target = user_get_for(actor=actor, user_id=user_id)
    return user_update(actor=actor, target=target, changes=changes, client_ip=client_ip)


def _soft_delete(*, actor: User, user_id: int) -> None:
    user_soft_delete(actor=actor, target=user_get_for(actor=actor, user_id=user_id))


@router.get(
    "",
    summary="List users (admin)",
    dependencies=ADMIN_THEN_LIMITED,
    responses=error_responses(401, 403, 422, 429),
)
async def list_users(
    request: Request,
    # search, role, is_active, page, page_size: read by accounts.filters and
    # common.pagination; documented from common.openapi_contract.
) -> UsersPage:
    params = query_params(request)
    result = await run_db(user_page, params=params)
    meta, links = page_meta_and_links(request, params, result)
    return UsersPage(
        data=[UserPublic.model_validate(user) for user in result.items], meta=meta, links=links
    )


@router.get(
    "/{user_id:int}",
    summary="Get a user (themself or admin)",
    description="A non-admin asking for any other id gets 403, whether or not it exists.",
    dependencies=AUTHENTICATED_THEN_LIMITED,
    responses=error_responses(401, 403, 404, 429, resource=USERS),
)
async def get_user(user_id: int, user: CurrentUser) -> UserEnvelope:
    found = await run_db(user_get_for, actor=user, user_id=user_id)
    return UserEnvelope(data=UserPublic.model_validate(found))


@router.patch(
    "/{user_id:int}",
    summary="Change a user (self: email, password; admin: also role, is_active)",
    description="Changing the password needs `current_password` (for oneself) and revokes "
    "every earlier token of that user.",
    dependencies=AUTHENTICATED_THEN_LIMITED,
    responses=error_responses(400, 401, 403, 404, 409, 422, 429, resource=USERS),
)
async def update_user(
    request: Request, user_id: int, payload: UserUpdate, user: CurrentUser
) -> UserEnvelope:
    changes = payload.model_dump(exclude_unset=True)
    updated = await run_db(
        _update,
        actor=user,
        user_id=user_id,
        changes=changes,
        client_ip=request_client_ip(request),
    )
    return UserEnvelope(data=UserPublic.model_validate(updated))


@router.delete(
    "/{user_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Soft-delete a user (themself or admin)",
    dependencies=AUTHENTICATED_THEN_LIMITED,
    responses=error_responses(401, 403, 404, 429, resource=USERS),
)
async def delete_user(user_id: int, user: CurrentUser) -> Response:
    await run_db(_soft_delete, actor=user, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
