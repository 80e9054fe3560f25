"""Routes of the DRF implementation, mounted at /api/drf by config.urls.

    /api/drf/            the API root: a link to every resource (browsers)
    /api/drf/<path>/     browsers: 301 to <path>; others: the 404 envelope
"""

from typing import Any

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from drf_support.views import ApiRootView, DrfHealthView, trailing_slash

# The docs are public and unmetered at every prefix: a stale token in the
# browser must not turn them into a 401, nor browsing them spend the budget.
PUBLIC: dict[str, Any] = {
    "authentication_classes": [], "permission_classes": [], "throttle_classes": []
}

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("health", DrfHealthView.as_view(), name="drf-health"),
    path("openapi.json", SpectacularJSONAPIView.as_view(**PUBLIC), name="drf-openapi"),
    path(
        "docs",
        SpectacularSwaggerView.as_view(url_name="drf-openapi", **PUBLIC),
        name="drf-docs",
    ),
    path(
        "redoc",
        SpectacularRedocView.as_view(url_name="drf-openapi", **PUBLIC),
        name="drf-redoc",
    ),
    # The browsable API's login and logout pages, for browsers (accounts/session.py).
    path("session/", include("accounts.session")),
    path("", include("accounts.urls")),
    path("", include("books.urls")),
    path("", include("throttling.urls")),
    # Last: only paths no route above matched end up here.
    re_path(r"^(?P<path>.+)/$", trailing_slash, name="drf-trailing-slash"),
]
