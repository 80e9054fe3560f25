"""`manage.py failed_mail`: the email jobs that gave up, and a way to send them again.

    python manage.py failed_mail                 # one line per failed job, newest first
    python manage.py failed_mail --retry         # store each again as a new first attempt

A job ends FAILED after its last attempt (common.mail_tasks.MAX_ATTEMPTS)
or when its worker died on that attempt. The line shows the job's id (the
admin's "Task results" page has the rest, traceback included), when it
ended, its attempt, what it was composing and the error's class; never the
address it was for. `--retry` marks each listed row as retried (its
`return_value`), so a second `--retry` does not send it twice.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from common import mail_tasks

RETRIED = "retried"


class Command(BaseCommand):
    help = "List the email jobs that gave up (and, with --retry, store them again)"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--retry", action="store_true",
                            help="store each failed job again, as a first attempt")
        parser.add_argument("--limit", type=int, default=100, help="at most this many jobs")

    def handle(self, *args: Any, retry: bool, limit: int, **options: Any) -> None:
        failed = mail_tasks.mail_jobs().filter(status="FAILED").exclude(return_value=RETRIED)
        rows = list(failed[:limit])
        for row in rows:
            compose_path, kwargs, *rest = row.args_kwargs["args"]
            attempt = rest[0] if rest else 1
            error = row.exception_class_path.rsplit(".", 1)[-1]
            self.stdout.write(
                f"{row.id}  {row.finished_at:%Y-%m-%d %H:%M:%S}  attempt {attempt}  "
                f"{compose_path}  {error}"
            )
            if retry:
                mail_tasks.enqueue_email(compose_path=compose_path, kwargs=kwargs)
                type(row).objects.filter(pk=row.pk).update(return_value=RETRIED)
        verb = "stored again" if retry else "failed"
        self.stdout.write(f"{len(rows)} email job(s) {verb}")
