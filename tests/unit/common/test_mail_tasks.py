"""MAIL_QUEUE=tasks: emails stored as jobs, sent by `manage.py db_worker`, retried, never lost."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from common import mail_tasks
from common.mail import Outbox

pytestmark = pytest.mark.django_db(transaction=True)  # the sender thread's rows are visible

TO = "alice@example.com"


def reset_like_email(*, email: str, site_url: str) -> EmailMessage:
    """A compose function as the real ones are: importable by name, keyword arguments."""
    return EmailMessage("Reset", f"go to {site_url}", "noreply@example.com", [email])


class FlakyBackend:
    """An email backend whose server refuses the first `failures` sends."""

    failures = 0

    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list[EmailMessage]) -> int:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("the mail server is down")
        mail.outbox.extend(messages)
        return len(messages)


DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def tasks_queue(settings: SettingsWrapper) -> None:
    """Jobs as rows, as in production (pytest's own default runs each at once)."""
    settings.MAIL_QUEUE = "tasks"
    settings.TASKS = DATABASE_BACKEND


def work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())


def test_a_job_is_stored_then_sent_by_the_worker() -> None:
    outbox = Outbox()
    assert outbox.send_later(reset_like_email, email=TO, site_url="https://books.example.org")
    outbox.wait_until_empty()
    assert mail.outbox == []  # stored, not sent by the process that took the request
    (job,) = DBTaskResult.objects.all()
    assert job.task_path == "common.mail_tasks.send_email"
    assert job.args_kwargs["args"][0] == f"{__name__}.reset_like_email"
    work()
    assert [m.to for m in mail.outbox] == [[TO]]
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL"


def test_a_failed_send_is_retried_later_with_backoff(
    settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 1
    mail_tasks.send_email.enqueue(f"{__name__}.reset_like_email", {"email": TO, "site_url": "s"})
    with caplog.at_level(logging.WARNING, logger="common.mail_tasks"):
        work()
    assert mail.outbox == []
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"][2] == 2  # the second attempt
    wait = retry.run_after - timezone.now()
    assert timedelta(seconds=20) < wait <= mail_tasks.backoff(1)
    assert "retried in 30 s" in caplog.text
    retry.run_after = timezone.now()
    retry.save(update_fields=["run_after"])
    work()
    assert [m.to for m in mail.outbox] == [[TO]]


def test_the_last_failure_is_recorded_not_dropped(
    settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 1
    kwargs = {"email": TO, "site_url": "s"}
    mail_tasks.send_email.enqueue(f"{__name__}.reset_like_email", kwargs, mail_tasks.MAX_ATTEMPTS)
    with caplog.at_level(logging.ERROR, logger="common.mail_tasks"):
        work()
    assert DBTaskResult.objects.get().status == "FAILED"
    assert "given up" in caplog.text


def test_a_job_that_cannot_be_stored_is_sent_from_the_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def database_down(**kwargs: object) -> None:
        raise ConnectionError("the database is down")

    monkeypatch.setattr(mail_tasks, "enqueue_email", database_down)
    outbox = Outbox()
    with caplog.at_level(logging.WARNING, logger="common.mail"):
        outbox.send_later(reset_like_email, email=TO, site_url="s")
        outbox.wait_until_empty()
    assert [m.to for m in mail.outbox] == [[TO]]
    assert "sending it from this process" in caplog.text
