"""Logging in to the browsable API: Django sessions, for browsers only.

    /api/drf/session/login     DRF's login page (GET the form, POST it)
    /api/drf/session/logout    POST (the browsable API's "Log out" menu entry)

The API's authentication is the Bearer token. A session cookie is a second
way in, and cookies are sent by browsers on their own, so it is fenced in:

- `BrowsableApiSessionAuthentication` accepts a session only for a request
  the browsable API will answer (its `Accept` prefers HTML). A JSON client,
  even one in a browser that holds the cookie (Swagger UI's "Try it out"),
  is never authenticated by it, hence never meets a CSRF error either.
- Session-authenticated writes are CSRF-checked (DRF's SessionAuthentication;
  the browsable API's forms send the token).
- The login and logout pages answer only browsers; any other client gets the
  contract's 404, as for any unknown path under the prefix.
- The login form checks passwords behind the same brute-force guard as the
  token endpoint (throttling.lockout.login_guard, same counters).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseBase
from django.urls import path, reverse_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request

from accounts.admin_login import GuardedAuthenticationForm
from accounts.models import User
from common.accept import prefers_html
from drf_support.exceptions import api_not_found

# Where a browser lands after logging in or out without a `next` page.
HOME = reverse_lazy("book-list")


class BrowsableApiSessionAuthentication(SessionAuthentication):
    """Django's session, for requests the browsable API renders, and only those.

    DRF negotiates the renderer before it authenticates, so the decision is
    already on the request.
    """

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        if not isinstance(getattr(request, "accepted_renderer", None), BrowsableAPIRenderer):
            return None
        return super().authenticate(request)


def _browsers_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Answer the contract's 404 to a client whose `Accept` does not prefer HTML.

    The 404 comes first, CSRF second: the middleware's check is moved inside
    (Django's LoginView and LogoutView protect their own `dispatch`), so a
    JSON client gets the envelope, never Django's HTML "CSRF failed" page.
    """

    @csrf_exempt
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not prefers_html(request.META.get("HTTP_ACCEPT")):
            return api_not_found(request)
        return view(request, *args, **kwargs)

    return wrapped


login_view = _browsers_only(
    auth_views.LoginView.as_view(
        template_name="rest_framework/login.html",
        authentication_form=GuardedAuthenticationForm,
        next_page=HOME,
    )
)
logout_view = _browsers_only(auth_views.LogoutView.as_view(next_page=HOME))

# Named as DRF's own rest_framework.urls, which the browsable API's
# templates reverse ("rest_framework:login"); no trailing slashes.
app_name = "rest_framework"
urlpatterns = [
    path("login", login_view, name="login"),
    path("logout", logout_view, name="logout"),
]
