"""Reads of users, with the visibility rules written once.

The API layers decide nothing about who may see whom: they call these.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from accounts.filters import user_filter_errors
from accounts.models import User
from common.constraints import USER_LIST_INTEGERS, USER_LIST_PARAMS
from common.errors import NotFound, PermissionDenied, ValidationFailed
from common.pagination import PageResult, page_param_errors, paginate
from common.query import check_query_shape

# The largest primary key a BIGINT holds: a bigger id in a URL is simply not
# found, instead of an out-of-range error from the database.
MAX_ID = 2**63 - 1


def user_get_for(*, actor: User, user_id: int) -> User:
    """The user `user_id` as `actor` may see it.

    A non-admin asking for anyone else gets 403 whether or not the id exists,
    so ids cannot be enumerated; an admin gets 404 for a missing id.

    :raise PermissionDenied: non-admin, other id.
    :raise NotFound: admin, no such id.
    """
    if actor.pk == user_id:
        return actor
    if not actor.is_admin:
        raise PermissionDenied()
    user = User.objects.filter(pk=user_id).first() if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound()
    return user


def _all_users() -> QuerySet[User]:
    # Soft-deleted users are listed too (is_active false): an admin may want
    # to find and restore them.
    return User.objects.order_by("id")


def user_page(*, params: Mapping[str, str]) -> PageResult:
    """One page of users matching `search`, `role`, `is_active`, by id.

    Admin-only: the caller checks. Filters and paging are validated
    together, so one 422 names every bad parameter: filters first (search,
    role, is_active), then page, page_size, as the books list does.

    :raise ValidationFailed: bad filter or paging parameters.
    """
    check_query_shape(params, names=USER_LIST_PARAMS, integers=USER_LIST_INTEGERS)
    queryset, errors = user_filter_errors(_all_users(), params)
    page_params, page_errors = page_param_errors(params)
    errors = [*errors, *page_errors]
    if errors or queryset is None or page_params is None:
        raise ValidationFailed(errors)
    return paginate(queryset, page_params)
