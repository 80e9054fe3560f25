from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from common.errors import RateLimited, ServiceUnavailable
from tests.unit.throttling.conftest import FakeClock, run_in_threads
from throttling.limiter import check_rate, default_policy, enforce, ip_policy

HEADER = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def _parse(decision_headers: dict[str, str]) -> tuple[str, int, int]:
    match = HEADER.match(decision_headers["RateLimit"])
    assert match, decision_headers
    return match["name"], int(match["r"]), int(match["t"])


def test_headers_count_down_then_429() -> None:
    for expected_remaining in (2, 1, 0):
        decision = check_rate(policy="user", identity="user:1", rate="3/minute")
        assert decision is not None and decision.allowed
        headers = decision.headers()
        assert headers["RateLimit-Policy"] == '"user";q=3;w=60'
        name, remaining, reset = _parse(headers)
        assert (name, remaining) == ("user", expected_remaining)
        assert 1 <= reset <= 60

    # The refusal carries its decision: the adapter hands it to the edge for the 429.
    with pytest.raises(RateLimited) as refused:
        check_rate(policy="user", identity="user:1", rate="3/minute")
    error = refused.value
    assert error.decision is not None and not error.decision.allowed
    _, remaining, reset = _parse(error.decision.headers())
    assert remaining == 0
    assert 1 <= error.retry_after <= 60 and error.retry_after >= reset
    response_headers = error.response_headers()
    assert response_headers["Retry-After"] == str(error.retry_after)
    assert response_headers["Cache-Control"] == "no-store"
    assert error.decision.headers()["RateLimit-Policy"] == '"user";q=3;w=60'
    assert error.body()["error"]["code"] == "rate_limited"


def test_budgets_are_per_identity_and_per_policy() -> None:
    check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute")
    with pytest.raises(RateLimited):
        check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute")
    assert check_rate(policy="anon", identity="ip:2.2.2.2", rate="1/minute") is not None
    assert check_rate(policy="rl-demo-ping", identity="ip:1.1.1.1", rate="1/minute") is not None


def test_window_reset_after_retry_after(clock: FakeClock) -> None:
    check_rate(policy="anon", identity="ip:9.9.9.9", rate="2/minute")
    check_rate(policy="anon", identity="ip:9.9.9.9", rate="2/minute")
    with pytest.raises(RateLimited) as refused:
        check_rate(policy="anon", identity="ip:9.9.9.9", rate="2/minute")
    wait = refused.value.retry_after

    # One second early: still the old window.
    clock.advance(wait - 1)
    with pytest.raises(RateLimited):
        check_rate(policy="anon", identity="ip:9.9.9.9", rate="2/minute")
    # After Retry-After seconds: a fresh window, full budget.
    clock.advance(1)
    decision = check_rate(policy="anon", identity="ip:9.9.9.9", rate="2/minute")
    assert decision is not None and decision.remaining == 1
    assert _parse(decision.headers())[2] == 60  # a whole window ahead


def test_per_second_rate(clock: FakeClock) -> None:
    check_rate(policy="anon", identity="ip:8.8.8.8", rate="1/second")
    with pytest.raises(RateLimited) as refused:
        check_rate(policy="anon", identity="ip:8.8.8.8", rate="1/second")
    assert refused.value.retry_after == 1
    clock.advance(1)
    assert check_rate(policy="anon", identity="ip:8.8.8.8", rate="1/second") is not None


def test_concurrent_requests_admit_exactly_the_limit(clock: FakeClock) -> None:
    """40 threads against a budget of 5: exactly 5 pass (also on Redis: REDIS_URL).

    The clock stands still so the burst cannot straddle a window boundary,
    where a fixed window rightly admits 5 more.
    """

    def one_request() -> str:
        try:
            check_rate(policy="anon", identity="ip:7.7.7.7", rate="5/minute")
        except RateLimited:
            return "refused"
        return "admitted"

    results = run_in_threads(40, one_request)
    assert results.count("admitted") == 5
    assert results.count("refused") == 35


def test_bad_rate_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured):
        check_rate(policy="anon", identity="ip:1.1.1.1", rate="lots/minute")


def test_default_policy_reads_settings_at_call_time(settings) -> None:
    settings.RATE_LIMIT_USER = "7/hour"
    settings.RATE_LIMIT_ANON = "3/second"
    assert default_policy(user_id=42, ip="1.2.3.4") == ("user", "user:42", "7/hour")
    assert default_policy(user_id=None, ip="1.2.3.4") == ("anon", "ip:1.2.3.4", "3/second")
    settings.RATE_LIMIT_ANON = "junk"
    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_ANON"):
        default_policy(user_id=None, ip="1.2.3.4")


