"""Two query-string rules the parsers would otherwise let through.

Django's forms (and so django-filter and common.pagination) read a query
string with `QueryDict.get`, which takes the last of repeated names, and
treat an empty value as "not given". For parameters the OpenAPI documents
declare as one integer, `?page=` and `?page=1&page=2` are not integers: the
contract answers 422 naming the parameter, at every prefix, before any
other check looks at the values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from common.errors import FieldError, ValidationFailed

MSG_REPEATED = "Give this parameter once."
# Django's IntegerField wording, as for any other non-integer value.
MSG_NOT_AN_INTEGER = "Enter a whole number."


def check_query_shape(
    params: Mapping[str, str], *, names: Iterable[str], integers: Iterable[str]
) -> None:
    """Refuse a repeated `names` parameter and an empty `integers` one.

    `params` is the request's QueryDict (every framework builds one), whose
    `getlist` sees every value of a repeated name.

    :raise ValidationFailed: one detail per offending parameter, in `names` order.
    """
    integer_names = set(integers)
    errors: list[FieldError] = []
    for name in names:
        raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
        values = [value for value in raw if value is not None]
        if len(values) > 1:
            errors.append(FieldError(name, MSG_REPEATED))
        elif values and name in integer_names and values[0].strip() == "":
            errors.append(FieldError(name, MSG_NOT_AN_INTEGER))
    if errors:
        raise ValidationFailed(errors)
