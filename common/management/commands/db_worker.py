"""`manage.py db_worker`: django_tasks_db's worker, which also takes back jobs a dead worker left.

    python manage.py db_worker           # works jobs until stopped (SIGTERM: after the one in hand)
    python manage.py db_worker --batch   # works what is due, then exits

The worker is django_tasks_db's own, with every option it has. One thing
is added: a thread that, every `RECLAIM_EVERY_S` seconds, ends the email
jobs whose worker died mid-send (killed, crashed: their rows stay RUNNING)
and stores their next attempt (`common.mail_tasks.reclaim_lost_jobs`,
settings.MAIL_JOB_LEASE). Without it such an email would never be sent.

Which `db_worker` wins: Django takes a command from the first app in
INSTALLED_APPS that defines it; `common` is listed before django_tasks_db
(config/settings.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from common.db import release_connections
from common.mail_tasks import reclaim_lost_jobs

logger = logging.getLogger("common.mail_tasks")

# Seconds between looks for lost jobs (a look is one indexed query).
RECLAIM_EVERY_S = 5.0


class Command(db_worker.Command):
    help = "Run a database background worker (and take back mail jobs a dead worker left)"

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"]:
            reclaim_once()  # before the jobs that are due are worked
        # With --reload the parent only watches files; the child works the jobs.
        elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            threading.Thread(target=_reclaim_loop, name="mail-reclaim", daemon=True).start()
        super().handle(*args, **options)


def reclaim_once() -> None:
    """Take back the lost mail jobs; a database that is away is tried at the next look."""
    try:
        reclaim_lost_jobs()
    except Exception:
        logger.warning("could not look for lost mail jobs", exc_info=True)
    finally:
        release_connections()


def _reclaim_loop() -> None:
    while True:
        reclaim_once()
        time.sleep(RECLAIM_EVERY_S)
