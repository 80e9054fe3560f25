"""A bare DRF APIView behind Django's WSGI handler and a2wsgi.

Mounted as the project mounts Django (WSGI + a2wsgi, DJANGO_WORKERS threads,
default 10), with settings of its own (drf_settings: no middleware,
JSONRenderer only, no authentication, permissions or throttles). The view
names those choices again as class attributes, so it behaves the same under
any settings module (the unit test runs it under the project's).

    uvicorn benchmarks.bare.drf_app:create_app --factory
"""

from __future__ import annotations

import os
from typing import Any

import django
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bare.drf_settings")
if not apps.ready:
    django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.parsers import JSONParser  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from common.asgi.types import ASGIApp  # noqa: E402
from common.asgi.wsgi import wsgi_to_asgi  # noqa: E402  (needs Django set up first)

from .payload import load_payload  # noqa: E402


class BooksView(APIView):
    """`GET /books`: the payload, rendered by JSONRenderer on every request."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    # Set by create_app from BENCH_PAYLOAD_FILE.
    payload: dict[str, Any] = {}

    def get(self, request: Request) -> Response:
        return Response(self.payload)


urlpatterns = [path("books", BooksView.as_view())]


def create_app() -> ASGIApp:
    BooksView.payload = load_payload()
    workers = int(os.environ.get("DJANGO_WORKERS", "10"))
    return wsgi_to_asgi(get_wsgi_application(), workers=workers)
