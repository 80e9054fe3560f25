"""/metrics shows what the cache does: hits, misses, Redis errors, uncounted limits, the outbox.

The counters are read from the process's registry (the one /metrics
exposes) before and after, so the tests do not depend on what ran before.
The cache-down cases point the cache at a closed port (127.0.0.1:1), as
test_dependencies_down.py does, with the project's counting client class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from django.core.cache import close_caches
from django.test import override_settings
from prometheus_client import REGISTRY
from starlette.testclient import TestClient

from tests.contract.conftest import Api

BROKEN_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "REDIS_CLIENT_CLASS": "common.redis_metrics.CountingRedis",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def total(name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    return sum(
        found.value
        for metric in REGISTRY.collect()
        for found in metric.samples
        if found.name == name and labels.items() <= found.labels.items()
    )


def redis_errors() -> float:
    return total("redis_errors_total")


@pytest.fixture
def cache_down() -> Iterator[None]:
    with override_settings(CACHES=BROKEN_CACHES):
        yield
    close_caches()


def test_cached_reads_count_a_miss_then_a_hit(api: Api, transactional_db: None) -> None:
    hits = sample("cache_answers_total", framework=api.framework, result="hit")
    misses = sample("cache_answers_total", framework=api.framework, result="miss")

    first, second = api.get("/books"), api.get("/books")

    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert sample("cache_answers_total", framework=api.framework, result="miss") == misses + 1
    assert sample("cache_answers_total", framework=api.framework, result="hit") == hits + 1


def test_a_limit_that_fails_open_is_counted_with_the_redis_errors(
    api: Api, cache_down: None
) -> None:
    fail_open = sample("rate_limit_store_down_total", policy="rl-demo-ping", decision="fail_open")
    errors = redis_errors()

    assert api.get("/rl-demo/ping").status_code == 200

    assert sample("rate_limit_store_down_total", policy="rl-demo-ping",
                  decision="fail_open") == fail_open + 1
    assert redis_errors() > errors


def test_a_login_refused_for_the_cache_is_counted_as_refused(
    api: Api, transactional_db: None, cache_down: None
) -> None:
    refused = total("rate_limit_store_down_total", decision="refused")

    response = api.password_grant("nobody")  # the token endpoint's limit is strict

    assert response.status_code == 503
    assert total("rate_limit_store_down_total", decision="refused") == refused + 1


def test_the_outbox_backlog_is_a_gauge(client: TestClient, transactional_db: None) -> None:
    from common.models import PendingInvalidation

    PendingInvalidation.objects.create(kind="version_bump", payload="books")
    PendingInvalidation.objects.create(kind="version_bump", payload="books")

    text = client.get("/metrics").text

    match = re.search(r"^cache_outbox_pending (\S+)$", text, re.MULTILINE)
    assert match and float(match[1]) == 2.0, text[-2000:]
    for name in ("cache_answers_total", "redis_errors_total", "rate_limit_store_down_total"):
        assert f"# TYPE {name} counter" in text


def test_the_outbox_gauge_is_nan_when_the_database_cannot_say() -> None:
    """No database access allowed here: the scrape still answers, with NaN."""
    value = REGISTRY.get_sample_value("cache_outbox_pending")
    assert value is not None and math.isnan(value)