def test_ip_policy_for_the_demos(settings) -> None:
    settings.RL_DEMO_LOGIN_SIM = "2/minute"
    assert ip_policy("rl-demo-login-sim", ip="1.2.3.4") == (
        "rl-demo-login-sim", "ip:1.2.3.4", "2/minute",
    )


# --- cache down -----------------------------------------------------------------


@pytest.mark.usefixtures("cache_down")
def test_redis_down_fails_open_by_default(settings) -> None:
    settings.RATE_LIMIT_FAIL_OPEN = True
    assert check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute") is None


@pytest.mark.usefixtures("cache_down")
def test_redis_down_with_fail_open_off_is_503(settings) -> None:
    settings.RATE_LIMIT_FAIL_OPEN = False
    with pytest.raises(ServiceUnavailable):
        check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute")


@pytest.mark.usefixtures("cache_down")
def test_redis_down_strict_is_always_503(settings) -> None:
    settings.RATE_LIMIT_FAIL_OPEN = True
    with pytest.raises(ServiceUnavailable) as unavailable:
        check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute", strict=True)
    assert unavailable.value.response_headers()["Retry-After"] == "30"


class _BrokenCache:
    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise RuntimeError("any exception at all")

        return fail


def test_any_cache_exception_counts_as_down(monkeypatch, settings) -> None:
    import django_ratelimit.core

    import throttling.limiter

    # The cache-API path (get_usage), which Redis skips for its Lua script.
    monkeypatch.setattr(throttling.limiter, "sync_redis", lambda: None)
    monkeypatch.setattr(django_ratelimit.core, "caches", {"default": _BrokenCache()})
    settings.RATE_LIMIT_FAIL_OPEN = True
    assert check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute") is None
    with pytest.raises(ServiceUnavailable):
        check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute", strict=True)


def test_a_cache_that_answers_nothing_counts_as_down(monkeypatch, settings) -> None:
    """django-redis with IGNORE_EXCEPTIONS answers None instead of raising."""
    import django_ratelimit.core

    class Silent:
        def add(self, *args, **kwargs):
            return None

        def incr(self, *args, **kwargs):
            return None

    import throttling.limiter

    monkeypatch.setattr(throttling.limiter, "sync_redis", lambda: None)
    monkeypatch.setattr(django_ratelimit.core, "caches", {"default": Silent()})
    settings.RATE_LIMIT_FAIL_OPEN = False
    with pytest.raises(ServiceUnavailable):
        check_rate(policy="anon", identity="ip:1.1.1.1", rate="1/minute")


def test_enforce_takes_a_policy(settings) -> None:
    settings.RATE_LIMIT_USER = "1000/minute"
    policy = default_policy(user_id=5, ip="1.2.3.4")
    decision = enforce(policy)
    assert decision is not None
    assert decision.headers()["RateLimit-Policy"] == '"user";q=1000;w=60'


_WORKER = """
import os, sys, threading, time, django
frozen = float(sys.argv[2])
time.time = lambda: frozen  # one window for every process: no boundary in the burst
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from common.errors import RateLimited
from throttling.limiter import check_rate
start = threading.Barrier(10)
admitted = []
def go():
    start.wait()
    try:
        check_rate(policy="anon", identity=sys.argv[1], rate="5/minute")
        admitted.append(1)
    except RateLimited:
        pass
threads = [threading.Thread(target=go) for _ in range(10)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(admitted))
"""


def test_processes_sharing_the_cache_admit_exactly_the_limit() -> None:
    """4 processes x 10 threads against one budget of 5, on Redis or the embedded cache."""
    from django.conf import settings as django_settings

    identity = f"ip:proc-{time.time_ns()}"  # fresh bucket: the processes share the cache
    env = {**os.environ, "TESTING": "1"}
    if getattr(django_settings, "CACHE_DIR", None) is not None:
        env["CACHE_DIR"] = str(django_settings.CACHE_DIR)  # this run's embedded cache
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, identity, str(time.time())],
            cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True,
        )
        for _ in range(4)
    ]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    admitted = sum(int(output.strip().splitlines()[-1]) for output in outputs)
    assert admitted == 5
