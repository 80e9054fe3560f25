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

What it does not do: survive the process. Jobs still queued when the
process stops are lost (they are reset emails: the person asks again). A
deployment that must never lose a message wants a real task queue.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMessage

from common.db import release_connections

logger = logging.getLogger(__name__)

# Jobs waiting at most; beyond that a job is dropped (and logged).
OUTBOX_SIZE = 100
# Threads that send: the most connections a stalled mail server can hold.
SENDER_THREADS = 2

Compose = Callable[[], EmailMessage | None]


class Outbox:
    """A bounded queue of jobs and the daemon threads that run them, started lazily."""

    def __init__(self, *, size: int = OUTBOX_SIZE, threads: int = SENDER_THREADS) -> None:
        self._queue: queue.Queue[Compose] = queue.Queue(maxsize=size)
        self._thread_count = threads
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def send_later(
        self, compose: Callable[..., EmailMessage | None], /, *args: Any, **kwargs: Any
    ) -> bool:
        """Queue `compose(*args, **kwargs)` and the sending of its email; False when dropped.

        Never blocks and never raises: it is called on the request path.
        The log line names the job, never its arguments (an email address).
        """
        self._start()
        try:
            self._queue.put_nowait(functools.partial(compose, *args, **kwargs))
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
            compose = self._queue.get()
            try:
                send_composed(compose)
            finally:
                self._queue.task_done()


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
