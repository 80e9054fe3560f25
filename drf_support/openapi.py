"""drf-spectacular's `extend_schema`, built from the declared operation (common.operations).

    @documented("register", request=RegisterInput, response=UserEnvelopeSerializer)
    def post(self, request): ...

    BookViewSet = extend_schema_view(list=documented("list_books", response=BookPage), ...)

Everything the declaration states goes in through extend_schema's own
arguments (operation id, summary, description, tags, every response with
its words, the list query parameters, the token endpoint's form). The
security alternatives are the views' own: `ContractAutoSchema.get_auth`
(the project's DEFAULT_SCHEMA_CLASS) reads them from the authentication
and permission classes. What stays the view's: the serializers of the
request body and of the success answer (`request`, `response`), and the
path parameter. The view's docstring never reaches the document.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request

from common.media_types import FORM_MEDIA_TYPE, JSON_MEDIA_TYPE
from common.openapi_contract import (
    ERROR_ENVELOPE,
    OAUTH_ERROR,
    answers,
    query_parameters,
    token_form,
)
from common.operations import by_id
from drf_support.fields import PlainSerializer

from .schema import ErrorEnvelopeSerializer


class ContractAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, reading "public" from the view's permission classes.

    drf-spectacular lists one security alternative per authentication class
    and adds `{}` (no token needed) only for `AllowAny`. An operation here is
    public when every permission class of its view lets an anonymous caller
    through (`has_permission` with no user), as `BookPermission` does for a
    read: then the token is optional. A view without authentication classes
    reads no token at all (no security).
    """

    def get_auth(self) -> list[dict[str, Any]]:
        if not self.view.get_authenticators():
            return []  # no token is read: nothing to document (not even "optional")
        discovered: list[dict[str, Any]] = super().get_auth()
        if discovered and {} not in discovered and self._allows_anonymous():
            discovered.append({})
        return discovered

    def _allows_anonymous(self) -> bool:
        # A stand-in request: permission classes read its method and user only.
        anonymous = cast(Request, SimpleNamespace(method=self.method, user=None, auth=None))
        return all(permission.has_permission(anonymous, self.view)
                   for permission in self.view.get_permissions())


# RFC 6749 §5.2: the token endpoint's own error shape (documentation only).
@extend_schema_serializer(component_name="OAuthError", many=False)
class OAuthErrorSerializer(PlainSerializer):
    error = serializers.CharField(
        help_text="invalid_request, invalid_grant, unsupported_grant_type, locked_out, ...")
    error_description = serializers.CharField()


_ERROR_SERIALIZERS = {ERROR_ENVELOPE: ErrorEnvelopeSerializer, OAUTH_ERROR: OAuthErrorSerializer}


# A view method or class, returned as it came: extend_schema only annotates it.
F = TypeVar("F", bound=Callable[..., Any])


def documented(operation_id: str, *, request: Any = None, response: Any = None,
               path: list[OpenApiParameter] | None = None) -> Callable[[F], F]:
    """`extend_schema(...)` for one declared operation.

    `request`: the body's serializer (None: no JSON body); `response`: the
    success answer's serializer (None: no body). Statuses whose answer is the
    operation's own model (health's 503 report) use `response` too. `path`:
    the view's own path parameters, when it describes them.
    """
    operation = by_id(operation_id)
    responses: dict[int, OpenApiResponse] = {}
    parameters: list[OpenApiParameter] = list(path or [])
    for answer in answers(operation):
        model = response if answer.model == operation.answer else _ERROR_SERIALIZERS.get(
            answer.model or "")
        responses[answer.status] = OpenApiResponse(model, description=answer.description)
        parameters += [
            OpenApiParameter(name, header["schema"], OpenApiParameter.HEADER,
                             description=header["description"], response=[answer.status])
            for name, header in answer.headers.items()
        ]
    parameters += [
        OpenApiParameter(p["name"], p["schema"], OpenApiParameter.QUERY,
                         required=p["required"], description=p["description"])
        for p in query_parameters(operation)
    ]
    # JSON only: the browsable API's form parsers are not part of the contract.
    body: Any = {JSON_MEDIA_TYPE: request} if request is not None else None
    if operation.operation_id == "token":
        body = {FORM_MEDIA_TYPE: token_form()["content"][FORM_MEDIA_TYPE]["schema"]}
    return extend_schema(
        operation_id=operation.operation_id,
        summary=operation.summary,
        description=operation.description,
        tags=[operation.tag],
        request=body,
        responses=responses,
        parameters=parameters,
        # The list query parameters are the declaration's alone: no discovery
        # from filter backends or the paginator.
        filters=False if query_parameters(operation) else None,
    )
