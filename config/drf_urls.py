"""Routes of the DRF implementation, mounted at /api/drf by config.urls."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from common.views import DrfHealthView

urlpatterns = [
    path("health", DrfHealthView.as_view(), name="drf-health"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="drf-openapi"),
    path("docs", SpectacularSwaggerView.as_view(url_name="drf-openapi"), name="drf-docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="drf-openapi"), name="drf-redoc"),
    path("", include("accounts.urls")),
    path("", include("books.urls")),
    path("", include("throttling.urls")),
]
