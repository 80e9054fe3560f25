"""Email off the request path, shared by the three APIs: `send_later` stores or queues it.

    from common.mail import outbox
    outbox.send_later(password_reset_email, email=email, site_url=site_url)

A request never talks to a mail server. A job is a *compose* function and
its arguments: whoever runs it calls the function (a lookup, a token), then
sends the `EmailMessage` it returned (None: nothing to send). Where the job
waits is settings.MAIL_QUEUE (docs/mail.md):

- "tasks" (the default): a row in the project's database (Django's Tasks
  API, ORM backend: `common.mail_tasks`), sent by `manage.py db_worker`, a
  process beside the server, retried with backoff, kept across restarts of
  either. On a thread (DRF, Flask) the row is written at once, through
  `transaction.on_commit`: inside a transaction it is written only once that
  commits (a job never names rows a rollback took back), and the 202 goes
  out after the row is stored. On an event loop (FastAPI), where the ORM may
  not run, the row is handed to this module's writer thread, which stores
  it a moment later; at exit the process waits (up to `DRAIN_SECONDS`) for
  the rows still in hand. A row that cannot be stored (the database is
  down) is sent from this process instead, with a WARNING: late, or not
  durable, never dropped silently.
- "outbox": this process sends, on `SENDER_THREADS` daemon threads, from a
  queue of at most `OUTBOX_SIZE` jobs; beyond that a job is dropped with a
  WARNING, and jobs still queued when the process stops are lost. No worker
  to run: for development without one, or a single small process.

Why not each framework's own after-response hook (FastAPI's BackgroundTasks,
Flask's `call_on_close`, a thread pool for DRF)? Those run on threads the
requests need: FastAPI's database executor, a2wsgi's threads for Flask. A
mail server that greets after 5 s then held those threads, and the pooled
database connection the job had opened, for every other request of every
prefix (measured: 2 to 4.6 s, or 503). Here the waiting happens in the
worker (or on threads no request uses), and a compose function's database
connection goes back before the mail server is contacted.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.module_loading import import_string

from common.db import release_connections

logger = logging.getLogger(__name__)

# MAIL_QUEUE "outbox": sends waiting at most; beyond that a job is dropped (and logged).
OUTBOX_SIZE = 100
# MAIL_QUEUE "tasks": rows waiting for the writer thread at most. It only
# falls behind while the database does not answer.
STORE_BACKLOG = 10_000
# Threads that send or store: the most connections a stalled mail server can hold.
SENDER_THREADS = 2
# At exit, seconds to wait for the jobs still in this process's hands.
DRAIN_SECONDS = 5.0

# MAIL_QUEUE: store durable jobs for `db_worker`, or send from this process.
MAIL_QUEUE_TASKS = "tasks"
MAIL_QUEUE_OUTBOX = "outbox"

Compose = Callable[[], EmailMessage | None]
Job = Callable[[], object]


class Outbox:
    """Takes email jobs off the request path: stores them as rows, or queues them for threads."""

    def __init__(self, *, size: int = OUTBOX_SIZE, threads: int = SENDER_THREADS) -> None:
        self._queue: queue.Queue[Job] = queue.Queue()
        self._size = size
        self._thread_count = threads
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def send_later(
        self, compose: Callable[..., EmailMessage | None], /, *args: Any, **kwargs: Any
    ) -> bool:
        """Store (or queue) `compose(*args, **kwargs)` and the sending of its email; False: dropped.

        Never raises: it is called on the request path. The log line names the
        job, never its arguments (an email address). With MAIL_QUEUE "tasks",
        a job called with keyword arguments only, by a function importable by
        its name, becomes a row for `db_worker`; any other is sent from here.
        """
        composed = functools.partial(compose, *args, **kwargs)
        name = getattr(compose, "__name__", "an email")
        path = _importable_path(compose)
        if settings.MAIL_QUEUE == MAIL_QUEUE_TASKS and path is not None and not args:
            if _on_event_loop():  # the ORM may not run here: the writer thread stores it
                return self._put(functools.partial(store_job, path, kwargs, composed),
                                 name, STORE_BACKLOG)
            store = functools.partial(self._store_or_hand_over, path, kwargs, composed)
            try:
                # At once outside a transaction; inside one, once it commits (never on rollback).
                transaction.on_commit(store)
            except Exception:  # no database connection to ask: the writer thread tries later
                return self._put(functools.partial(store_job, path, kwargs, composed),
                                 name, STORE_BACKLOG)
            return True
        return self._put(functools.partial(send_composed, composed), name, self._size)

    def wait_until_empty(self, timeout: float | None = None) -> bool:
        """Block until every job in hand has run, at most `timeout` s; False if some had not."""
        done = self._queue.all_tasks_done
        with done:
            return done.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def _store_or_hand_over(self, path: str, kwargs: dict[str, Any], composed: Compose) -> None:
        """Store the row on this thread (a request's); if that fails, the writer thread retries."""
        from common.mail_tasks import enqueue_email  # needs the apps: imported when used

        try:
            enqueue_email(compose_path=path, kwargs=kwargs)
        except Exception:
            logger.warning("mail: could not store %s; handing it to the writer thread",
                           path, exc_info=True)
            self._put(functools.partial(store_job, path, kwargs, composed), path, STORE_BACKLOG)

    def _put(self, job: Job, name: str, limit: int) -> bool:
        self._start()
        if self._queue.qsize() >= limit:
            logger.warning("mail outbox full (%d waiting): dropped %s", self._queue.qsize(), name)
            return False
        self._queue.put_nowait(job)
        return True

    def _start(self) -> None:
        if len(self._threads) == self._thread_count:
            return
        with self._start_lock:
            if not self._threads:
                atexit.register(self.wait_until_empty, DRAIN_SECONDS)
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
            except Exception:
                logger.exception("mail: a job failed")
            finally:
                self._queue.task_done()


def _on_event_loop() -> bool:
    """True on a thread running an asyncio loop (FastAPI's), where the ORM may not run."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _importable_path(function: Callable[..., object]) -> str | None:
    """`module.name` if importing it gives `function` back (a job row stores the name)."""
    path = f"{function.__module__}.{function.__qualname__}"
    try:
        return path if import_string(path) is function else None
    except ImportError:
        return None


def store_job(compose_path: str, kwargs: dict[str, Any], composed: Compose) -> bool:
    """Store the job for `db_worker` (on the writer thread); True when stored.

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
