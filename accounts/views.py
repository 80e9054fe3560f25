"""The DRF face of accounts: /auth/* and /users under /api/drf.

A learner's guide to every DRF file, and the path of a login through this
one: docs/drf.md.

Each view does three things: parse (an input serializer of
accounts.serializers, which checks presence and JSON types only), call a
service, selector or the token endpoint logic (which own every rule),
serialize (UserOutputSerializer). Errors are raised, never built here:
`drf_support.exceptions.exception_handler` turns them into the envelope, or into RFC
6749's shape for `OAuthError`.

Check order, identical in every framework: authentication (401), body types
(422), the target user is visible (403/404), permission for the fields
(403), values (422), uniqueness (409).

The OpenAPI decorations live at the bottom of the module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import oauth, password_reset
from accounts.authentication import BearerTokenAuthentication
from accounts.filters import UserFilterSet
from accounts.models import User
from accounts.permissions import IsAdminRole, signed_in_user
from accounts.selectors import user_get_for
from accounts.serializers import (
    LogoutInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenResponseSerializer,
    UserEnvelopeSerializer,
    UserOutputSerializer,
    UserPageSerializer,
    UserPatchSerializer,
)
from accounts.services import user_register, user_soft_delete, user_update
from common.constraints import USER_LIST_INTEGERS, USER_LIST_PARAMS
from common.errors import NO_STORE, ApplicationError, OAuthError
from common.mail import outbox
from drf_support.filtering import CheckedListQuery
from drf_support.openapi import documented
from drf_support.pagination import PageNumberEnvelopePagination
from drf_support.views import ApiView, MethodFirstMixin
from throttling.throttles import StrictDefaultRateThrottle, request_client_ip


def _user_response(user: User, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"data": UserOutputSerializer(user).data}, status=status_code)


# --- /auth ------------------------------------------------------------------------------


class RegisterApi(ApiView):
    authentication_classes: list = []  # a stray Authorization header must not 401 a sign-up

    InputSerializer = RegisterInputSerializer
    OutputSerializer = UserOutputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        return _user_response(user, status_code=status.HTTP_201_CREATED)


class TokenApi(ApiView):
    """The OAuth2 token endpoint: form in, RFC 6749 body (or RFC 6749 error) out."""

    authentication_classes: list = []
    parser_classes = [FormParser]
    # RFC 6749's JSON whatever `Accept` says: no browsable page, even for a browser.
    renderer_classes = [JSONRenderer]
    # Login must stay protected when the cache is down: 503, not fail-open.
    throttle_classes = [StrictDefaultRateThrottle]

    OutputSerializer = TokenResponseSerializer

    def post(self, request: Request) -> Response:
        try:
            data = request.data  # FormParser: a QueryDict, or {} for an empty body
        except (exceptions.UnsupportedMediaType, exceptions.ParseError):
            raise OAuthError("invalid_request", oauth.MSG_FORM_ENCODED) from None
        if not isinstance(data, Mapping):  # a form body always parses to a mapping
            raise OAuthError("invalid_request", oauth.MSG_FORM_ENCODED)
        form = oauth.form_values(data)
        body = oauth.token_grant(form=form, client_ip=request_client_ip(request))
        return Response(body, headers=NO_STORE)

    def handle_exception(self, exc: Exception) -> Response:
        # Whatever goes wrong here (the rate limiter's 429, a cache outage's
        # 503 raised by the throttle before `post` runs), the token endpoint
        # keeps RFC 6749's error shape.
        if isinstance(exc, ApplicationError):
            exc = OAuthError.from_application_error(exc)
        return super().handle_exception(exc)


class RefreshApi(ApiView):
    """JSON twin of the refresh grant; errors in the normal envelope (400 invalid_grant)."""

    authentication_classes: list = []
    throttle_classes = [StrictDefaultRateThrottle]

    InputSerializer = RefreshInputSerializer
    OutputSerializer = TokenResponseSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = oauth.refresh_grant(serializer.validated_data["refresh_token"])
        return Response(body, headers=NO_STORE)


class LogoutApi(ApiView):
    # Revokes the access token itself: a Bearer token only (a browsable API
    # session has no token to revoke; it logs out at /session/logout).
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    InputSerializer = LogoutInputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        oauth.logout(
            # BearerTokenAuthentication leaves the verified claims in request.auth.
            claims=cast(dict[str, Any], request.auth),
            refresh_token=serializer.validated_data.get("refresh_token"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(ApiView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = UserOutputSerializer

    def get(self, request: Request) -> Response:
        return _user_response(signed_in_user(request))


class PasswordResetApi(ApiView):
    """202 at once; the email (if the address belongs to anyone) goes out after.

    The lookup and the sending run on the process's mail outbox
    (`common.mail`), as at the other prefixes: the answer takes the same
    time whether or not the address exists, and a slow mail server holds no
    request thread and no database connection.
    """

    authentication_classes: list = []
    # Counted per IP here, then per IP and per address by the domain; 503
    # without the cache (an unmetered endpoint that sends mail is a spam cannon).
    throttle_classes = [StrictDefaultRateThrottle]

    InputSerializer = PasswordResetInputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = password_reset.password_reset_accept(
            email=serializer.validated_data["email"], client_ip=request_client_ip(request)
        )
        site_url = password_reset.link_origin(
            scheme=request.scheme or "http", host=request.get_host(),
            server_port=request.META.get("SERVER_PORT"),
        )
        outbox.send_later(password_reset.password_reset_email, email=email, site_url=site_url)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(ApiView):
    authentication_classes: list = []
    throttle_classes = [StrictDefaultRateThrottle]

    InputSerializer = PasswordResetConfirmInputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- /users -------------------------------------------------------------------------------


class UserListApi(CheckedListQuery, MethodFirstMixin, generics.GenericAPIView):
    """GET /users: DRF's list machinery (django-filter's UserFilterSet, numbered envelope pages)."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    # Soft-deleted users are listed too (is_active false): an admin may want
    # to find and restore them.
    queryset = User.objects.order_by("id")
    serializer_class = UserOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = UserFilterSet
    pagination_class = PageNumberEnvelopePagination
    list_query_names = USER_LIST_PARAMS
    list_query_integers = USER_LIST_INTEGERS

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(UserOutputSerializer(page, many=True).data)


