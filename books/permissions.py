"""DRF permission classes of the books resource, asking the domain's own rules.

    GET                      anyone
    POST                     any signed-in user
    PUT, PATCH /books/{id}   its creator, or an admin
    DELETE /books/{id}       an admin

The rules themselves are `books.services.can_*` (FastAPI and Flask ask the
same functions); the services check them again before they write. Here they
also decide which forms the browsable API offers: DRF's renderer calls
`has_permission` and `has_object_permission` for each method before it
draws a form (BrowsableAPIRenderer.show_form_for_method).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from books.models import Book
from books.services import can_create, can_delete, can_update


class BookPermission(BasePermission):
    """Reads for anyone; writes by the rules above.

    A refused anonymous request becomes a 401 (DRF's `permission_denied`
    sees that no authenticator succeeded), a refused signed-in one a 403.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_create(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Book) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return can_delete(request.user)
        return can_update(request.user, obj)
