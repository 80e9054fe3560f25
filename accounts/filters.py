"""Query parameters of GET /users, validated by django-filter for every framework.

Every framework passes the raw query mapping (through accounts.selectors.user_page)
to `user_filter_errors`; bad values
come back as one ValidationFailed naming each parameter, with Django's form
messages, so both frameworks answer the same 422 body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from accounts.models import Role, User
from common.constraints import SEARCH_MAX
from common.errors import FieldError

# The order in which parameter errors are reported.
PARAMS = ("search", "role", "is_active")


class StrictBooleanFilter(django_filters.Filter):
    """Exactly `true` or `false`, not NullBooleanSelect's 1/0/yes/unknown zoo.

    One accepted spelling keeps every framework in step, and a typo is a 422
    rather than a silently ignored filter.
    """

    field_class = forms.ChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value in ("", None):
            return qs
        # A FilterSet names each of its filters' field (its attribute name) when not given.
        assert self.field_name is not None
        return qs.filter(**{self.field_name: value == "true"})


class UserFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=SEARCH_MAX)
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = StrictBooleanFilter(field_name="is_active")

    class Meta:
        model = User
        fields = list(PARAMS)

    def filter_search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(Q(username__icontains=value) | Q(email__icontains=value))


def user_filter_errors(
    queryset: QuerySet[User], params: Mapping[str, str]
) -> tuple[QuerySet[User] | None, list[FieldError]]:
    """Apply the filters, or return one error per bad parameter (for merging with paging's)."""
    data = {name: params[name] for name in PARAMS if name in params}
    filterset = UserFilterSet(data=data, queryset=queryset)
    if not filterset.is_valid():
        errors = filterset.errors
        return None, [FieldError(name, str(errors[name][0])) for name in PARAMS if name in errors]
    return filterset.qs, []
