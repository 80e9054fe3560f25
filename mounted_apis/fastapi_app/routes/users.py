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

from ..db import run_db
from ..deps import (
    ADMIN_THEN_LIMITED,
    AUTHENTICATED_THEN_LIMITED,
    CurrentUser,
    request_client_ip,
)
from ..docs import contract
from ..pagination import page_meta_and_links, query_params
from ..routing import ContractRoute
from ..schemas import UserEnvelope, UserPublic, UsersPage, UserUpdate

router = APIRouter(prefix="/users", route_class=ContractRoute)


def _update(*, actor: User, user_id: int, changes: dict[str, Any], client_ip: str) -> User:
    target = user_get_for(actor=actor, user_id=user_id)
    return user_update(actor=actor, target=target, changes=changes, client_ip=client_ip)


def _soft_delete(*, actor: User, user_id: int) -> None:
    user_soft_delete(actor=actor, target=user_get_for(actor=actor, user_id=user_id))


@router.get(
    "",
    dependencies=ADMIN_THEN_LIMITED,
    **contract("list_users"),
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
    dependencies=AUTHENTICATED_THEN_LIMITED,
    **contract("get_user"),
)
async def get_user(user_id: int, user: CurrentUser) -> UserEnvelope:
    found = await run_db(user_get_for, actor=user, user_id=user_id)
    return UserEnvelope(data=UserPublic.model_validate(found))


@router.patch(
    "/{user_id:int}",
    dependencies=AUTHENTICATED_THEN_LIMITED,
    **contract("update_user"),
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
    dependencies=AUTHENTICATED_THEN_LIMITED,
    **contract("delete_user"),
)
async def delete_user(user_id: int, user: CurrentUser) -> Response:
    await run_db(_soft_delete, actor=user, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
