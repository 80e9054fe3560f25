"""books.cache and the cached selectors: HIT/MISS, invalidation, degradation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from books.cache import VersionedCache, book_cache
from books.models import Book
from books.selectors import book_get_cached, book_page_cached
from books.services import book_create, book_delete, book_update


class BrokenCache:
    """A cache whose every call fails, like django-redis with Redis down."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("redis is down")

        return fail


def hit(params: dict[str, str] | None = None) -> bool:
    return book_page_cached(params=params or {})[1]


@pytest.mark.django_db
class TestReadThrough:
    def test_miss_then_hit_then_miss_after_service_write(
        self, alice: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        assert hit() is False
        assert hit() is True
        with django_capture_on_commit_callbacks(execute=True):
            book_create(actor=alice, title="New", author="A", year=2001)
        result, was_hit = book_page_cached(params={})
        assert was_hit is False
        assert [b.title for b in result.items] == ["New"]
        assert hit() is True

    def test_update_and_delete_invalidate(
        self, alice: Any, admin_user: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            book = book_create(actor=alice, title="Old", author="A", year=2001)
        book_get_cached(book_id=book.pk)
        assert book_get_cached(book_id=book.pk)[1] is True
        with django_capture_on_commit_callbacks(execute=True):
            book_update(actor=alice, book=book, values={"title": "Newer"}, partial=True)
        fresh, was_hit = book_get_cached(book_id=book.pk)
        assert (fresh.title, was_hit) == ("Newer", False)
        with django_capture_on_commit_callbacks(execute=True):
            book_id = book.pk
            book_delete(actor=admin_user, book=book)
        assert book_get_cached(book_id=book_id) == (None, False)
        assert book_get_cached(book_id=book_id) == (None, True)  # a miss is cached too

    def test_key_uses_normalised_parameters(self, make_book: Callable[..., Book]) -> None:
        assert hit({"sort": "title"}) is False
        assert hit({"sort": "title:asc", "utm_source": "x"}) is True
        assert hit({"sort": "title", "page": "1", "page_size": "20"}) is True
        assert hit({"sort": "title", "page": "2"}) is False

    def test_bad_parameters_are_never_cached(self) -> None:
        from common.errors import ValidationFailed

        for _ in range(2):
            with pytest.raises(ValidationFailed):
                book_page_cached(params={"sort": "price"})

    def test_cached_items_are_model_instances(self, make_book: Callable[..., Book]) -> None:
        make_book(title="Kept")
        book_page_cached(params={})
        result, was_hit = book_page_cached(params={})
        assert was_hit and isinstance(result.items[0], Book) and result.items[0].title == "Kept"


@pytest.mark.django_db(transaction=True)
class TestSignalsOnCommit:
    """Real commits (no test transaction), as in production."""

    def test_plain_orm_save_outside_services_bumps(
        self, make_book: Callable[..., Book]
    ) -> None:
        book = make_book(title="One")
        assert hit() is False and hit() is True
        book.title = "Changed in a shell"
        book.save()
        result, was_hit = book_page_cached(params={})
        assert was_hit is False and result.items[0].title == "Changed in a shell"

    def test_orm_delete_bumps(self, make_book: Callable[..., Book]) -> None:
        book = make_book()
        assert hit() is False and hit() is True
        book.delete()
        assert book_page_cached(params={})[0].total == 0

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


@pytest.mark.django_db
class TestCacheDown:
    @pytest.fixture(autouse=True)
    def broken(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(VersionedCache, "cache", BrokenCache())

    def test_reads_fall_back_to_the_database(
        self, make_book: Callable[..., Book], caplog: pytest.LogCaptureFixture
    ) -> None:
        book = make_book(title="Still here")
        with caplog.at_level(logging.WARNING, logger="books.cache"):
            result, was_hit = book_page_cached(params={})
            assert (was_hit, result.items[0].title) == (False, "Still here")
            assert book_get_cached(book_id=book.pk) == (book, False)
        assert "cache unavailable" in caplog.text

    def test_writes_still_succeed(
        self, alice: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            book = book_create(actor=alice, title="T", author="A", year=2000)
        assert Book.objects.filter(pk=book.pk).exists()

    def test_get_fails_but_set_works(
        self, monkeypatch: pytest.MonkeyPatch, make_book: Callable[..., Book]
    ) -> None:
        # Half-broken: version readable, entry reads time out. Still a MISS.
        from django.core.cache import cache as real

        class Flaky:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            def get(self, key: str, default: Any = None) -> Any:
                if ":list:" in key:
                    raise TimeoutError
                return real.get(key, default)

        monkeypatch.setattr(VersionedCache, "cache", Flaky())
        make_book()
        assert book_page_cached(params={})[1] is False