class UserDetailApi(ApiView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = UserOutputSerializer

    InputSerializer = UserPatchSerializer
    # The browsable API asks `get_object()` which forms to show: none on a
    # user the visitor may not see (accounts.selectors.user_get_for's 403/404).
    lookup_field = "id"

    def get_object(self) -> User:
        """The user of the URL, if the caller may see it: self, or anyone for an admin."""
        return user_get_for(actor=signed_in_user(self.request), user_id=self.kwargs["id"])

    def get(self, request: Request, id: int) -> Response:
        return _user_response(self.get_object())

    def patch(self, request: Request, id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = self.get_object()
        user = user_update(
            actor=signed_in_user(request),
            target=target,
            changes=serializer.validated_data,
            client_ip=request_client_ip(request),
        )
        return _user_response(user)

    def delete(self, request: Request, id: int) -> Response:
        target = self.get_object()
        user_soft_delete(actor=signed_in_user(request), target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- OpenAPI documentation ------------------------------------------------------------------


def _document() -> None:
    """Attach each declared operation's documentation (common.operations) to its method.

    Only the serializers are the views' own; summary, description, security,
    statuses and their words come from the declaration.
    """
    documented("register", request=RegisterApi.InputSerializer,
               response=UserEnvelopeSerializer)(RegisterApi.post)
    # The form is documented from the declaration (RFC 6749's parameters).
    documented("token", response=TokenApi.OutputSerializer)(TokenApi.post)
    documented("refresh", request=RefreshApi.InputSerializer,
               response=TokenApi.OutputSerializer)(RefreshApi.post)
    documented("logout", request=LogoutApi.InputSerializer)(LogoutApi.post)
    documented("me", response=UserEnvelopeSerializer)(MeApi.get)
    documented("password_reset_request",
               request=PasswordResetApi.InputSerializer)(PasswordResetApi.post)
    documented("password_reset_confirm",
               request=PasswordResetConfirmApi.InputSerializer)(PasswordResetConfirmApi.post)
    documented("list_users", response=UserPageSerializer)(UserListApi.get)
    documented("get_user", response=UserEnvelopeSerializer)(UserDetailApi.get)
    documented("update_user", request=UserDetailApi.InputSerializer,
               response=UserEnvelopeSerializer)(UserDetailApi.patch)
    documented("delete_user")(UserDetailApi.delete)


_document()
