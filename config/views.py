"""Plain Django views outside the API prefixes: the landing page and /health."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from common.health import health_report

FRAMEWORKS = [
    {
        "name": "Django REST framework",
        "prefix": "/api/drf",
        "idiom": "ViewSets, serializers, django-filter, a DRF exception handler",
        "mounted": True,
    },
    {
        "name": "FastAPI",
        "prefix": "/api/fastapi",
        "idiom": "APIRouters, Depends, Pydantic models, exception handlers",
        "mounted": True,
    },
    {
        "name": "Flask",
        "prefix": "/api/flask",
        "idiom": "an app factory, blueprints, explicit parsing, error handlers",
        "mounted": True,
    },
]


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html", {"frameworks": FRAMEWORKS})


def health(request: HttpRequest) -> JsonResponse:
    status, body = health_report()
    # Compact separators: the same bytes as /api/drf/health and /api/fastapi/health.
    return JsonResponse(body, status=status, json_dumps_params={"separators": (",", ":")})
