"""accounts.password_reset: accept, the email, confirm; the mail outbox; the reset pages."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import update_last_login
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client

from accounts import password_reset
from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import token_service
from common import mail as mail_module
from common.errors import RateLimited, ServiceUnavailable, ValidationFailed

from .conftest import NEW_PASSWORD, PASSWORD

SITE = "https://books.example.org/"


def _deliver_to(user: User) -> tuple[str, str]:
    """Compose the email and send it (here, on the test's thread: the outbox is tested apart)."""
    message = password_reset.password_reset_email(email=user.email, site_url=SITE)
    assert message is not None
    message.send()
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
    """Over the address's budget: no refusal (that would tell), no address to mail."""
    settings.PASSWORD_RESET_PER_ADDRESS = 1
    accept = password_reset.password_reset_accept
    assert accept(email="a@example.org", client_ip="192.0.2.1") == "a@example.org"
    assert accept(email="A@example.org", client_ip="192.0.2.2") is None
    assert password_reset.password_reset_email(email=None, site_url=SITE) is None


def test_the_pair_budget_spends_nothing_of_the_addresss(db: None, settings) -> None:
    settings.PASSWORD_RESET_PER_ADDRESS_IP = 1
    settings.PASSWORD_RESET_PER_ADDRESS = 2
    accept = password_reset.password_reset_accept
    assert accept(email="a@example.org", client_ip="192.0.2.1") == "a@example.org"
    for _ in range(3):  # over the pair's budget: the address's is untouched
        assert accept(email="a@example.org", client_ip="192.0.2.1") is None
    assert accept(email="a@example.org", client_ip="192.0.2.2") == "a@example.org"
    assert accept(email="a@example.org", client_ip="192.0.2.3") is None  # the address's two


def test_accept_is_rate_limited_per_ip(db: None, settings) -> None:
    settings.RATE_LIMIT_PASSWORD_RESET = "1/hour"
    password_reset.password_reset_accept(email="a@example.org", client_ip="192.0.2.1")
    with pytest.raises(RateLimited):
        password_reset.password_reset_accept(email="b@example.org", client_ip="192.0.2.1")


def test_accept_refuses_when_the_budget_cannot_be_counted(db: None, monkeypatch) -> None:
    def down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(password_reset.cache, "add", down)
    with pytest.raises(ServiceUnavailable):
        password_reset.password_reset_accept(email="a@example.org", client_ip="192.0.2.1")


def test_accept_refuses_when_the_cache_is_down(db: None, monkeypatch) -> None:
    def down(policy, *, strict):  # noqa: ANN001, ANN202
        assert strict  # never fail open: this endpoint sends mail
        raise ServiceUnavailable()

    monkeypatch.setattr(password_reset, "enforce", down)
    with pytest.raises(ServiceUnavailable):
        password_reset.password_reset_accept(email="a@example.org", client_ip="192.0.2.1")


def test_the_email_has_the_link_uid_and_token(alice: User) -> None:
    uid, token = _deliver_to(alice)
    (message,) = mail.outbox
    assert message.to == [alice.email] and message.subject == password_reset.EMAIL_SUBJECT
    assert f"{SITE}password-reset/{uid}/{token}" in message.body
    assert f"uid:   {uid}" in message.body and f"token: {token}" in message.body


def test_no_email_for_unknown_inactive_or_deleted(alice: User, bob: User, make_user) -> None:
    bob.is_active = False
    bob.save()
    gone = make_user("gone")
    User.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    for email in ("nobody@example.com", bob.email, gone.email):
        assert password_reset.password_reset_email(email=email, site_url=SITE) is None


def test_no_email_without_an_origin_for_the_link(alice: User) -> None:
    assert password_reset.password_reset_email(email=alice.email, site_url=None) is None


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


def test_a_login_in_the_same_second_ends_the_link(alice: User) -> None:
    """Django's own generator truncates last_login to the second; this one does not."""
    first = datetime(2026, 12, 2, 8, 0, 0, 100_000, tzinfo=UTC)
    User.objects.filter(pk=alice.pk).update(last_login=first)
    alice.refresh_from_db()
    token = password_reset.token_generator.make_token(alice)
    assert password_reset.token_generator.check_token(alice, token)
    User.objects.filter(pk=alice.pk).update(last_login=first + timedelta(microseconds=400_000))
    alice.refresh_from_db()
    assert not password_reset.token_generator.check_token(alice, token)
    # Django's own hash value is the same for both logins: the reason for ours.
    earlier = User(pk=alice.pk, password=alice.password, email=alice.email, last_login=first)
    django_value = PasswordResetTokenGenerator()._make_hash_value
    assert django_value(earlier, 1) == django_value(alice, 1)


def test_deactivated_after_the_mail_cannot_confirm(alice: User) -> None:
    uid, token = _deliver_to(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    with pytest.raises(password_reset.InvalidResetToken):
        password_reset.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)




# --- the origin of the link ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "host", "server_port", "origin"),
    [
        ("http", "localhost:8000", 8000, "http://localhost:8000"),  # this server's port
        ("http", "localhost:1337", 8000, "http://localhost"),  # the client's: left out
        ("http", "localhost:1337", None, "http://localhost"),
        ("https", "localhost", 8000, "https://localhost"),  # behind a proxy on 443
        ("https", "localhost:443", 443, "https://localhost"),
        ("HTTP", "LocalHost:80", "80", "http://localhost"),
        ("http", "127.0.0.1:8000", "8000", "http://127.0.0.1:8000"),
        ("http", "evil.example.com", 8000, None),  # not in ALLOWED_HOSTS
        ("http", "", 8000, None),
    ],
)
def test_link_origin_from_the_request(
    settings, scheme: str, host: str, server_port: int | str | None, origin: str | None
) -> None:
    settings.PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    assert password_reset.link_origin(
        scheme=scheme, host=host, server_port=server_port
    ) == origin


