"""MAIL_QUEUE=tasks: emails stored as jobs, sent by `manage.py db_worker`, retried, never lost."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import OperationalError, transaction
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


# --- where the row is written: on commit, on the writer thread ----------------------------


def test_a_job_is_stored_when_its_transaction_commits_and_never_on_rollback() -> None:
    outbox = Outbox()
    with transaction.atomic():
        outbox.send_later(reset_like_email, email=TO, site_url="s")
        assert not DBTaskResult.objects.exists()  # not before the commit
    assert DBTaskResult.objects.count() == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.send_later(reset_like_email, email="other@example.com", site_url="s")
        raise RuntimeError("the request failed")
    assert DBTaskResult.objects.count() == 1  # the rolled back request stored nothing


def test_on_an_event_loop_the_writer_thread_stores_the_job(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """FastAPI's views run on the loop, where the ORM refuses to run: the row is written apart."""
    outbox = Outbox()

    async def view() -> bool:
        return outbox.send_later(reset_like_email, email=TO, site_url="s")

    with caplog.at_level(logging.WARNING, logger="common.mail"):
        assert asyncio.run(view())
        assert outbox.wait_until_empty(timeout=10)
    (job,) = DBTaskResult.objects.all()
    assert job.args_kwargs["args"][1] == {"email": TO, "site_url": "s"}
    assert caplog.text == ""  # stored, not sent from the process as a fallback
    assert mail.outbox == []


def test_waiting_for_the_writer_is_bounded() -> None:
    outbox = Outbox(threads=1)
    release = threading.Event()

    def stuck() -> None:
        release.wait(10)

    outbox.send_later(stuck)
    assert not outbox.wait_until_empty(timeout=0.1)
    release.set()
    assert outbox.wait_until_empty(timeout=10)


# --- a worker that dies or is stopped mid-send ---------------------------------------------


def _running_job(*, started_s_ago: float, attempt: int = 1) -> DBTaskResult:
    mail_tasks.send_email.enqueue(f"{__name__}.reset_like_email", {"email": TO, "site_url": "s"},
                                  attempt)
    row = DBTaskResult.objects.get(status="READY")
    row.claim("dead-worker")
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(seconds=started_s_ago)
    )
    return row


def test_a_job_a_dead_worker_left_is_taken_back_after_the_lease(settings: SettingsWrapper) -> None:
    settings.MAIL_JOB_LEASE = 60
    lost = _running_job(started_s_ago=61)
    assert mail_tasks.reclaim_lost_jobs() == 1
    lost.refresh_from_db()
    assert (lost.status, lost.exception_class_path) == ("FAILED", mail_tasks.LOST_WORKER)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"][2] == 2  # its next attempt
    assert mail_tasks.reclaim_lost_jobs() == 0  # once
    work()
    assert [m.to for m in mail.outbox] == [[TO]]


def test_a_job_within_its_lease_is_left_to_its_worker(settings: SettingsWrapper) -> None:
    settings.MAIL_JOB_LEASE = 60
    _running_job(started_s_ago=30)
    assert mail_tasks.reclaim_lost_jobs() == 0
    assert DBTaskResult.objects.get().status == "RUNNING"


def test_a_job_lost_on_its_last_attempt_stays_failed(
    settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    settings.MAIL_JOB_LEASE = 60
    _running_job(started_s_ago=61, attempt=mail_tasks.MAX_ATTEMPTS)
    with caplog.at_level(logging.ERROR, logger="common.mail_tasks"):
        assert mail_tasks.reclaim_lost_jobs() == 0
    assert DBTaskResult.objects.get().status == "FAILED"
    assert "given up" in caplog.text


def interrupted_email(*, email: str, site_url: str) -> EmailMessage:
    raise KeyboardInterrupt  # the worker's second Ctrl+C or SIGTERM lands mid-send


def test_a_worker_stopped_mid_send_stores_the_email_again() -> None:
    kwargs = {"email": TO, "site_url": "s"}
    with pytest.raises(KeyboardInterrupt):
        mail_tasks.send_email.call(f"{__name__}.interrupted_email", kwargs, 3)
    (again,) = DBTaskResult.objects.filter(status="READY")
    assert again.args_kwargs["args"] == [f"{__name__}.interrupted_email", kwargs, 3]


# --- what an operator sees ------------------------------------------------------------------


def test_failed_mail_lists_the_given_up_jobs_and_retries_them_once(
    settings: SettingsWrapper,
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 1
    kwargs = {"email": TO, "site_url": "s"}
    mail_tasks.send_email.enqueue(f"{__name__}.reset_like_email", kwargs, mail_tasks.MAX_ATTEMPTS)
    work()
    listing = StringIO()
    call_command("failed_mail", stdout=listing)
    assert f"attempt {mail_tasks.MAX_ATTEMPTS}  {__name__}.reset_like_email" in listing.getvalue()
    assert "ConnectionRefusedError" in listing.getvalue()
    assert TO not in listing.getvalue()  # never the address
    assert "1 email job(s) failed" in listing.getvalue()

    call_command("failed_mail", "--retry", stdout=StringIO())
    work()
    assert [m.to for m in mail.outbox] == [[TO]]
    listing = StringIO()
    call_command("failed_mail", "--retry", stdout=listing)
    assert "0 email job(s) stored again" in listing.getvalue()


def test_a_request_whose_database_is_down_still_gets_its_202(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`on_commit` needs a connection; refused, the writer thread takes the job over."""

    def refused(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(transaction, "on_commit", refused)
    outbox = Outbox()
    assert outbox.send_later(reset_like_email, email=TO, site_url="s")
    assert outbox.wait_until_empty(timeout=10)
    assert DBTaskResult.objects.count() == 1  # the database answered the writer thread


def test_with_mail_queue_outbox_the_process_sends_and_stores_nothing(
    settings: SettingsWrapper,
) -> None:
    settings.MAIL_QUEUE = "outbox"
    outbox = Outbox()
    assert outbox.send_later(reset_like_email, email=TO, site_url="s")
    assert outbox.wait_until_empty(timeout=10)
    assert [m.to for m in mail.outbox] == [[TO]]
    assert not DBTaskResult.objects.exists()
