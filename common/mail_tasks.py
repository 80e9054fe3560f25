"""Email as durable jobs: Django's Tasks API (the `django-tasks` backport), ORM backend.

    enqueue_email(compose_path="accounts.password_reset.password_reset_email",
                  kwargs={"email": "alice@example.com", "site_url": "https://books.example.org"})

With settings.MAIL_QUEUE = "tasks", `common.mail.outbox` hands each job to
this module instead of sending it itself: the job becomes a row of
`django_tasks_db` in the project's own database (SQLite or PostgreSQL), so
it outlives the process that accepted the request, and `manage.py
db_worker` (a process beside the server) composes and sends it.

A job is the dotted path of a *compose* function and its keyword arguments
(JSON: the row stores them). The worker calls the function (a lookup, a
token), then sends the `EmailMessage` it returned (None: nothing to send).

Failures are retried, then recorded, never dropped silently: a send that
raises schedules a new job for the same email after a backoff (`BACKOFF_SECONDS`
doubled per attempt, `run_after`), with a WARNING; the `MAX_ATTEMPTS`th
failure is logged as an ERROR and raised, so its row ends FAILED with the
traceback, where an operator (or the admin) sees it. Composing is retried
the same way: a database that is briefly down must not lose the email.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

logger = logging.getLogger(__name__)

# Attempts per email, the first included; then the job's row stays FAILED.
MAX_ATTEMPTS = 5
# Wait before the second attempt; doubled for each one after (30 s, 1 min, 2, 4 min).
BACKOFF_SECONDS = 30


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** (attempt - 1))


@task()
def send_email(compose_path: str, kwargs: dict[str, Any], attempt: int = 1) -> bool:
    """Compose and send one email; True when it went out, False when there was none to send.

    :raise Exception: the last attempt's error (the job's row ends FAILED).
    """
    try:
        compose = import_string(compose_path)
        message = compose(**kwargs)
        if message is None:
            return False
        message.send()
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
        send_email.using(run_after=timezone.now() + wait).enqueue(
            compose_path, kwargs, attempt + 1
        )
        return False
    return True


def enqueue_email(*, compose_path: str, kwargs: dict[str, Any]) -> None:
    """Store one email job (a database row). Raises the database's errors."""
    send_email.enqueue(compose_path, kwargs)
