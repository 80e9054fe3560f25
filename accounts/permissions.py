"""DRF permission classes of the API's roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User
from accounts.services import may_change_fields
from common.errors import NotAuthenticated


def signed_in_user(request: Request) -> User:
    """`request.user` in a view whose permission classes refused anonymous callers.

    DRF types `request.user` as a user or AnonymousUser; past an
    authenticated-only permission it is always a User, and this says so to
    the type checker. Reached anonymously (a view without such a permission),
    it answers 401 rather than letting an AnonymousUser into a service.
    """
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


class IsAdminRole(BasePermission):
    """The API's admin: role "admin" (not Django's is_staff, which is about /admin/)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and user.is_admin)


class MayChangeTheseFields(BasePermission):
    """A PATCH carrying role or is_active needs an admin (accounts.services' rule).

    A permission rather than the service's own check: DRF runs permissions
    before the throttles, so the refusal spends no budget. Listed after
    IsAuthenticated, so `request.user` is a User here.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method != "PATCH":
            return True
        sent = request.data.keys() if isinstance(request.data, Mapping) else ()
        return may_change_fields(actor=signed_in_user(request), fields=sent)
