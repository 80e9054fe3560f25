"""The page the reset email links to: /password-reset/<uid>/<token>.

The contract defines no page, only the JSON confirm endpoint; but a link in
an email has to open something a person can use. This is the smallest such
page: a plain Django form (no JavaScript, CSRF-protected) whose POST calls
the same `password_reset_confirm` the three APIs call, so the rules (one
use, expiry, validators, revoking every earlier login) are the same ones.
The uid and token are also in the email's text, for API clients.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.password_reset import InvalidResetToken, password_reset_confirm
from common.errors import ValidationFailed

TEMPLATE = "accounts/password_reset_confirm.html"
MSG_MISMATCH = "The two passwords differ."


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(
        label="New password", strip=False, widget=forms.PasswordInput(attrs={"autofocus": True})
    )
    new_password_again = forms.CharField(
        label="New password, again", strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", MSG_MISMATCH)
        return cleaned


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm_page(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """GET: the form. POST: set the password, or show why not (the token is not spent then)."""
    form = NewPasswordForm(request.POST or None)
    context = {"form": form, "done": False, "invalid_link": False}
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_confirm(
                uid=uid, token=token, new_password=form.cleaned_data["new_password"]
            )
            context["done"] = True
        except InvalidResetToken as exc:
            context["invalid_link"] = exc.message
        except ValidationFailed as exc:
            for detail in exc.details:
                form.add_error("new_password", detail.message)
    status = 400 if context["invalid_link"] else 200
    return render(request, TEMPLATE, context, status=status)
