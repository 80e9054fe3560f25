"""Plain Django views outside the API prefixes: the landing page, /compare and /guides."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from config.compare import compare_html
from config.guides import guide_html

# /compare and /guides are self-contained (inline CSS, no script, no image): the
# browser may load nothing else, as on the docs pages (common/asgi/security_headers.py).
COMPARE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

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


def compare(request: HttpRequest) -> HttpResponse:
    """The three implementations of each concept, side by side (built once per process)."""
    response = HttpResponse(compare_html())
    response["Content-Security-Policy"] = COMPARE_CSP
    return response


@require_safe
def guide(request: HttpRequest, slug: str) -> HttpResponse:
    """One markdown guide as HTML (config/guides.py; built once per process)."""
    try:
        body = guide_html(slug)
    except KeyError:
        raise Http404(f"no guide {slug!r}") from None
    response = HttpResponse(body)
    response["Content-Security-Policy"] = COMPARE_CSP
    return response