def test_link_origin_is_public_url_when_set(settings) -> None:
    settings.PUBLIC_URL = "https://books.example.org"
    assert password_reset.link_origin(
        scheme="http", host="localhost:1337", server_port=8000
    ) == "https://books.example.org"


# --- the outbox: compose, give the connection back, send ------------------------------


class _Recorded(EmailMessage):
    events: list[str]

    def send(self, fail_silently: bool = False) -> int:
        self.events.append("send")
        return 1


def test_outbox_gives_the_connection_back_before_sending(monkeypatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(mail_module, "release_connections", lambda: events.append("release"))

    def compose() -> EmailMessage:
        events.append("compose")
        message = _Recorded("s", "b", "from@example.com", ["to@example.com"])
        message.events = events
        return message

    box = mail_module.Outbox(size=2, threads=1)
    assert box.send_later(compose)
    box.wait_until_empty()
    assert events == ["compose", "release", "send"]


def test_outbox_survives_failures(monkeypatch) -> None:
    monkeypatch.setattr(mail_module, "release_connections", lambda: None)

    def broken_compose() -> EmailMessage:
        raise ConnectionError("database down")

    class BrokenSend(EmailMessage):
        def send(self, fail_silently: bool = False) -> int:
            raise ConnectionRefusedError("smtp down")

    assert mail_module.send_composed(broken_compose) is False
    assert mail_module.send_composed(lambda: BrokenSend("s", "b", "f@x.org", ["t@x.org"])) is False
    assert mail_module.send_composed(lambda: None) is False
    box = mail_module.Outbox(size=2, threads=1)
    box.send_later(broken_compose)
    box.wait_until_empty()  # the thread lives on: a second job runs too
    ran = threading.Event()
    box.send_later(lambda: ran.set())
    box.wait_until_empty()
    assert ran.is_set()


def test_a_full_outbox_drops_with_a_warning_and_no_address(monkeypatch, caplog) -> None:
    monkeypatch.setattr(mail_module, "release_connections", lambda: None)
    release = threading.Event()
    started = threading.Event()

    def stalled(email: str) -> None:
        started.set()
        release.wait(10)

    box = mail_module.Outbox(size=1, threads=1)
    assert box.send_later(stalled, email="first@example.com")  # taken by the thread
    assert started.wait(5)
    assert box.send_later(stalled, email="second@example.com")  # waits in the queue
    with caplog.at_level(logging.WARNING, logger="common.mail"):
        assert not box.send_later(stalled, email="third@example.com")  # dropped
    release.set()
    box.wait_until_empty()
    (record,) = [r for r in caplog.records if r.name == "common.mail"]
    assert record.levelno == logging.WARNING and "dropped stalled" in record.getMessage()
    assert "@" not in record.getMessage()


# --- the pages the email links to -------------------------------------------------------


def _open_link(client: Client, uid: str, token: str) -> str:
    """GET the emailed link: the token goes into the session; the token-free URL."""
    response = client.get(f"/password-reset/{uid}/{token}")
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/password-reset/{uid}/set-password"
    assert token not in response["Location"]
    return response["Location"]


def test_page_moves_the_token_to_the_session_then_sets_the_password(alice: User) -> None:
    token_service.issue_for_login(alice)
    uid, token = _deliver_to(alice)
    client = Client(enforce_csrf_checks=True)
    url = _open_link(client, uid, token)
    page = client.get(url)
    assert page.status_code == 200 and b'name="new_password1"' in page.content
    assert b'name="referrer"' not in page.content  # the browser may send its Origin
    csrf = client.cookies["csrftoken"].value
    mismatch = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": "x",
                                 "csrfmiddlewaretoken": csrf})
    assert mismatch.status_code == 200 and b"didn" in mismatch.content
    weak = client.post(url, {"new_password1": "123", "new_password2": "123",
                             "csrfmiddlewaretoken": csrf})
    assert b"too short" in weak.content
    done = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
                             "csrfmiddlewaretoken": csrf})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done"
    assert b"has been changed" in client.get("/password-reset/done").content
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The domain's confirm did it: every earlier login is revoked.
    reasons = set(TokenFamily.objects.filter(user=alice).values_list("revoked_reason", flat=True))
    assert reasons == {RevokedReason.PASSWORD_CHANGE}
    # The link and the session's copy are both spent: no form, a clear page.
    for again in (client.get(url), client.get(f"/password-reset/{uid}/{token}")):
        assert again.status_code == 400
        assert b"invalid or used" in again.content and b"<form" not in again.content


@pytest.mark.parametrize("path", ["MQ/c4x9-forged", "!!!/x", "OTk5OTk5/abc-def", "MQ/set-password"])
def test_page_shows_no_form_for_a_forged_link(alice: User, path: str) -> None:
    response = Client().get(f"/password-reset/{path}")
    assert response.status_code == 400
    assert b"invalid or used" in response.content and b"<form" not in response.content


def test_page_shows_no_form_for_a_deactivated_user(alice: User) -> None:
    uid, token = _deliver_to(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = Client().get(f"/password-reset/{uid}/{token}")
    assert response.status_code == 400 and b"<form" not in response.content


def test_page_post_after_a_login_elsewhere_is_refused(alice: User) -> None:
    uid, token = _deliver_to(alice)
    client = Client()
    url = _open_link(client, uid, token)
    update_last_login(None, alice)  # the user remembered and logged in
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400 and b"invalid or used" in response.content
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_page_refuses_a_post_without_csrf(alice: User) -> None:
    uid, token = _deliver_to(alice)
    client = Client(enforce_csrf_checks=True)
    url = _open_link(client, uid, token)
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
