"""DRF views of the demo endpoints: watch rate limiting and lockouts happen.

Thin on purpose: parse, call throttling.demo, wrap in {"data": ...}. The
interesting part of /rl-demo/* is the throttle class on each view.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from drf_support.fields import StrictCharField
from drf_support.openapi import documented
from drf_support.views import ApiView
from throttling import demo
from throttling.throttles import RlDemoLoginSimThrottle, RlDemoPingThrottle, request_client_ip


def _envelope(name: str, fields: dict[str, serializers.Field]) -> serializers.Serializer:
    return inline_serializer(name, {"data": inline_serializer(f"{name}Data", fields)})


class RlDemoPingApi(ApiView):
    throttle_classes = [RlDemoPingThrottle]

    @documented(
        "ping",
        response=_envelope("RlDemoPing", {"message": serializers.CharField()}),
    )
    def get(self, request: Request) -> Response:
        return Response({"data": demo.PING_BODY})


class RlDemoLoginSimApi(ApiView):
    throttle_classes = [RlDemoLoginSimThrottle]

    @documented(
        "login_sim",
        response=_envelope("RlDemoLoginSim", {"message": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        return Response({"data": demo.LOGIN_SIM_BODY})


class BfDemoLoginApi(ApiView):
    @extend_schema_serializer(component_name="BfDemoLoginInput")
    class InputSerializer(serializers.Serializer):
        # Presence and JSON type only; an empty value is just a wrong credential.
        username = StrictCharField()
        password = StrictCharField()

    @documented(
        "bf_demo_login",
        request=InputSerializer,
        response=_envelope("BfDemoLogin", {"authenticated": serializers.BooleanField()}),
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
    @documented(
        "bf_demo_status",
        response=_envelope(
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
        ),
    )
    def get(self, request: Request) -> Response:
        body = demo.bf_demo_status(
            username=request.query_params.get("username"), ip=request_client_ip(request)
        )
        return Response({"data": body})
