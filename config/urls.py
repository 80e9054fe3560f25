"""Django's URL routes: the landing page, /compare, /guides, the admin, and DRF at /api/drf.

/health and /ready are answered by the edge (common/asgi/edge.py).
FastAPI and Flask are not here: `config.asgi` sends /api/fastapi and
/api/flask to them before Django sees the request.
"""

from django.contrib import admin
from django.urls import include, path, re_path

from accounts.pages import ResetPasswordCompleteView, ResetPasswordConfirmView
from config import views
from drf_support.exceptions import api_not_found

urlpatterns = [
    path("", views.landing, name="landing"),
    path("compare", views.compare, name="compare"),
    path("guides/<slug:slug>", views.guide, name="guide"),
    path("admin/", admin.site.urls),
    # The pages the password reset email links to (the API's confirm endpoint is
    # JSON): Django's own reset views, which move the token into the session
    # and redirect to .../set-password.
    path(
        "password-reset/done",
        ResetPasswordCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>",
        ResetPasswordConfirmView.as_view(),
        name="password-reset-confirm-page",
    ),
    path("api/drf/", include("config.drf_urls")),
    # Anything else under the prefix answers the contract's 404 envelope.
    re_path(r"^api/drf(?:/.*)?$", api_not_found, name="drf-unmatched"),
]

handler500 = "drf_support.exceptions.server_error"
