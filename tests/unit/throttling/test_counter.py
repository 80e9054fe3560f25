"""Counter: the limiter's one-round-trip count spends the very budget django-ratelimit counts.

`Counter` computes django-ratelimit's key with two of its private functions
(`_get_window`, `_make_cache_key`, kept in throttling/ratelimit_internals.py)
so that the one-EVALSHA count on Redis and `get_usage` on any other cache are
one budget. These tests pin that: if a
django-ratelimit upgrade changes its keys, they fail, not production.
"""

from __future__ import annotations

import asyncio

import pytest
from django_ratelimit.core import get_usage

from common.errors import RateLimited
from throttling.limiter import (
    Counter,
    Policy,
    _Subject,
    _subject_key,
    acheck_rate,
    check_rate,
)

POLICY = Policy("anon", "ip:203.0.113.9", "5/minute")


def usage_count() -> int:
    usage = get_usage(_Subject(POLICY.identity), group=POLICY.name, key=_subject_key,
                      rate=(5, 60), increment=False)
    assert usage is not None
    return int(usage["count"])


def test_counts_land_in_django_ratelimits_own_key() -> None:
    check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    assert usage_count() == 2


def test_the_async_count_spends_the_same_budget() -> None:
    check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    decision = asyncio.run(
        acheck_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    )
    assert decision is not None and decision.remaining == 3
    assert usage_count() == 2


def test_the_sixth_request_of_five_is_refused_with_its_headers() -> None:
    for _ in range(5):
        check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    with pytest.raises(RateLimited) as refused:
        check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    # The refusal carries its decision, for the adapter that writes the headers.
    decision = refused.value.decision
    assert decision is not None
    assert decision.headers()["RateLimit"].startswith('"anon";r=0;t=')


def test_give_back_undoes_one_count() -> None:
    check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    Counter(POLICY).give_back()
    assert usage_count() == 0


def test_a_bad_rate_is_a_configuration_error_not_an_outage() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        check_rate(policy="anon", identity="ip:x", rate="abc")


def test_cache_down_fails_open_or_503(cache_down: None, settings: object) -> None:
    from common.errors import ServiceUnavailable

    assert check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate) is None
    with pytest.raises(ServiceUnavailable):
        check_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate, strict=True)
    assert asyncio.run(
        acheck_rate(policy=POLICY.name, identity=POLICY.identity, rate=POLICY.rate)
    ) is None
