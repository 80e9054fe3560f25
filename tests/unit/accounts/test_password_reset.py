"""accounts.password_reset: accept, deliver, confirm; and the page the email links to."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import update_last_login
from django.core import mail
from django.test import Client

from accounts import password_reset
from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import token_service
from common.background import run_in_background
from common.errors import RateLimited, ServiceUnavailable, ValidationFailed

from .conftest import NEW_PASSWORD, PASSWORD

SITE = "https://books.example.org/"


def _deliver_to(user: User) -> tuple[str, str]:
    assert password_reset.password_reset_deliver(email=user.email, site_url=SITE)
    match = re.search(r"/password-reset/([^/\s]+)/(\S+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match[1], match[2]


def test_accept_normalises_and_refuses_a_bad_address(db: None) -> None:
    assert password_reset.password_reset_accept(
        email="Alice@EXAMPLE.org", client_ip="192.0.2.1"
    ) == "Alice@example.org"
    with pytest.raises(ValidationFailed) as caught:
        password_reset.password_reset_accept(email="nope", client_ip="192.0.2.1")
    assert [d.field for d in caught.value.details] == ["email"]


def test_accept_counts_the_address_case_insensitively(db: None, settings) -> None:
    settings.RATE_LIMIT_PASSWORD_RESET = "1/hour"
    password_reset.password_reset_accept(email="a@example.org", client_ip="192.0.2.1")
    with pytest.raises(RateLimited):
        password_reset.password_reset_accept(email="A@example.org", client_ip="192.0.2.2")


def test_accept_refuses_when_the_cache_is_down(db: None, monkeypatch) -> None:
    def down(policy, *, strict):  # noqa: ANN001, ANN202
        assert strict  # never fail open: this endpoint sends mail
        raise ServiceUnavailable()

    monkeypatch.setattr(password_reset, "enforce", down)
    with pytest.raises(ServiceUnavailable):
        password_reset.password_reset_accept(email="a@example.org", client_ip="192.0.2.1")


def test_deliver_sends_one_mail_with_link_uid_and_token(alice: User) -> None:
    uid, token = _deliver_to(alice)
    (message,) = mail.outbox
    assert message.to == [alice.email] and message.subject == password_reset.EMAIL_SUBJECT
    assert f"{SITE}password-reset/{uid}/{token}" in message.body
    assert f"uid:   {uid}" in message.body and f"token: {token}" in message.body


def test_deliver_sends_nothing_for_unknown_inactive_or_deleted(
    alice: User, bob: User, make_user
) -> None:
    bob.is_active = False
    bob.save()
    gone = make_user("gone")
    User.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    for email in ("nobody@example.com", bob.email, gone.email):
        assert not password_reset.password_reset_deliver(email=email, site_url=SITE)
    assert mail.outbox == []


def test_deliver_swallows_a_mail_server_failure(alice: User, monkeypatch) -> None:
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(password_reset, "send_mail", broken)
    assert password_reset.password_reset_deliver(email=alice.email, site_url=SITE) is False


def test_confirm_sets_password_and_revokes_every_login(alice: User) -> None:
    token_service.issue_for_login(alice)
    token_service.issue_for_login(alice)
    uid, token = _deliver_to(alice)
    password_reset.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    reasons = set(TokenFamily.objects.filter(user=alice).values_list("revoked_reason", flat=True))
    assert reasons == {RevokedReason.PASSWORD_CHANGE}
    with pytest.raises(password_reset.InvalidResetToken):
        password_reset.password_reset_confirm(uid=uid, token=token, new_password=PASSWORD)


def test_a_later_login_ends_an_unused_link(alice: User) -> None:
    """Django's token hashes last_login: logging in again proves the user remembers."""
    uid, token = _deliver_to(alice)
    update_last_login(None, alice)
    with pytest.raises(password_reset.InvalidResetToken):
        password_reset.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)


def test_deactivated_after_the_mail_cannot_confirm(alice: User) -> None:
    uid, token = _deliver_to(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    with pytest.raises(password_reset.InvalidResetToken):
        password_reset.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)


def test_background_runner_returns_the_result_and_survives_errors() -> None:
    assert run_in_background(lambda x: x * 2, 21).result(timeout=5) == 42
    assert run_in_background(lambda: 1 / 0).result(timeout=5) is None


# --- the page the email links to ------------------------------------------------------


def test_page_shows_a_form_then_sets_the_password(alice: User) -> None:
    uid, token = _deliver_to(alice)
    client = Client(enforce_csrf_checks=True)
    url = f"/password-reset/{uid}/{token}"
    page = client.get(url)
    assert page.status_code == 200 and b'name="new_password"' in page.content
    csrf = client.cookies["csrftoken"].value
    mismatch = client.post(url, {"new_password": NEW_PASSWORD, "new_password_again": "x",
                                 "csrfmiddlewaretoken": csrf})
    assert b"The two passwords differ." in mismatch.content
    weak = client.post(url, {"new_password": "123", "new_password_again": "123",
                             "csrfmiddlewaretoken": csrf})
    assert b"too short" in weak.content
    done = client.post(url, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD,
                             "csrfmiddlewaretoken": csrf})
    assert done.status_code == 200 and b"has been changed" in done.content
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    again = client.post(url, {"new_password": PASSWORD, "new_password_again": PASSWORD,
                              "csrfmiddlewaretoken": csrf})
    assert again.status_code == 400 and b"already used" in again.content


def test_page_refuses_a_post_without_csrf(alice: User) -> None:
    uid, token = _deliver_to(alice)
    response = Client(enforce_csrf_checks=True).post(
        f"/password-reset/{uid}/{token}",
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
