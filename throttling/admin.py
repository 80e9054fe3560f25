"""Lockouts in the admin: browse them, and lift the ones that hurt a real user.

The rows are an audit trail written by the login guard: they are viewed,
never added, edited or deleted (no Save or Delete buttons). Lifting a lock
is an action on the list ("Unlock selected") and a button on a lockout's own
page ("Unlock"); both call `throttling.lockout.unlock`, as `manage.py unlock`
does, and need the model's change permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from common.errors import ServiceUnavailable
from throttling.lockout import ip_locks_for, unlock
from throttling.models import Lockout

MSG_CACHE_DOWN = "The cache is unavailable: locks could not be lifted."


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


def _lift(lockout: Lockout, *, by: str) -> int:
    """Lift what the row's lock blocks, in every namespace.

    An IP row: that address's lock. A username row (from one address, or an
    older one from every address): everything that keeps that user out,
    which is their own locks and the IP locks recorded with their failures
    (`ip_locks_for`): lifting the name alone would leave the user facing the
    address's 429.
    """
    if lockout.scope in (Lockout.Scope.USERNAME_IP, Lockout.Scope.USERNAME):
        lifted = unlock(username=lockout.username, by=by)
        for address in sorted({lock.ip for lock in ip_locks_for(lockout.username)}):
            lifted += unlock(ip=address, by=by)
        return lifted
    return unlock(ip=lockout.ip, by=by)


@admin.register(Lockout)
class LockoutAdmin(admin.ModelAdmin):
    # "active" first: at 1280 px the columns past the fifth are off-screen.
    list_display = [
        "active", "namespace", "scope", "username", "ip", "locked_until", "locked_at",
        "lifted_at", "lifted_by",
    ]
    list_display_links = ["active", "namespace"]
    list_filter = ["namespace", ActiveFilter, "scope"]
    search_fields = ["username", "ip"]
    date_hierarchy = "locked_at"
    actions = ["unlock_selected"]
    change_form_template = "admin/throttling/lockout/change_form.html"

    # --- Read-only: an audit trail ----------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Django then renders the view-only page: no Save buttons

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        """Lifting a lock needs what editing would have: the model's change permission."""
        return request.user.has_perm("throttling.change_lockout")

    @admin.display(boolean=True, description="active")
    def active(self, obj: Lockout) -> bool:
        return obj.is_active

    # --- Unlocking ------------------------------------------------------------------------

    @admin.action(description="Unlock selected", permissions=["unlock"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> None:
        """Lift each selected lock (see `_lift`), in every namespace."""
        by = request.user.get_username()
        try:
            lifted = sum(_lift(lockout, by=by) for lockout in queryset)
        except ServiceUnavailable:
            self.message_user(request, MSG_CACHE_DOWN, messages.ERROR)
            return
        self.message_user(request, f"Lifted {lifted} active lockout(s).", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        unlock_url = path(
            "<path:object_id>/unlock/",
            self.admin_site.admin_view(self.unlock_view),
            name="throttling_lockout_unlock",
        )
        return [unlock_url, *super().get_urls()]

    def unlock_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST from the "Unlock" button of a lockout's page; back to that page after."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        lockout = get_object_or_404(Lockout, pk=object_id)
        page = reverse("admin:throttling_lockout_change", args=[lockout.pk])
        if not self.has_unlock_permission(request):
            raise PermissionDenied
        try:
            lifted = _lift(lockout, by=request.user.get_username())
        except ServiceUnavailable:
            self.message_user(request, MSG_CACHE_DOWN, messages.ERROR)
        else:
            self.message_user(request, f"Lifted {lifted} active lockout(s).", messages.SUCCESS)
        return HttpResponseRedirect(page)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = kwargs.get("obj")
        context["show_unlock"] = (
            obj is not None and obj.is_active and self.has_unlock_permission(request)
        )
        return super().render_change_form(request, context, *args, **kwargs)

