"""DRF views of the demo endpoints: watch rate limiting and lockouts happen.

Thin on purpose: parse, call throttling.demo, wrap in {"data": ...}. The
interesting part of /rl-demo/* is the throttle class on each view.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.media_types import JSON_MEDIA_TYPE
from drf_support.fields import StrictCharField
from drf_support.schema import errors
from drf_support.views import ApiView
from throttling import demo
from throttling.throttles import RlDemoLoginSimThrottle, RlDemoPingThrottle, request_client_ip


def _envelope(name: str, fields: dict[str, serializers.Field]) -> serializers.Serializer:
    return inline_serializer(name, {"data": inline_serializer(f"{name}Data", fields)})


class RlDemoPingApi(ApiView):
    throttle_classes = [RlDemoPingThrottle]

    @extend_schema(
        operation_id="ping", tags=["demos"], summary="Rate-limit demo: a relaxed limit",
        description="Limited to `RL_DEMO_PING` (default 10 a minute) per client IP, a budget of "
                    "its own. Try it: call this 11 times within a minute and watch the "
                    "`RateLimit` header's `r` (remaining) count down to 0, then the 429 "
                    "`rate_limited` with `Retry-After` (seconds until the window resets, the "
                    "same as `t`). `RateLimit-Policy` shows the quota `q` and the window `w`.",
        responses={200: OpenApiResponse(
            _envelope("RlDemoPing", {"message": serializers.CharField()}), "Pong."),
                   **errors(401, 429, 503)},
    )
    def get(self, request: Request) -> Response:
        return Response({"data": demo.PING_BODY})


class RlDemoLoginSimApi(ApiView):
    throttle_classes = [RlDemoLoginSimThrottle]

    @extend_schema(
        operation_id="login_sim", tags=["demos"],
        summary="Rate-limit demo: a strict limit, as a login endpoint would have",
        description="Limited to `RL_DEMO_LOGIN_SIM` (default 3 a minute) per client IP. No "
                    "credentials are involved: it only shows a login's strict budget. Try it: "
                    "POST 4 times within a minute; the fourth answers 429 `rate_limited`.",
        request=None,
        responses={200: OpenApiResponse(
            _envelope("RlDemoLoginSim", {"message": serializers.CharField()}), "Counted."),
                   **errors(401, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        return Response({"data": demo.LOGIN_SIM_BODY})


class BfDemoLoginApi(ApiView):
    @extend_schema_serializer(component_name="BfDemoLoginInput")
    class InputSerializer(serializers.Serializer):
        # Presence and JSON type only; an empty value is just a wrong credential.
        username = StrictCharField(openapi=dict(minLength=1))
        password = StrictCharField(openapi=dict(minLength=1, format="password"))

    @extend_schema(
        operation_id="bf_demo_login", tags=["demos"],
        summary="Brute-force demo: a login with lockout",
        description="Checks a fixed demo pair (username `demo`, password `correct-horse`; not a "
                    "real account) with the token endpoint's lockout rules and its own "
                    "counters. Try it: send a wrong password 5 times (`LOGIN_MAX_FAILURES`): "
                    "401 each time. The 6th attempt answers 429 `locked_out` with "
                    "`Retry-After`, even with the right password, for `LOGIN_LOCKOUT` seconds, "
                    "for that username and for your IP. A success clears the counters. Watch "
                    "them with `GET /bf-demo/status`.",
        request={JSON_MEDIA_TYPE: InputSerializer},
        responses={200: OpenApiResponse(
            _envelope("BfDemoLogin", {"authenticated": serializers.BooleanField()}),
            "The right pair."),
                   **errors(400, 401, 413, 422, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = demo.bf_demo_login(
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
            ip=request_client_ip(request),
        )
        return Response({"data": body})


# GET /bf-demo/status's answer (documentation only).
_STATUS = _envelope(
    "BfDemoStatus",
    {
        "namespace": serializers.CharField(),
        "username": serializers.CharField(allow_null=True),
        "ip": serializers.CharField(),
        "failures": inline_serializer(
            "BfDemoFailures",
            {
                "username": serializers.IntegerField(allow_null=True),
                "ip": serializers.IntegerField(),
            },
        ),
        "max_failures": serializers.IntegerField(),
        "failure_window": serializers.IntegerField(),
        "locked": serializers.BooleanField(),
        "locked_until": serializers.DateTimeField(allow_null=True),
        "retry_after": serializers.IntegerField(allow_null=True),
    },
)


class BfDemoStatusApi(ApiView):
    @extend_schema(
        operation_id="bf_demo_status", tags=["demos"],
        summary="Brute-force demo: your counters and lock",
        description="Failures counted for your IP (and for `username`, when given) since the "
                    "last success, the maximum, and whether a lock is in force and until when.",
        parameters=[OpenApiParameter("username", {"type": "string"}, OpenApiParameter.QUERY,
                                     required=False,
                                     description="Also show this username's counters.")],
        responses={200: OpenApiResponse(_STATUS, "The counters."), **errors(401, 429, 503)},
    )
    def get(self, request: Request) -> Response:
        body = demo.bf_demo_status(
            username=request.query_params.get("username"), ip=request_client_ip(request)
        )
        return Response({"data": body})

