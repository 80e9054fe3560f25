"""The Django ORM from async FastAPI code: one worker-thread hop per domain call.

    book = await run_db(books_selectors.book_get, book_id=3)

The problem. The ORM is synchronous and its connections are per thread.
Called on the event loop it raises SynchronousOnlyOperation; called in a
worker thread it opens (or borrows from the psycopg pool) a connection that
belongs to that thread. Django gives connections back from its
request_started / request_finished signals, and a mounted ASGI app never
fires them: nothing returns a thread's connection unless we do.

The choice, measured with benchmarks/fastapi_db_strategies.py (PostgreSQL,
a 20-row page of a 500-row table, one uvicorn worker on 2 vCPUs,
`wrk -t1 -c32 -d8s`, psycopg pool min 2 / max 10, CONN_MAX_AGE=0):

    strategy                                        fast query          5 ms query
                                                    req/s  max conns    req/s  max conns
    (a)  sync_to_async(thread_sensitive=True)        2335      3         177      3
    (b)  sync_to_async(thread_sensitive=False)
         + close after each call                     2034      6        1064      6
    (b2) run_db: anyio thread + close + limiter      1965     10        1385     10
    (c)  plain `def` route, never closed             1721     10 *      1201     10 *
    (c2) plain `def` route + close                   1386     10        1006     10

    * and 66 requests failing with PoolTimeout: 30 of the threadpool's 40
      threads wait for a pooled connection that the other 10 never give back.

(a) funnels every ORM call of the process through ONE shared thread: the
fastest while every query is instant, but with a 5 ms query it collapses to
177 req/s (one query at a time), and that thread keeps its connection for
good. (c) leaks: each threadpool thread keeps a pooled connection checked out
(Django never closes it, no request signal), so requests beyond the pool's
size wait DB_POOL_TIMEOUT and fail, and Django's side of the process, which
shares the pool, starves. (b) is correct but bounded by asyncio's default
executor (6 threads here).

So `run_db` is (b) done carefully: the call runs in a worker thread
(anyio.to_thread, the machinery of starlette's run_in_threadpool), its
connection goes back to the pool in a `finally` (success or error), and a
CapacityLimiter sized to the pool's max_size admits no more concurrent DB
calls than there are connections, so callers queue in the event loop rather
than inside the pool with a timeout. It is the fastest once queries take
time, never leaks, and never opens more than DB_POOL_MAX_SIZE connections.

Rules for callers:
- Call each domain service once, as a whole: its transaction lives and
  ends inside the one thread (never a transaction spanning an `await`).
- Anything that touches the cache (django-redis is synchronous too) also
  goes through a worker thread: `run_sync` for cache-only work.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from common.db import pool_max_size, release_connections

P = ParamSpec("P")
T = TypeVar("T")

# One limiter per event loop: anyio primitives belong to the loop that made
# them, and tests start a loop per TestClient.
_limiters: weakref.WeakKeyDictionary[Any, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def _db_limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()  # fails loudly outside an event loop
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = anyio.CapacityLimiter(pool_max_size())
        _limiters[loop] = limiter
    return limiter


def _call_then_release(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return func(*args, **kwargs)
    finally:
        release_connections()


async def run_db(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func` (sync, may use the ORM) in a worker thread; free its connection after.

    At most `pool_max_size()` such calls run at once; the others wait here.
    """
    call = functools.partial(_call_then_release, func, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, limiter=_db_limiter())


async def run_sync(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work that should not need the database (a cache round trip).

    Not limited by the pool, but it still releases any connection the call
    happened to open (a lockout row, a fallback read), so nothing leaks.
    """
    call = functools.partial(_call_then_release, func, *args, **kwargs)
    return await anyio.to_thread.run_sync(call)
