"""The pages the reset email links to: /password-reset/<uidb64>/<token>, then /done.

The contract defines no page, only the JSON confirm endpoint; but a link in
an email has to open something a person can use. These are Django's own
reset views, `PasswordResetConfirmView` and `PasswordResetCompleteView`,
with the project's templates and one change: the password is set by the
same `password_reset_confirm` the three APIs call, so the rules (one use,
expiry, validators, revoking every earlier login) are the same ones.

What Django's view does, and why it matters in a real browser:

1. GET /password-reset/<uidb64>/<token>: a valid token is moved into the
   session and the browser is redirected to /password-reset/<uidb64>/set-password.
   The token leaves the address bar (and cannot leave in a `Referer`).
2. That page shows the form only while the session's token is valid. A
   forged, expired or used link shows "invalid or used", and no form.
3. POST: CSRF-checked as every Django form. The page sends no
   `<meta name="referrer" content="no-referrer">`: with it Chromium sends
   `Origin: null` and Django refuses the POST (403). The site-wide
   `Referrer-Policy: same-origin` lets the browser send its real Origin.
4. Success: redirect to /password-reset/done.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy

from accounts.models import User
from accounts.password_reset import (
    InvalidResetToken,
    password_reset_confirm,
    reset_link_user,
    token_generator,
)
from common.errors import ValidationFailed


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """Django's confirm view; the password is set by the domain's `password_reset_confirm`."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")
    token_generator = token_generator

    def get_user(self, uidb64: str) -> User | None:
        """Only a user who may still reset (active, not deleted), as the API confirm checks."""
        return reset_link_user(uidb64)

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        if not context.get("validlink"):
            response_kwargs.setdefault("status", 400)  # the "invalid or used" page
        return super().render_to_response(context, **response_kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        """Set the password through the domain, not `form.save()`.

        The domain checks the token again under a row lock (two tabs cannot
        both use it), runs the validators and revokes every earlier login.
        """
        token = self.request.session.get(INTERNAL_RESET_SESSION_TOKEN, "")
        try:
            password_reset_confirm(
                uid=self.kwargs["uidb64"], token=token,
                new_password=form.cleaned_data["new_password1"],
            )
        except InvalidResetToken:
            # Used meanwhile (another tab), or the user logged in since.
            self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
            self.validlink = False
            return self.render_to_response(self.get_context_data())
        except ValidationFailed as exc:
            for detail in exc.details:
                form.add_error("new_password2", detail.message)
            return self.form_invalid(form)
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())


class ResetPasswordCompleteView(auth_views.PasswordResetCompleteView):
    """The done page."""

    template_name = "accounts/password_reset_complete.html"
