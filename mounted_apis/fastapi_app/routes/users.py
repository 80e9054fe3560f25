"""/users: the admin's list, and self-or-admin read, update and soft delete.

Who may see whom is `accounts.selectors.user_get_for` (yourself, or anyone if
you are an admin; a non-admin gets 403 for any other id, existing or not),
run by the `TargetUser` dependency before the limiter, so the refusal spends
no budget; so is the PATCH's check of which fields the caller may send
(`AllowedChanges`). What the values may be is `accounts.services.user_update`'s rule.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, status

from accounts.filters import user_filter_errors
from accounts.models import User
from accounts.services import may_change_fields, user_soft_delete, user_update
from common.errors import PermissionDenied, ValidationFailed

from ..db import run_db
from ..deps import (
    ClientIP,
    CurrentUser,
    PathId,
    TargetUser,
    UserQueryParams,
    get_target_user,
    rate_limit,
    require_admin,
)
from ..json_request import ContractRoute
from ..pagination import ListPage, list_page, meta_and_links
from ..responses import USERS, errors
from ..schemas import UserEnvelope, UserPublic, UserQuery, UsersPage, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], route_class=ContractRoute)

# Access checks first, the budget last (FastAPI runs `dependencies` in order).
ADMIN = [Depends(require_admin), Depends(rate_limit)]
MAY_SEE = [Depends(get_target_user), Depends(rate_limit)]


async def allowed_changes(
    user: CurrentUser,
    payload: Annotated[UserUpdate, Body()] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The PATCH body's fields, if the caller may send them all (role and is_active: admins).

    :raise PermissionDenied: a non-admin sending an admin's field (403).
    """
    changes = payload.model_dump(exclude_unset=True) if payload is not None else {}
    if not may_change_fields(actor=user, fields=changes):
        raise PermissionDenied()
    return changes


AllowedChanges = Annotated[dict[str, Any], Depends(allowed_changes)]
# Who, then which fields, then the budget (FastAPI runs a dependency once a request).
MAY_CHANGE = [Depends(get_target_user), Depends(allowed_changes), Depends(rate_limit)]


def _user_page(query: UserQuery) -> ListPage:
    # Soft-deleted users are listed too (is_active false): an admin may restore them.
    queryset, filter_errors = user_filter_errors(User.objects.order_by("id"),
                                                 query.filter_values())
    if queryset is None:
        raise ValidationFailed(filter_errors)
    return list_page(queryset, ordering=("id",), page=query.page, page_size=query.page_size,
                     cursor=None)


@router.get(
    "",
    dependencies=ADMIN,
    summary="List users (admins only)",
    response_description="One page of users.",
    responses=errors(401, 403, 422, 429, 503),
)
async def list_users(request: Request, query: UserQueryParams) -> UsersPage:
    """Paginated; filter with `search`, `role` and `is_active`."""
    page = await run_db(_user_page, query)
    meta, links = meta_and_links(request, page)
    return UsersPage(data=[UserPublic.model_validate(user) for user in page.items],
                     meta=meta, links=links)


@router.get(
    "/{user_id:int}",
    dependencies=MAY_SEE,
    summary="Read a user (yourself, or anyone if you are an admin)",
    response_description="The user.",
    responses=errors(401, 403, 404, 429, 503, resource=USERS),
)
async def get_user(user_id: PathId, target: TargetUser) -> UserEnvelope:
    """A non-admin asking for any other id gets 403, whether or not that id exists."""
    return UserEnvelope(data=UserPublic.model_validate(target))



@router.patch(
    "/{user_id:int}",
    dependencies=MAY_CHANGE,
    summary="Change a user (yourself: email, password; admins: also role, is_active)",
    response_description="The changed user.",
    responses=errors(400, 401, 403, 404, 409, 413, 422, 429, 503, resource=USERS),
)
async def update_user(
    user_id: PathId,
    user: CurrentUser,
    target: TargetUser,
    ip: ClientIP,
    changes: AllowedChanges,
) -> UserEnvelope:
    """Changing your own password needs `current_password`. A new password ends every earlier login of that user, yours included: log in again."""  # noqa: E501
    updated = await run_db(user_update, actor=user, target=target, changes=changes, client_ip=ip)
    return UserEnvelope(data=UserPublic.model_validate(updated))


@router.delete(
    "/{user_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=MAY_SEE,
    summary="Delete a user (yourself, or anyone if you are an admin)",
    response_description="Deleted.",
    responses=errors(401, 403, 404, 429, 503, resource=USERS),
)
async def delete_user(user_id: PathId, user: CurrentUser, target: TargetUser) -> None:
    """The account is deactivated and can no longer log in; its books stay."""
    await run_db(user_soft_delete, actor=user, target=target)
