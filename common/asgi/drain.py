"""Draining before exit: SIGTERM first fails readiness, the process exits a little later.

uvicorn, on SIGTERM, closes its listening socket at once and finishes what
is in flight. Behind a load balancer that still routes to the process, every
request sent in between is refused. So the edge, at lifespan startup, puts
its own handler in front of uvicorn's:

    SIGTERM  ->  /ready and {p}/health answer 503 "draining"; everything
                 else is served as before, kept-alive connections included
             ->  SHUTDOWN_DRAIN_SECONDS later, uvicorn's own handler: the
                 listener closes (nginx's next connection is refused and goes
                 to the other process), requests in flight finish within
                 --timeout-graceful-shutdown, and an idle connection is kept
                 SHUTDOWN_GRACE_S more for a request already on its way
                 (common/asgi/http_protocol.py), then the process exits

Keeping connections alive through the drain matters: with `Connection:
close` on every answer (as before 2026-12-07) nginx opened a connection per
request to the stopping process, and one still waiting to be accepted when
the listener closed was reset with its POST (CI: a 503 in one rolling
restart out of three).

A second SIGTERM during the drain goes to uvicorn at once. With
SHUTDOWN_DRAIN_SECONDS=0 (the default: a developer's server stops at once)
nothing is installed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)


class Drain:
    """Whether this process is draining, and the SIGTERM handler that starts it."""

    def __init__(self) -> None:
        self.active = False

    def install(self, seconds: float) -> None:
        """Put the drain in front of the current SIGTERM handler (uvicorn's), on the loop."""
        if seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return  # signals belong to the main thread (a test client runs lifespan elsewhere)
        loop = asyncio.get_running_loop()
        exit_now: Any = signal.getsignal(signal.SIGTERM)
        if not callable(exit_now):
            return  # not under a server that handles SIGTERM itself

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.active:  # asked twice: stop waiting
                exit_now(signum, frame)
                return
            self.active = True
            logger.warning("SIGTERM: draining for %s s before shutting down", seconds)
            loop.call_soon_threadsafe(loop.call_later, seconds, exit_now, signum, None)

        signal.signal(signal.SIGTERM, on_sigterm)


# One per process: the edge installs it, readiness reads it.
drain = Drain()
