"""Django's URL routes: the landing page, health, the admin, and DRF at /api/drf.

FastAPI and Flask are not here: `config.asgi` sends /api/fastapi and
/api/flask to them before Django sees the request.
"""

from django.contrib import admin
from django.urls import include, path, re_path

from accounts.pages import password_reset_confirm_page
from common.drf.exceptions import api_not_found
from config import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    # The page the password reset email links to (the API's confirm endpoint is JSON).
    path(
        "password-reset/<str:uid>/<str:token>",
        password_reset_confirm_page,
        name="password-reset-confirm-page",
    ),
    path("api/drf/", include("config.drf_urls")),
    # Anything else under the prefix answers the contract's 404 envelope.
    re_path(r"^api/drf(?:/.*)?$", api_not_found, name="drf-unmatched"),
]

handler500 = "common.drf.exceptions.server_error"
