"""Rate limiting: IETF RateLimit headers, 429 rate_limited, one budget across prefixes."""

from __future__ import annotations

import re

import httpx
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.contract.conftest import Account, Api, Tokens, assert_error

POLICY = re.compile(r'^"(?P<name>[^"]+)";q=(?P<quota>\d+);w=(?P<window>\d+)$')
REMAINING = re.compile(r'^"(?P<name>[^"]+)";r=(?P<remaining>\d+);t=(?P<reset>\d+)$')


def policy_of(response: httpx.Response) -> tuple[str, int, int]:
    match = POLICY.match(response.headers["RateLimit-Policy"])
    assert match, response.headers["RateLimit-Policy"]
    return match["name"], int(match["quota"]), int(match["window"])


def remaining_of(response: httpx.Response) -> tuple[str, int, int]:
    match = REMAINING.match(response.headers["RateLimit"])
    assert match, response.headers["RateLimit"]
    return match["name"], int(match["remaining"]), int(match["reset"])


def assert_rate_limited(response: httpx.Response, window: int = 3600) -> int:
    assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window
    assert "no-store" in response.headers["Cache-Control"]
    return retry_after


# --- headers -------------------------------------------------------------------------------


def test_anonymous_responses_carry_the_anon_policy(api: Api) -> None:
    response = api.get("/books")
    assert policy_of(response)[1:] == (100, 60)


def test_authenticated_responses_carry_the_user_policy(api: Api, alice_tokens: Tokens) -> None:
    response = api.get("/auth/me", headers=alice_tokens.headers)
    assert policy_of(response)[1:] == (1000, 60)


