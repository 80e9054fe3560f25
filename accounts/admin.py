"""Django admin for users and login families.

Changes made here follow the same token rules as the API: deactivating a
user or setting their password in the admin revokes their logins, so an
admin action takes effect at once at every prefix. The login page itself
is guarded like the token endpoint (see accounts.admin_login).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.admin_login import GuardedAdminAuthenticationForm
from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import token_service

# The admin's login page counts and locks with the API's brute-force guard.
admin.site.login_form = GuardedAdminAuthenticationForm


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's UserAdmin (its read-only hash widget, its password form) plus role and deletion."""

    list_display = ("username", "email", "role", "is_active", "deleted_at", "date_joined")
    list_filter = ("role", "is_active", DeletedFilter, "is_staff", "is_superuser")
    search_fields = ("username", "email")
    ordering = ("id",)
    readonly_fields = ("last_login", "date_joined", "deleted_at")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("API", {"fields": ("role", "is_active", "deleted_at")}),
        (
            "Django admin access",
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "role", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            token_service.revoke_all_for_user(obj, RevokedReason.DEACTIVATED)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Django's password form; a password that changed here revokes every login."""
        before = User.objects.filter(pk=id).values_list("password", flat=True).first()
        response: HttpResponse = super().user_change_password(request, id, form_url)
        after = User.objects.filter(pk=id).values_list("password", flat=True).first()
        if before is not None and after != before:
            user = User.objects.get(pk=id)
            token_service.revoke_all_for_user(user, RevokedReason.PASSWORD_CHANGE)
        return response


class FamilyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked"), ("expired", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(Q(revoked_at__isnull=True) & Q(expires_at__lte=now))
        return queryset


@admin.register(TokenFamily)
class TokenFamilyAdmin(admin.ModelAdmin):
    """One row per login; revoking one logs out its access and refresh tokens at once."""

    list_display = (
        "id", "user", "state", "created_at", "refreshed_at", "rotation_count",
        "expires_at", "revoked_at", "revoked_reason",
    )
    list_filter = (FamilyStateFilter, "revoked_reason", "created_at")
    search_fields = ("user__username", "user__email", "id")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    actions = ["revoke_selected"]
    # Tokens are minted by the token service, never typed in: the admin reads and revokes.
    readonly_fields = (
        "id", "user", "created_at", "expires_at", "current_jti", "refreshed_at",
        "rotation_count", "revoked_at", "revoked_reason",
    )

    @admin.display(description="state")
    def state(self, obj: TokenFamily) -> str:
        return obj.state()

    @admin.action(description="Revoke selected login families")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[TokenFamily]) -> None:
        count = token_service.revoke_families(queryset, RevokedReason.ADMIN)
        self.message_user(request, f"Revoked {count} login families.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
