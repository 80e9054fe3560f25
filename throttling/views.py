"""DRF views of the demo endpoints: watch rate limiting and lockouts happen.

Thin on purpose: parse, call throttling.demo, wrap in {"data": ...}. The
interesting part of /rl-demo/* is the throttle class on each view.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.drf.fields import StrictCharField
from common.drf.views import ApiView
from throttling import demo
from throttling.throttles import RlDemoLoginSimThrottle, RlDemoPingThrottle, request_client_ip

TAGS = ["demos"]


def _envelope(name: str, fields: dict[str, serializers.Field]) -> serializers.Serializer:
    return inline_serializer(name, {"data": inline_serializer(f"{name}Data", fields)})


class RlDemoPingApi(ApiView):
    throttle_classes = [RlDemoPingThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Rate-limit demo: a relaxed limit",
        description=(
            "Limited to `RL_DEMO_PING` (default 10/minute) per client IP, a budget of its own.\n\n"
            "Try it: call this 11 times within a minute and watch the `RateLimit` header's "
            "`r` (remaining) count down to 0, then the 429 `rate_limited` with `Retry-After` "
            "(seconds until the window resets, the same as `t`). `RateLimit-Policy` shows the "
            "quota `q` and window `w`."
        ),
        responses={200: _envelope("RlDemoPing", {"message": serializers.CharField()})},
    )
    def get(self, request: Request) -> Response:
        return Response({"data": demo.PING_BODY})


class RlDemoLoginSimApi(ApiView):
    throttle_classes = [RlDemoLoginSimThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Rate-limit demo: a strict limit, as a login endpoint would have",
        description=(
            "Limited to `RL_DEMO_LOGIN_SIM` (default 3/minute) per client IP. No credentials "
            "are involved: it only simulates a login's strict budget.\n\n"
            "Try it: POST 4 times within a minute; the fourth answers 429 `rate_limited`."
        ),
        request=None,
        responses={200: _envelope("RlDemoLoginSim", {"message": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        return Response({"data": demo.LOGIN_SIM_BODY})


class BfDemoLoginApi(ApiView):
    class InputSerializer(serializers.Serializer):
        # Presence and JSON type only; an empty value is just a wrong credential.
        username = StrictCharField()
        password = StrictCharField()

    @extend_schema(
        tags=TAGS,
        summary="Brute-force demo: a login with lockout",
        description=(
            "Checks a fixed demo pair (username `demo`, password `correct-horse`; not a real "
            "account) with the token endpoint's lockout rules and its own counters.\n\n"
            "Try it: send a wrong password 5 times (`LOGIN_MAX_FAILURES`): 401 each time. "
            "The 6th attempt answers 429 `locked_out` with `Retry-After`, even with the right "
            "password, for `LOGIN_LOCKOUT` seconds, for that username and for your IP. "
            "A success clears the counters. Watch them with `GET /bf-demo/status`."
        ),
        request=InputSerializer,
        responses={200: _envelope("BfDemoLogin", {"authenticated": serializers.BooleanField()})},
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


class BfDemoStatusApi(ApiView):
    @extend_schema(
        tags=TAGS,
        summary="Brute-force demo: your counters and lock",
        description=(
            "Failures counted for your IP (and for `username`, if given) since the last "
            "success, the maximum, and whether a lock is in force and until when."
        ),
        parameters=[OpenApiParameter("username", str, description="also show this username")],
        responses={
            200: _envelope(
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
        },
    )
    def get(self, request: Request) -> Response:
        body = demo.bf_demo_status(
            username=request.query_params.get("username"), ip=request_client_ip(request)
        )
        return Response({"data": body})
