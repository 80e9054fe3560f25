"""Lockouts in the admin: browse them, and lift the ones that hurt a real user."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from common.errors import ServiceUnavailable
from throttling.lockout import unlock
from throttling.models import Lockout


class ActiveFilter(admin.SimpleListFilter):
    """Active = not lifted and not yet expired (the cache still holds the lock)."""

    title = "active"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Active"), ("no", "Ended or lifted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> QuerySet[Lockout]:
        active = Q(lifted_at__isnull=True, locked_until__gt=timezone.now())
        if self.value() == "yes":
            return queryset.filter(active)
        if self.value() == "no":
            return queryset.exclude(active)
        return queryset


@admin.register(Lockout)
class LockoutAdmin(admin.ModelAdmin):
    list_display = [
        "namespace", "scope", "username", "ip", "locked_at", "locked_until", "active",
        "lifted_at", "lifted_by",
    ]
    list_filter = ["namespace", ActiveFilter, "scope"]
    search_fields = ["username", "ip"]
    date_hierarchy = "locked_at"
    actions = ["unlock_selected"]
    # An audit trail: rows are written by the login guard, never by hand.
    readonly_fields = [
        "namespace", "scope", "username", "ip", "locked_at", "locked_until", "lifted_at",
        "lifted_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(boolean=True, description="active")
    def active(self, obj: Lockout) -> bool:
        return obj.is_active

    @admin.action(description="Unlock selected", permissions=["change"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> None:
        """Lift each selected lock (its username's or its IP's, in every namespace)."""
        by = request.user.get_username()
        lifted = 0
        try:
            for lockout in queryset:
                if lockout.scope == Lockout.Scope.USERNAME:
                    lifted += unlock(username=lockout.username, by=by)
                else:
                    lifted += unlock(ip=lockout.ip, by=by)
        except ServiceUnavailable:
            self.message_user(
                request, "The cache is unavailable: locks could not be lifted.", messages.ERROR
            )
            return
        self.message_user(request, f"Lifted {lifted} active lockout(s).", messages.SUCCESS)