def test_policy_follows_the_settings(api: Api, settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_ANON = "7/hour"
    assert policy_of(api.get("/books"))[1:] == (7, 3600)


def test_remaining_counts_down(api: Api, settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_ANON = "100/hour"  # a long window: no reset between the two calls
    first = remaining_of(api.get("/books"))
    second = remaining_of(api.get("/books"))
    assert second[1] == first[1] - 1
    assert 0 <= second[2] <= 3600


def test_policy_and_remaining_name_the_same_policy(api: Api) -> None:
    response = api.get("/books")
    assert policy_of(response)[0] == remaining_of(response)[0]


def test_error_responses_carry_the_headers_too(api: Api) -> None:
    response = api.get("/books/999999")
    assert response.status_code == 404
    assert "RateLimit" in response.headers


# --- refusal ----------------------------------------------------------------------------------


def test_ping_is_refused_after_its_limit(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_PING = "3/minute"
    statuses = [api.get("/rl-demo/ping").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert_rate_limited(api.get("/rl-demo/ping"), window=60)


def test_ping_headers_show_its_own_quota(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_PING = "3/minute"
    response = api.get("/rl-demo/ping")
    assert (3, 60) in _policies(response)


def _policies(response: httpx.Response) -> list[tuple[int, int]]:
    found = []
    for item in response.headers["RateLimit-Policy"].split(","):
        match = re.search(r"q=(\d+);w=(\d+)", item)
        if match:
            found.append((int(match[1]), int(match[2])))
    return found


def test_refusal_retry_after_is_not_earlier_than_reset(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_PING = "1/minute"
    api.get("/rl-demo/ping")
    refused = api.get("/rl-demo/ping")
    retry_after = assert_rate_limited(refused, window=60)
    if "RateLimit" in refused.headers:
        assert retry_after >= remaining_of(refused)[2]


def test_refusal_within_an_hour_window(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_PING = "1/hour"
    api.get("/rl-demo/ping")
    assert_rate_limited(api.get("/rl-demo/ping"), window=3600)


def test_login_sim_has_the_strict_limit(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_LOGIN_SIM = "2/hour"
    body = {"username": "demo", "password": "whatever"}
    first = [api.post("/rl-demo/login-sim", json=body).status_code for _ in range(2)]
    assert 429 not in first
    assert all(status < 500 for status in first)
    assert_rate_limited(api.post("/rl-demo/login-sim", json=body))


def test_ordinary_endpoints_are_limited_by_the_anon_rate(
    api: Api, settings: SettingsWrapper
) -> None:
    settings.RATE_LIMIT_ANON = "2/hour"
    assert [api.get("/books").status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(api.get("/books"))


def test_authenticated_calls_spend_the_users_budget_not_the_ips(
    api: Api, settings: SettingsWrapper, alice_tokens: Tokens
) -> None:
    settings.RATE_LIMIT_ANON = "2/hour"
    settings.RATE_LIMIT_USER = "50/minute"
    statuses = [api.get("/auth/me", headers=alice_tokens.headers).status_code for _ in range(4)]
    assert statuses == [200] * 4


def test_each_user_has_an_own_budget(
    api: Api, settings: SettingsWrapper, alice_tokens: Tokens, bob_tokens: Tokens
) -> None:
    settings.RATE_LIMIT_USER = "2/hour"
    for _ in range(2):
        api.get("/auth/me", headers=alice_tokens.headers)
    assert_rate_limited(api.get("/auth/me", headers=alice_tokens.headers))
    assert api.get("/auth/me", headers=bob_tokens.headers).status_code == 200


# --- one budget across prefixes ------------------------------------------------------------------


def test_the_budget_is_shared_across_prefixes(apis: list[Api], settings: SettingsWrapper) -> None:
    budget = 2 * len(apis)
    settings.RL_DEMO_PING = f"{budget}/hour"
    for index in range(budget):
        assert apis[index % len(apis)].get("/rl-demo/ping").status_code == 200
    for each in apis:
        assert_rate_limited(each.get("/rl-demo/ping"))


def test_remaining_is_shared_across_prefixes(apis: list[Api], settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_ANON = "100/hour"
    before = remaining_of(apis[0].get("/books"))[1]
    after = remaining_of(apis[-1].get("/books"))[1]
    assert after == before - 1


def test_user_budget_is_shared_across_prefixes(
    apis: list[Api], settings: SettingsWrapper, alice: Account
) -> None:
    settings.RATE_LIMIT_USER = "3/hour"
    tokens = apis[0].login(alice.username)
    for index in range(3):
        assert apis[index % len(apis)].get("/auth/me", headers=tokens.headers).status_code == 200
    for each in apis:
        assert_rate_limited(each.get("/auth/me", headers=tokens.headers))


# --- client identity: X-Forwarded-For -----------------------------------------------------------


def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    api: Api, settings: SettingsWrapper
) -> None:
    settings.TRUSTED_PROXIES = []
    settings.RL_DEMO_PING = "2/hour"
    api.get("/rl-demo/ping", headers={"X-Forwarded-For": "198.51.100.1"})
    api.get("/rl-demo/ping", headers={"X-Forwarded-For": "198.51.100.2"})
    assert_rate_limited(api.get("/rl-demo/ping", headers={"X-Forwarded-For": "198.51.100.3"}))


def test_forwarded_for_from_a_trusted_proxy_picks_the_bucket(
    api: Api, settings: SettingsWrapper
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.RL_DEMO_PING = "2/hour"
    proxy = api.with_peer("10.1.2.3")
    client_a = {"X-Forwarded-For": "198.51.100.1"}
    client_b = {"X-Forwarded-For": "198.51.100.2"}
    assert proxy.get("/rl-demo/ping", headers=client_a).status_code == 200
    assert proxy.get("/rl-demo/ping", headers=client_a).status_code == 200
    assert_rate_limited(proxy.get("/rl-demo/ping", headers=client_a))
    assert proxy.get("/rl-demo/ping", headers=client_b).status_code == 200


def test_a_trusted_proxy_chain_uses_the_rightmost_untrusted_address(
    api: Api, settings: SettingsWrapper
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.RL_DEMO_PING = "1/hour"
    proxy = api.with_peer("10.1.2.3")
    # The leftmost entry is whatever the client claimed; 198.51.100.7 is what
    # our own proxy (10.9.9.9) saw, so that is the client.
    proxy.get("/rl-demo/ping", headers={"X-Forwarded-For": "203.0.113.1, 198.51.100.7, 10.9.9.9"})
    spoofed = proxy.get(
        "/rl-demo/ping", headers={"X-Forwarded-For": "203.0.113.99, 198.51.100.7, 10.9.9.9"}
    )
    assert_rate_limited(spoofed)


def test_peers_have_separate_buckets(api: Api, settings: SettingsWrapper) -> None:
    settings.RL_DEMO_PING = "1/hour"
    api.with_peer("192.0.2.1").get("/rl-demo/ping")
    assert_rate_limited(api.with_peer("192.0.2.1").get("/rl-demo/ping"))
    assert api.with_peer("192.0.2.2").get("/rl-demo/ping").status_code == 200
