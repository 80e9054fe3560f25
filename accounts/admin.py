"""Django admin for users and login families.

Changes made here follow the same rules as the API, through the same
services: deactivating a user or setting their password revokes their
logins, "delete" is the API's soft delete (the row and its books stay), and
usernames and emails are unique in canonical form (NFKC + casefold), checked in the
forms so a duplicate is a form error, never an IntegrityError page.

Login families are an audit trail: they can be read, filtered and revoked,
never edited or deleted (no Save buttons). The login page itself is guarded
like the token endpoint (see accounts.admin_login).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.admin_login import GuardedAdminAuthenticationForm
from accounts.models import RevokedReason, TokenFamily, User
from accounts.services import (
    MSG_EMAIL_TAKEN,
    MSG_USERNAME_TAKEN,
    email_taken,
    user_mark_deleted,
    user_restore,
    username_taken,
)
from accounts.tokens import token_service

# The admin's login page counts and locks with the API's brute-force guard.
admin.site.login_form = GuardedAdminAuthenticationForm

MSG_SOFT_DELETE = (
    "{user}: soft delete. The account is deactivated and its logins revoked; "
    "the row and its books stay (restore it with the \"Restore\" action)."
)


class _CaseInsensitiveUnique:
    """clean_username / clean_email for a user form: taken in canonical form is an error.

    The database enforces the same rule (unique `*_canonical` columns, see
    accounts.identity); checking it here turns a duplicate into a message on
    the field instead of a crash. (It also replaces Django's own
    `UserCreationForm.clean_username`, whose `iexact` is the database's UPPER.)
    """

    instance: User
    cleaned_data: dict[str, Any]

    def clean_username(self) -> str:
        username = self.cleaned_data.get("username", "")
        if username and username_taken(username, exclude_id=self.instance.pk):
            raise forms.ValidationError(MSG_USERNAME_TAKEN, code="unique")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data.get("email", "")
        if email and email_taken(email, exclude_id=self.instance.pk):
            raise forms.ValidationError(MSG_EMAIL_TAKEN, code="unique")
        return email


class UserAddForm(_CaseInsensitiveUnique, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")


class UserEditForm(_CaseInsensitiveUnique, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


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

    form = UserEditForm
    add_form = UserAddForm
    list_display = (
        "username", "email", "role", "is_active", "deleted_at", "last_login", "date_joined",
    )
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

    actions = ["restore_selected", "revoke_tokens"]

    # --- Delete is the API's soft delete ------------------------------------------------

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_mark_deleted(target=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_mark_deleted(target=user)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, ...]:
        """What the confirmation page lists: the users, and what "delete" means here.

        Django's own answer lists every related row as going too, and refuses
        outright when books (PROTECT) point at the user; neither is true of a
        soft delete.
        """
        users = list(objs)
        summary = [MSG_SOFT_DELETE.format(user=user) for user in users]
        return summary, {User._meta.verbose_name_plural: len(users)}, set(), []

    @admin.action(description="Restore selected (soft-deleted) users", permissions=["change"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        restored = 0
        for user in queryset.filter(Q(deleted_at__isnull=False) | Q(is_active=False)):
            user_restore(target=user)
            restored += 1
        self.message_user(request, f"Restored {restored} user(s).", messages.SUCCESS)

    @admin.action(description="Revoke all tokens of selected users", permissions=["change"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        revoked = sum(
            token_service.revoke_all_for_user(user, RevokedReason.ADMIN) for user in queryset
        )
        self.message_user(
            request, f"Revoked {revoked} open login(s): their tokens are refused at once.",
            messages.SUCCESS,
        )

    # --- Changes that end logins -----------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            token_service.revoke_all_for_user(obj, RevokedReason.DEACTIVATED)

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

    # The state first: at 1280 px the columns past the fifth are off-screen.
    list_display = (
        "state", "user", "created_at", "revoked_reason", "refreshed_at", "rotation_count",
        "expires_at", "revoked_at", "id",
    )
    list_display_links = ("state", "user")
    list_filter = (
        FamilyStateFilter,
        ("user", admin.RelatedOnlyFieldListFilter),  # only users who have logins
        "created_at",
        "revoked_reason",
    )
    search_fields = ("user__username", "user__email", "id")
    date_hierarchy = "created_at"
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

    @admin.action(description="Revoke selected login families", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[TokenFamily]) -> None:
        count = token_service.revoke_families(queryset, RevokedReason.ADMIN)
        self.message_user(request, f"Revoked {count} login families.", messages.SUCCESS)

    # An audit trail: viewed and revoked, never added, edited or deleted. Without
    # the change permission Django renders a read-only page with no Save buttons.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking needs what editing would have needed: the model's change permission."""
        return request.user.has_perm("accounts.change_tokenfamily")
