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
`wrk -t1 -c32 -d8s`, psycopg pool min 2 / max 10, CONN_MAX_AGE=0), on a
quiet machine:

    strategy                                        fast query          5 ms query
                                                    req/s  max conns    req/s  max conns
    (a)  sync_to_async(thread_sensitive=True)        2335      3         177      3
    (b)  sync_to_async(thread_sensitive=False)
         + close after each call                     2034      6        1064      6
    (b3) anyio thread + close + CapacityLimiter
         of pool size (run_db's earlier form)        1965     10        1385     10
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

So `run_db` is (b) without its bound, still with asgiref's `sync_to_async`,
the tool Django's own async code uses:

- `thread_sensitive=False`, so calls run side by side instead of in line
  for one shared thread;
- its own executor with as many threads as the pool has connections
  (DB_POOL_MAX_SIZE): that is the bound. No more DB calls run at once than
  there are connections; the others wait in the executor's queue, on the
  event loop's side, rather than inside the pool with a timeout (what the
  CapacityLimiter did in (b3));
- the thread's connection goes back to the pool in a `finally`, success or
  error (`common.db.release_connections`).

Re-measured on this code (row b2, `--seconds 6`) while the machine was
heavily loaded by other jobs (load average 15 to 25 on 2 vCPUs), so the
absolute numbers say little: over four runs each, b2 served 600 to 1,280
req/s (fast query) and 270 to 1,020 (5 ms query), b3 840 to 1,720 and 630
to 1,020, the two swapping places from run to run. What held in every run: b2
never had more than 10 PostgreSQL connections and no PoolTimeout, and (a)
fell to 100 req/s on the 5 ms query where b2 served 663 in the same run.
Re-run the benchmark on a quiet machine before quoting a speed.

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
