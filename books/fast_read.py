"""A cached public read in one round trip: count the budget, check the token, fetch the page.

    plan = ReadPlan.for_request(url=..., policy=..., claims=claims_or_None)
    outcome = plan.read()            # or `await plan.aread()` on an event loop
    if outcome.page is not None:     # a HIT: send outcome.page.body as it is
        ...
    body = render(compute())         # a MISS: each framework renders its own way
    plan.store(outcome, body)        # tagged with the version read above

What one `GET /books` needs from the cache, and what it used to cost:

    rate limit     add + incr        2 round trips  (django-ratelimit)
    token          a family query    1 database round trip, on a worker thread
    books version  get               1 round trip
    stored page    get               1 round trip, then unpickle and re-serialize

On Redis, `read()` sends all of it as one MULTI/EXEC transaction (SET NX +
INCR for the limit, as the limiter's COUNT_IN_WINDOW script does, then one
MGET of the version, the page, the family snapshot and the user stamp) in
one write: one round trip, executed by Redis as one atomic step. A Lua
script would do the same, but costs Redis several times the CPU per call,
and the one Redis is shared by every worker. `read()` blocks a worker
thread (Flask, DRF) on a redis-py connection of the thread's own
(common/redis_hot.py); `aread()` runs on the event loop through
common/redis_wire.py's one pipelined connection, so a FastAPI hit never
leaves it. On any
other cache (the embedded default) the same reads take two calls through
Django's cache API. On Redis Cluster the keys live on several masters, so
the same commands go as one pipeline that redis-py splits by node (no
MULTI/EXEC; docs/redis.md says why the read needs none).

The three parts keep their own rules (throttling/limiter.py: the count;
books/cache.py: versions and stored pages; accounts/token_snapshots.py: when a
snapshot vouches for a token): this module only batches their keys.
Each framework calls it in its own idiom: a FastAPI dependency, a Flask
decorator, the DRF view set's list and retrieve.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from accounts.token_snapshots import SnapshotCheck
from accounts.tokens import token_service
from books.cache import StoredPage, book_cache
from common import redis_client
from common.errors import InvalidToken
from throttling.limiter import Counter, Policy, RateLimitDecision


def wsgi_url(environ: dict[str, Any]) -> str:
    """The request's URL from a WSGI environ, as the cache key needs it (not normalised).

    Cheaper than asking the framework to build it (Werkzeug's `request.url`,
    Django's `build_absolute_uri()` both validate and re-encode): the key only
    has to tell different answers apart. The Host was checked by the
    composition root before any framework saw the request.
    """
    return (f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', '')}"
            f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
            f"?{environ.get('QUERY_STRING', '')}")


@dataclass(frozen=True)
class ReadOutcome:
    """What the round trip found."""

    decision: RateLimitDecision | None  # None: the cache is down and limits fail open
    page: StoredPage | None  # the stored body, if it is current: a HIT
    version: int | None  # the version a body computed now is tagged with (None: don't store)
    token_vouched: bool  # a snapshot vouches for the token (False: ask the database)
    stamp_seen: Any = None  # the user's stamp, for `SnapshotCheck.remember`

    @property
    def hit(self) -> bool:
        return self.page is not None


@dataclass(frozen=True)
class ReadPlan:
    """The keys of one cached read."""

    counter: Counter
    page_key: str
    snapshot: SnapshotCheck | None
    strict: bool = False

    @classmethod
    def for_request(
        cls, *, url: str, policy: Policy, claims: dict[str, Any] | None
    ) -> ReadPlan:
        """`url`: the request's full URL; `claims`: a verified access token's, or None."""
        snapshot = (
            SnapshotCheck(family_id=str(claims["fam"]), user_id=str(claims["sub"]))
            if claims is not None else None
        )
        return cls(counter=Counter(policy), page_key=book_cache.page_key(url), snapshot=snapshot)

    # --- Reading -----------------------------------------------------------------

    def read(self) -> ReadOutcome:
        """One round trip on Redis (two cache calls elsewhere).

        :raise RateLimited: over the budget (429).
        :raise ServiceUnavailable: the cache is down and limits fail closed.
        """
        client = redis_client.thread_redis()
        if client is None:
            return self._read_with_cache_api()
        try:
            replies = redis_client.transaction(client, self._commands())
        except Exception as exc:
            return self._cache_down(exc)
        outcome = self._outcome(replies)
        if outcome.version is None and outcome.decision is not None:
            # No version yet (first read after a flush): create it, then MISS.
            return _with_version(outcome, book_cache.version())
        return outcome

    async def aread(self) -> ReadOutcome:
        """`read()` without leaving the event loop (redis_client.async_redis's client)."""
        client = redis_client.async_redis()
        if client is None:
            return await asyncio.to_thread(self._read_with_cache_api)
        try:
            replies = await redis_client.atransaction(client, self._commands())
        except Exception as exc:
            return self._cache_down(exc)
        outcome = self._outcome(replies)
        if outcome.version is None and outcome.decision is not None:
            return _with_version(outcome, await asyncio.to_thread(book_cache.version))
        return outcome

    def _commands(self) -> list[tuple[Any, ...]]:
        """The round trip's commands, run by Redis as one MULTI/EXEC.

        What the limiter's COUNT_IN_WINDOW script does (throttling/limiter.py),
        as plain commands: create the window's counter if missing, count,
        then read the version, the page and any snapshot keys.
        """
        counter_key, *read_keys = self.counter.keys(*self._read_keys())
        counting: list[tuple[Any, ...]] = []
        if self.counter.enabled:
            counting = [("SET", counter_key, 0, "EX", self.counter.ttl, "NX"),
                        ("INCR", counter_key)]
        return [*counting, ("MGET", *read_keys)]

    def _read_keys(self) -> list[str]:
        """The version, the page and any snapshot keys (Django cache keys)."""
        keys = [book_cache.version_key, self.page_key]
        if self.snapshot is not None:
            keys += self.snapshot.keys
        return keys

    def _outcome(self, replies: list[Any]) -> ReadOutcome:
        count = replies[-2] if self.counter.enabled else None
        version_raw, page_raw, *snapshot_values = replies[-1]
        decision = self.counter.decide(count, strict=self.strict)  # may raise RateLimited
        return self._judge(decision, version_raw, page_raw, snapshot_values)

    def _judge(
        self,
        decision: RateLimitDecision | None,
        version_raw: Any,
        page_raw: Any,
        snapshot_values: list[Any],
    ) -> ReadOutcome:
        version = int(version_raw) if version_raw is not None else None
        page = StoredPage.decode(page_raw)
        if page is not None and page.version != version:
            page = None  # stored under an older version: a write came since
        vouched, stamp = True, None
        if self.snapshot is not None:
            family_value, stamp = snapshot_values
            vouched = self.snapshot.verdict(family_value, stamp)
        return ReadOutcome(decision, page, version, vouched, stamp)

    def _read_with_cache_api(self) -> ReadOutcome:
        decision = self.counter.count_with_cache_api(strict=self.strict)
        try:
            version_raw, page_raw, *snapshot_values = redis_client.get_many(self._read_keys())
        except Exception as exc:
            book_cache.warn("read", exc)
            return ReadOutcome(decision, None, None, token_vouched=self.snapshot is None)
        if version_raw is None:
            version_raw = book_cache.version()
        return self._judge(decision, version_raw, page_raw, snapshot_values)

    def _cache_down(self, exc: BaseException) -> ReadOutcome:
        self.counter.cache_down(exc, strict=self.strict)  # may raise 503
        # Limits fail open: no decision, so no RateLimit headers.
        return ReadOutcome(None, None, None, token_vouched=self.snapshot is None)

    # --- When no snapshot vouched for the token --------------------------------------

    def confirm_token(self, outcome: ReadOutcome, claims: dict[str, Any]) -> None:
        """Ask the database (one query); remember a yes for the next requests.

        A no gives back the unit just counted, as if authentication had come
        first (it does on every other endpoint: a 401 spends no budget).

        :raise InvalidToken: the login was revoked, expired, or its user can't log in.
        """
        try:
            token_service.resolve_access(claims)
        except InvalidToken:
            self.counter.give_back()
            raise
        if self.snapshot is not None:
            self.snapshot.remember(outcome.stamp_seen)

    # --- After a MISS -------------------------------------------------------------------

    def store(self, outcome: ReadOutcome, body: bytes) -> None:
        """Keep `body` under the version read before it was computed."""
        if outcome.version is not None:
            book_cache.store(self.page_key, StoredPage(outcome.version, body))

    async def astore(self, outcome: ReadOutcome, body: bytes) -> None:
        if outcome.version is None:
            return
        client = redis_client.async_redis()
        if client is None:
            await asyncio.to_thread(self.store, outcome, body)
            return
        page = StoredPage(outcome.version, body)
        try:
            await client.set(redis_client.raw_key(self.page_key), page.encode(),
                             ex=book_cache.timeout)
        except Exception as exc:
            book_cache.warn("write", exc)


def _with_version(outcome: ReadOutcome, version: int | None) -> ReadOutcome:
    return ReadOutcome(outcome.decision, None, version, outcome.token_vouched,
                       outcome.stamp_seen)
