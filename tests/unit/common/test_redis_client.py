"""sync_redis(): django-redis's client through its public API, nothing set on the backend."""

from __future__ import annotations

from django.core.cache import caches

from common.redis_client import sync_redis, uses_redis


def test_sync_redis_leaves_the_cache_backend_as_it_was() -> None:
    backend = caches["default"]
    before = dict(vars(backend))
    client = sync_redis()
    assert vars(backend).keys() == before.keys()  # no attribute of ours on django-redis's object
    assert sync_redis() is client  # remembered per backend object
    if uses_redis():
        assert client is not None and client.ping()
    else:
        assert client is None
