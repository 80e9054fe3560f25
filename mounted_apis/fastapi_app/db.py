"""The Django ORM from async FastAPI code: one worker-thread hop per domain call.

    book = await run_db(books_selectors.book_get, book_id=3)

The problem. The ORM is synchronous and its connections are per thread.
Called on the event loop it raises SynchronousOnlyOperation; called in a
worker thread it opens (or borrows from the psycopg pool) a connection that
belongs to that thread. Django gives connections back from its
request_started / request_finished signals, and a mounted ASGI app never
fires them: nothing returns a thread's connection unless we do.

The choice, among five ways measured with benchmarks/fastapi_db_strategies.py
(the numbers: docs/measurements.md): (a) `sync_to_async(thread_sensitive=True)`
funnels every ORM call of the process through ONE shared thread, so a slow
query stalls all of them; (c) a plain `def` route leaks, each threadpool
thread keeping a pooled connection checked out (no request signal ever
closes it) until requests fail with PoolTimeout; (b)
`sync_to_async(thread_sensitive=False)` with a close after each call is
correct but bounded by asyncio's default executor.

So `run_db` is (b) without its bound, still with asgiref's `sync_to_async`,
the tool Django's own async code uses:

- `thread_sensitive=False`, so calls run side by side instead of in line
  for one shared thread;
- its own executor with as many threads as the pool has connections
  (DB_POOL_MAX_SIZE): that is the bound. No more DB calls run at once than
  there are connections; the others wait in the executor's queue, on the
  event loop's side, rather than inside the pool with a timeout (what an
  anyio CapacityLimiter of the pool's size did, measured as (b3));
- the thread's connection goes back to the pool in a `finally`, success or
  error (`common.db.release_connections`).

Rules for callers:
- Call each domain service once, as a whole: its transaction lives and
  ends inside the one thread (never a transaction spanning an `await`).
- Anything that touches the cache (django-redis is synchronous too) also
  goes through a worker thread: `run_sync` for cache-only work. It holds no
  connection, so it is not bounded by the pool: it uses Starlette's own
  thread pool (anyio's, 40 threads), as `def` endpoints do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from asgiref.sync import sync_to_async

from common.db import pool_max_size, release_connections

P = ParamSpec("P")
T = TypeVar("T")


@functools.cache
def db_executor() -> ThreadPoolExecutor:
    """The threads ORM calls run on: one per pooled connection (built on first use).

    Not tied to an event loop (tests start one per TestClient), so one per
    process is enough.
    """
    return ThreadPoolExecutor(max_workers=pool_max_size(), thread_name_prefix="run_db")


def _call_then_release(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return func(*args, **kwargs)
    finally:
        release_connections()


async def run_db(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func` (sync, may use the ORM) in a worker thread; free its connection after.

    At most `pool_max_size()` such calls run at once; the others wait here.
    """
    call = sync_to_async(_call_then_release, thread_sensitive=False, executor=db_executor())
    return await call(func, *args, **kwargs)


async def run_sync(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work that should not need the database (a cache round trip).

    Not limited by the pool, but it still releases any connection the call
    happened to open (a lockout row, a fallback read), so nothing leaks.
    """
    call = functools.partial(_call_then_release, func, *args, **kwargs)
    return await anyio.to_thread.run_sync(call)
