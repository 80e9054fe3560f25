"""Work that runs after a response, for the framework that has no hook for it.

    run_in_background(password_reset_deliver, email=email, site_url=site_url)

FastAPI has BackgroundTasks and Flask has `response.call_on_close`; Django
(and so DRF) has no public "after the response" hook. This module is the
smallest honest substitute: a thread pool of `MAX_WORKERS` threads. The view
submits and answers at once; the work runs beside it.

Why a pool and not a thread per call: a burst of requests queues here
instead of starting a thread each (the callers are rate limited, so the
queue stays short). Every job gives its database connections back when it
ends, as the mounted apps do (`common.db.release_connections`): Django's
request signals never fire on these threads. Failures are logged: the
response has gone, nobody else would see them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from common.db import release_connections

logger = logging.getLogger(__name__)

MAX_WORKERS = 2

_executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="background")


def _run_then_release(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except Exception:
        logger.exception("background job %s failed", getattr(func, "__name__", func))
        return None
    finally:
        release_connections()


def run_in_background(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Run `func(*args, **kwargs)` on a pool thread; returns its Future (tests may wait)."""
    return _executor.submit(functools.partial(_run_then_release, func, *args, **kwargs))
