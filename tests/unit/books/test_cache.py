"""books.cache and books.fast_read: stored bodies, version tags, invalidation, degradation.

Run on both backends by CI: through Django's cache API (the embedded default)
and through one Redis pipeline (REDIS_URL set).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from books.cache import StoredPage, VersionedCache, book_cache
from books.fast_read import ReadOutcome, ReadPlan
from books.models import Book
from books.services import book_create
from common.models import PendingInvalidation
from common.retry import cache_retry
from throttling.limiter import Policy

URL = "http://testserver/api/drf/books?page=1"


class BrokenCache:
    """A cache whose every call fails, like django-redis with Redis down."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("redis is down")

        return fail


def plan_for(url: str = URL) -> ReadPlan:
    policy = Policy("anon", "ip:198.51.100.7", "1000/minute")
    return ReadPlan.for_request(url=url, policy=policy, claims=None)


def read(url: str = URL, body: bytes = b'{"data":[]}') -> ReadOutcome:
    """One read as an endpoint does it: on a MISS, store `body`."""
    plan = plan_for(url)
    outcome = plan.read()
    if not outcome.hit:
        plan.store(outcome, body)
    return outcome


class TestStoredPages:
    def test_miss_then_hit_with_the_stored_bytes(self) -> None:
        assert read(body=b"first").hit is False
        outcome = read(body=b"second")
        assert outcome.hit and outcome.page is not None and outcome.page.body == b"first"

    def test_each_url_is_stored_apart(self) -> None:
        read(URL)
        assert read(URL + "&page_size=6").hit is False
        assert read("http://testserver/api/flask/books?page=1").hit is False

    def test_a_bump_makes_every_stored_page_a_miss(self) -> None:
        read()
        assert read().hit
        book_cache.bump()
        assert read(body=b"fresh").hit is False
        outcome = read()
        assert outcome.page is not None and outcome.page.body == b"fresh"

    def test_a_body_computed_before_a_bump_is_never_served_after_it(self) -> None:
        plan = plan_for()
        outcome = plan.read()  # MISS: version v read here
        book_cache.bump()  # a write lands while the body is computed
        plan.store(outcome, b"computed from old rows")  # tagged v, not v + 1
        assert read(body=b"fresh").hit is False

    def test_stored_page_encoding_round_trips(self) -> None:
        page = StoredPage(17, b'{"a":"b\\nc"}')
        assert StoredPage.decode(page.encode()) == page
        assert StoredPage.decode(b"garbage") is None
        assert StoredPage.decode(None) is None


@pytest.mark.django_db(transaction=True)
class TestSignalsOnCommit:
    """Real commits (no test transaction), as in production."""

    def test_plain_orm_save_outside_services_bumps(
        self, make_book: Callable[..., Book]
    ) -> None:
        book = make_book(title="One")
        read()
        assert read().hit
        book.title = "Changed in a shell"
        book.save()
        assert read().hit is False

    def test_orm_delete_bumps(self, make_book: Callable[..., Book]) -> None:
        book = make_book()
        read()
        book.delete()
        assert read().hit is False

    def test_bump_waits_for_commit_and_skips_rollback(
        self, make_book: Callable[..., Book]
    ) -> None:
        make_book()
        version = book_cache.version()
        with transaction.atomic():
            make_book()
            assert book_cache.version() == version  # not yet: uncommitted
        assert book_cache.version() == version + 1
        try:
            with transaction.atomic():
                make_book()
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert book_cache.version() == version + 1

    def test_bump_survives_a_rolled_back_savepoint(self, make_book: Callable[..., Book]) -> None:
        make_book()
        version = book_cache.version()
        with transaction.atomic():
            try:
                with transaction.atomic():  # registers the bump, then is rolled back
                    make_book()
                    raise RuntimeError
            except RuntimeError:
                pass
            make_book()  # its own bump survives
        assert book_cache.version() == version + 1


class TestVersion:
    def test_starts_from_the_clock(self, monkeypatch: pytest.MonkeyPatch) -> None:
        cache = VersionedCache("test-ns")
        monkeypatch.setattr(VersionedCache, "timer", staticmethod(lambda: 1_700_000_000.5))
        assert cache.version() == 1_700_000_000_500
        cache.bump()
        assert cache.version() == 1_700_000_000_501

    def test_bump_without_a_version_creates_one(self) -> None:
        cache = VersionedCache("test-ns2")
        cache.bump()
        assert cache.version() is not None

    def test_a_read_after_a_flush_creates_the_version_and_misses(self) -> None:
        from django.core.cache import cache

        read()
        cache.clear()
        outcome = read()
        assert outcome.hit is False and outcome.version is not None
        assert read().hit is True


@pytest.mark.django_db(transaction=True)
class TestLostBump:
    """A bump that fails while the cache is down is on record and retried until it lands."""

    def test_a_failed_bump_lands_when_the_cache_answers_again(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cache = VersionedCache("test-retry")
        version = cache.version()
        assert version is not None
        monkeypatch.setattr(VersionedCache, "cache", BrokenCache())
        cache.bump()
        assert "version_bump:test-retry" in cache_retry.pending()
        on_record = PendingInvalidation.objects.filter(kind="version_bump", payload="test-retry")
        assert on_record.count() == 1  # outlives this process, were it to die now
        cache_retry.drain()  # still down: still queued
        assert "version_bump:test-retry" in cache_retry.pending()
        monkeypatch.undo()
        cache_retry.drain()
        assert cache_retry.pending() == []
        assert cache.version() == version + 1
        # Off the record too. The retrier thread may be the one that landed
        # the write (it was woken when the bump failed); it deletes the row
        # just after letting go of the drain, so give it a moment.
        deadline = time.monotonic() + 5
        while on_record.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not on_record.exists()

    def test_the_background_thread_retries_by_itself(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cache = VersionedCache("test-retry2")
        version = cache.version()
        assert version is not None
        monkeypatch.setattr(VersionedCache, "cache", BrokenCache())
        cache.bump()
        monkeypatch.undo()
        deadline = time.monotonic() + 5
        while cache_retry.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cache.version() == version + 1


@pytest.mark.django_db
class TestCacheDown:
    def test_reads_miss_and_nothing_is_stored(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        from common import redis_client

        def down(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("redis is down")

        # No raw client (the hot path's or django-redis's): the cache API's path.
        monkeypatch.setattr(redis_client, "thread_redis", lambda: None)
        monkeypatch.setattr(redis_client, "sync_redis", lambda: None)
        monkeypatch.setattr(redis_client, "get_many", down)
        monkeypatch.setattr(VersionedCache, "cache", BrokenCache())
        with caplog.at_level(logging.WARNING):
            outcome = plan_for().read()
        assert (outcome.hit, outcome.version) == (False, None)
        assert "cache unavailable" in caplog.text

    def test_writes_still_succeed(
        self, alice: Any, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        monkeypatch.setattr(VersionedCache, "cache", BrokenCache())
        with django_capture_on_commit_callbacks(execute=True):
            book = book_create(actor=alice, title="T", author="A", year=2000)
        assert Book.objects.filter(pk=book.pk).exists()
        monkeypatch.undo()
        cache_retry.drain()
