"""sync_redis() and script(): one client per process whatever context asks, none per request."""

from __future__ import annotations

import contextvars
import gc
import threading
import weakref

import pytest
from django.core.cache import caches

from common.redis_client import script, sync_redis, uses_redis

needs_redis = pytest.mark.skipif(not uses_redis(), reason="REDIS_URL is not set")


def test_sync_redis_leaves_the_cache_backend_as_it_was() -> None:
    backend = caches["default"]
    before = dict(vars(backend))
    client = sync_redis()
    assert vars(backend).keys() == before.keys()  # no attribute of ours on django-redis's object
    if uses_redis():
        assert client is not None and client.ping()
    else:
        assert client is None


@needs_redis
def test_every_thread_and_fresh_context_gets_the_same_client() -> None:
    """a2wsgi runs each request in a new context, where Django's cache backend is new."""
    seen: list[object] = []

    def one_request() -> None:
        seen.append(sync_redis())

    threads = [
        threading.Thread(target=contextvars.Context().run, args=(one_request,)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(client) for client in seen}) == 1
    assert seen[0] is sync_redis()


@needs_redis
def test_a_script_is_registered_once_and_kept_by_its_client() -> None:
    client = sync_redis()
    source = "return 1"

    assert script(client, source) is script(client, source)
    assert script(client, source)() == 1


class _FakeClient:
    def register_script(self, source: str) -> tuple[_FakeClient, str]:
        return (self, source)


def test_a_scripts_table_never_outlives_its_client() -> None:
    clients = [_FakeClient() for _ in range(100)]
    for client in clients:
        script(client, "return 1")
    alive = [weakref.ref(client) for client in clients]
    del clients, client
    gc.collect()

    assert [ref for ref in alive if ref() is not None] == []
