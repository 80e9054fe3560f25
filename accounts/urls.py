"""Routes of accounts, included by config/drf_urls.py under /api/drf (no trailing slashes)."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/register", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", api.TokenApi.as_view(), name="auth-token"),
    path("auth/refresh", api.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", api.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me", api.MeApi.as_view(), name="auth-me"),
    path("users", api.UserListApi.as_view(), name="user-list"),
    # <int:...> matches digits only: /users/abc falls through to the catch-all 404.
    path("users/<int:id>", api.UserDetailApi.as_view(), name="user-detail"),
]
