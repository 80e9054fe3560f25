"""A cache (Redis) that is down: reads degrade to MISS, limits fail open, login says 503.

Whatever REDIS_URL says, the cache is pointed at a closed port (127.0.0.1:1)
through django-redis, so this runs the same on every backend. Django's own
`setting_changed` receiver rebuilds `django.core.cache.caches` when CACHES
changes, in every thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from django.core.cache import close_caches
from django.test import override_settings
from pytest_django.fixtures import Settings as SettingsWrapper
from starlette.testclient import TestClient

from tests.contract.conftest import Account, Api, Tokens, assert_error, assert_oauth_error

BROKEN_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
}


@pytest.fixture
def cache_down() -> Iterator[None]:
    """Redis unreachable for the rest of the test (restored before the cache is cleared)."""
    with override_settings(CACHES=BROKEN_CACHES):
        yield
    close_caches()


@pytest.fixture
def book_id(alice: Account, make_book: Callable[..., int]) -> int:
    return make_book(alice)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1


def test_the_cache_is_really_down(cache_down: None) -> None:
    """Control: the override took effect in this process."""
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017  (any client error means "down")
        cache.set("probe", 1)


def test_book_list_still_answers_as_a_miss(api: Api, book_id: int, cache_down: None) -> None:
    for _ in range(2):
        response = api.get("/books")
        assert response.status_code == 200, response.text
        assert response.headers["X-Cache"] == "MISS"
        assert [book["id"] for book in response.json()["data"]] == [book_id]


def test_book_detail_still_answers_as_a_miss(api: Api, book_id: int, cache_down: None) -> None:
    response = api.get(f"/books/{book_id}")
    assert response.status_code == 200, response.text
    assert response.headers["X-Cache"] == "MISS"


def test_writes_still_work(api: Api, alice_tokens: Tokens, cache_down: None) -> None:
    response = api.post(
        "/books",
        json={"title": "Emma", "author": "Jane Austen", "year": 1815},
        headers=alice_tokens.headers,
    )
    assert response.status_code == 201, response.text
    assert api.get("/books").json()["data"][0]["title"] == "Emma"


def test_authenticated_reads_still_work(api: Api, alice_tokens: Tokens, cache_down: None) -> None:
    assert api.get("/auth/me", headers=alice_tokens.headers).status_code == 200


def test_registration_still_works(api: Api, cache_down: None) -> None:
    assert api.register("carol").status_code == 201


def test_rate_limited_demo_fails_open(api: Api, cache_down: None) -> None:
    assert api.get("/rl-demo/ping").status_code == 200


def test_token_endpoint_answers_503(api: Api, alice: Account, cache_down: None) -> None:
    response = api.password_grant(alice.username)
    assert_unavailable(response)
    assert_oauth_error(response, 503, "service_unavailable")


def test_refresh_grant_answers_503(api: Api, alice_tokens: Tokens, cache_down: None) -> None:
    response = api.refresh_grant(alice_tokens.refresh)
    assert_unavailable(response)
    assert_oauth_error(response, 503, "service_unavailable")


def test_json_refresh_endpoint_answers_503(
    api: Api, alice_tokens: Tokens, cache_down: None
) -> None:
    response = api.post("/auth/refresh", json={"refresh_token": alice_tokens.refresh})
    assert_unavailable(response)
    assert_error(response, 503, "service_unavailable")


def test_fail_closed_setting_turns_limits_into_503(
    api: Api, book_id: int, settings: SettingsWrapper, cache_down: None
) -> None:
    settings.RATE_LIMIT_FAIL_OPEN = False
    response = api.get("/books")
    assert_unavailable(response)
    assert_error(response, 503, "service_unavailable")


def test_prefixed_health_names_the_cache(api: Api, cache_down: None) -> None:
    response = api.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}


def test_root_ready_names_the_cache_and_health_stays_up(
    client: TestClient, cache_down: None
) -> None:
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["cache"] != "ok"
    # Liveness: the process answers; restarting it would not bring the cache back.
    live = client.get("/health")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
