"""The outbox: one small, bounded sender for email, shared by the three APIs.

    from common.mail import outbox
    outbox.send_later(password_reset_email, email=email, site_url=site_url)  # False: dropped

A request never talks to a mail server. It puts a job in this process's
outbox (a bounded `queue.Queue`) and answers; `SENDER_THREADS` daemon
threads, started on first use, take the jobs one at a time. A job is a
*compose* function and its arguments: the sender calls it (it may query the
database: a lookup, a token), gives the thread's database connections back,
then sends the `EmailMessage` it returned (None: nothing to send). The three
frameworks call `send_later` the same way, from their views.

Why not each framework's own after-response hook (FastAPI's BackgroundTasks,
Flask's `call_on_close`, a thread pool for DRF)? Those run on threads the
requests need: FastAPI's database executor, a2wsgi's threads for Flask. A
mail server that greets after 5 s then held those threads, and the pooled
database connection the job had opened, for every other request of every
prefix (measured: 2 to 4.6 s, or 503). Here:

- the waiting happens on threads no request uses;
- the database connection a compose function opened goes back (to the
  pool) before the mail server is contacted, whatever happened;
- a mail server that stalls can hold at most `SENDER_THREADS` connections,
  each for at most settings.EMAIL_TIMEOUT per SMTP operation (Django's SMTP
  backend reads that setting);
- the queue holds at most `OUTBOX_SIZE` jobs. When it is full the job is
  dropped, with a WARNING, instead of piling up in memory: the reset
  endpoint is rate limited per address and per IP, so a full outbox means
  the mail server is down, and the person can ask again later.

Durable jobs: with settings.MAIL_QUEUE = "tasks", a job is not sent from
this process but stored as a database row (Django's Tasks API, ORM backend:
`common.mail_tasks`), and `manage.py db_worker`, a process beside the
server, sends it, with retries and backoff. The sender threads then only
write that row, off the request path (an async view cannot touch the ORM);
a row that cannot be written (the database is down) is sent from here
instead, so nothing is dropped silently. With the default "outbox", jobs
still queued when the process stops are lost (they are reset emails: the
person asks again); "tasks" needs a running `db_worker`.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from common.db import release_connections

logger = logging.getLogger(__name__)

# Jobs waiting at most; beyond that a job is dropped (and logged).
OUTBOX_SIZE = 100
# Threads that send: the most connections a stalled mail server can hold.
SENDER_THREADS = 2

# MAIL_QUEUE: send from this process, or store durable jobs for `db_worker`.
MAIL_QUEUE_OUTBOX = "outbox"
MAIL_QUEUE_TASKS = "tasks"

Compose = Callable[[], EmailMessage | None]
Job = Callable[[], object]


class Outbox:
    """A bounded queue of jobs and the daemon threads that run them, started lazily."""

    def __init__(self, *, size: int = OUTBOX_SIZE, threads: int = SENDER_THREADS) -> None:
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=size)
        self._thread_count = threads
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def send_later(
        self, compose: Callable[..., EmailMessage | None], /, *args: Any, **kwargs: Any
    ) -> bool:
        """Queue `compose(*args, **kwargs)` and the sending of its email; False when dropped.

        Never blocks and never raises: it is called on the request path.
        The log line names the job, never its arguments (an email address).
        With MAIL_QUEUE "tasks", a job called with keyword arguments only, by
        a function importable by its name, is stored for `db_worker` instead.
        """
        self._start()
        composed = functools.partial(compose, *args, **kwargs)
        path = _importable_path(compose)
        job: Job
        if settings.MAIL_QUEUE == MAIL_QUEUE_TASKS and path is not None and not args:
            job = functools.partial(store_job, path, kwargs, composed)
        else:
            job = functools.partial(send_composed, composed)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            logger.warning(
                "mail outbox full (%d waiting): dropped %s",
                self._queue.qsize(), getattr(compose, "__name__", "an email"),
            )
            return False
        return True

    def wait_until_empty(self) -> None:
        """Block until every queued job has run (tests; a graceful shutdown)."""
        self._queue.join()

    def _start(self) -> None:
        if len(self._threads) == self._thread_count:
            return
        with self._start_lock:
            while len(self._threads) < self._thread_count:
                thread = threading.Thread(
                    target=self._run, name=f"mail-sender-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            finally:
                self._queue.task_done()


def _importable_path(function: Callable[..., object]) -> str | None:
    """`module.name` if importing it gives `function` back (a job row stores the name)."""
    path = f"{function.__module__}.{function.__qualname__}"
    try:
        return path if import_string(path) is function else None
    except ImportError:
        return None


def store_job(compose_path: str, kwargs: dict[str, Any], composed: Compose) -> bool:
    """Store the job for `db_worker`; True when stored.

    A job that cannot be stored (the database is down, an argument is not
    JSON) is sent from this process instead, with a WARNING: late, or not
    durable, but never dropped silently.
    """
    from common.mail_tasks import enqueue_email  # needs the apps: imported when used

    try:
        enqueue_email(compose_path=compose_path, kwargs=kwargs)
    except Exception:
        logger.warning(
            "mail outbox: could not store %s as a job; sending it from this process",
            compose_path, exc_info=True,
        )
        send_composed(composed)
        return False
    finally:
        release_connections()
    return True


def send_composed(compose: Compose) -> bool:
    """Compose, give the database connections back, send; True when an email went out.

    Every failure is logged and swallowed: the response has gone, nobody
    else would see it. Django's SMTP backend gives up on a server after
    settings.EMAIL_TIMEOUT seconds per operation.
    """
    try:
        message = compose()
    except Exception:
        logger.exception("mail outbox: the email could not be composed")
        return False
    finally:
        release_connections()  # Django's request signals never fire on this thread
    if message is None:
        return False
    try:
        message.send()
    except Exception:
        logger.exception("mail outbox: the email could not be sent")
        return False
    return True


# The process's one outbox (each uvicorn worker process has its own).
outbox = Outbox()
