"""Email as durable jobs: Django's Tasks API (the `django-tasks` backport), ORM backend.

    enqueue_email(compose_path="accounts.password_reset.password_reset_email",
                  kwargs={"email": "alice@example.com", "site_url": "https://books.example.org"})

With settings.MAIL_QUEUE = "tasks" (the default), `common.mail.outbox`
hands each job to this module instead of sending it itself: the job becomes
a row of `django_tasks_db` in the project's own database (SQLite or
PostgreSQL), so it outlives the process that accepted the request, and
`manage.py db_worker` (a process beside the server) composes and sends it.

A job is the dotted path of a *compose* function and its keyword arguments
(JSON: the row stores them). The worker calls the function (a lookup, a
token), then sends the `EmailMessage` it returned (None: nothing to send).

Failures are retried, then recorded, never dropped silently: a send that
raises schedules a new job for the same email after a backoff (`backoff`:
settings.MAIL_RETRY_BACKOFF, doubled per attempt; the row's `run_after`),
with a WARNING; the `MAX_ATTEMPTS`th failure is logged as an ERROR and
raised, so its row ends FAILED with the traceback, where an operator sees
it (`manage.py failed_mail`, the admin). Composing is retried the same way:
a database that is briefly down must not lose the email.

A worker that is stopped mid-send (SIGTERM twice, Ctrl+C) puts the email
back as a new job before it exits. One that dies (SIGKILL, a crash, the
machine) leaves its row RUNNING: `reclaim_lost_jobs`, which every
`db_worker` runs every few seconds (common/management/commands/db_worker.py),
ends such a row as FAILED once it is older than settings.MAIL_JOB_LEASE and
stores the next attempt. An email can so go out twice (its worker died
after the server took it, before the row said so), never zero times.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# Attempts per email, the first included; then the job's row stays FAILED.
MAX_ATTEMPTS = 5


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based).

    settings.MAIL_RETRY_BACKOFF (30 s) after the first, doubled for each one
    after (1, 2, 4 min).
    """
    return timedelta(seconds=settings.MAIL_RETRY_BACKOFF * 2 ** (attempt - 1))


@task()
def send_email(compose_path: str, kwargs: dict[str, Any], attempt: int = 1) -> bool:
    """Compose and send one email; True when done (sent, or nothing to send), False: retried later.

    :raise Exception: the last attempt's error (the job's row ends FAILED).
    """
    try:
        _compose_and_send(compose_path, kwargs)
    except (KeyboardInterrupt, SystemExit):
        # The worker is being stopped mid-send: the email waits for the next one.
        logger.warning("mail job %s interrupted (attempt %d): stored again", compose_path, attempt)
        _enqueue(compose_path, kwargs, attempt, wait=None)
        raise
    except Exception:
        if attempt >= MAX_ATTEMPTS:
            logger.exception(
                "mail job %s failed %d times: given up (its row stays FAILED)",
                compose_path, attempt,
            )
            raise
        wait = backoff(attempt)
        logger.warning(
            "mail job %s failed (attempt %d of %d): retried in %d s",
            compose_path, attempt, MAX_ATTEMPTS, wait.total_seconds(), exc_info=True,
        )
        _enqueue(compose_path, kwargs, attempt + 1, wait=wait)
        return False
    return True


def _compose_and_send(compose_path: str, kwargs: dict[str, Any]) -> None:
    """Call the compose function, send what it returns (None: nothing to send)."""
    compose = import_string(compose_path)
    message = compose(**kwargs)
    if message is not None:
        message.send()


def _enqueue(
    compose_path: str, kwargs: dict[str, Any], attempt: int, *, wait: timedelta | None
) -> None:
    job = send_email if wait is None else send_email.using(run_after=timezone.now() + wait)
    job.enqueue(compose_path, kwargs, attempt)


def enqueue_email(*, compose_path: str, kwargs: dict[str, Any]) -> None:
    """Store one email job (a database row). Raises the database's errors."""
    send_email.enqueue(compose_path, kwargs)


# The row of every job of this module: what the worker and the commands look for.
TASK_PATH = f"{__name__}.send_email"
# What a reclaimed row records as its failure.
LOST_WORKER = f"{__name__}.WorkerLost"


def mail_jobs() -> Any:
    """Every email job's row (a DBTaskResult queryset), newest first."""
    return DBTaskResult.objects.filter(task_path=TASK_PATH).order_by("-enqueued_at")


def reclaim_lost_jobs(*, lease: float | None = None) -> int:
    """End the mail jobs a dead worker left RUNNING, and store their next attempt; how many.

    A row RUNNING for longer than `lease` seconds (settings.MAIL_JOB_LEASE)
    has no live worker: a send gives up well before. It ends FAILED (a
    `WorkerLost` with no traceback to show) and the email gets a new job,
    its next attempt, unless that was the last one. The row is changed only
    if it is still RUNNING, so two workers reclaiming at once store one job.
    """
    lease = settings.MAIL_JOB_LEASE if lease is None else lease
    cutoff = timezone.now() - timedelta(seconds=lease)
    reclaimed = 0
    for row in mail_jobs().filter(status="RUNNING", started_at__lt=cutoff):
        ended = DBTaskResult.objects.filter(pk=row.pk, status="RUNNING").update(
            status="FAILED", finished_at=timezone.now(), exception_class_path=LOST_WORKER,
            traceback=f"its worker ({', '.join(row.worker_ids)}) stopped answering "
                      f"within {lease:.0f} s",
        )
        if not ended:
            continue
        compose_path, kwargs, *rest = row.args_kwargs["args"]
        attempt = rest[0] if rest else 1
        if attempt >= MAX_ATTEMPTS:
            logger.error("mail job %s lost its worker on its last attempt: given up", compose_path)
            continue
        logger.warning("mail job %s lost its worker (attempt %d): stored again",
                       compose_path, attempt)
        _enqueue(compose_path, kwargs, attempt + 1, wait=None)
        reclaimed += 1
    return reclaimed
