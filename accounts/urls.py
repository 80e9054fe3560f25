"""Routes of accounts, included by config/drf_urls.py under /api/drf (no trailing slashes)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/register", views.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", views.TokenApi.as_view(), name="auth-token"),
    path("auth/refresh", views.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me", views.MeApi.as_view(), name="auth-me"),
    path("auth/password-reset", views.PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm",
        views.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("users", views.UserListApi.as_view(), name="user-list"),
    # <int:...> matches digits only: /users/abc falls through to the catch-all 404.
    path("users/<int:id>", views.UserDetailApi.as_view(), name="user-detail"),
]
