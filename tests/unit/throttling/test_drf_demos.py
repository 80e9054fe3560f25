"""The DRF demo endpoints and the default throttle, through the URL conf and middleware.

Without the edge in front (DRF's own test client), the RateLimit headers are
not on the response: the edge writes them from the decision the throttle
records in the request's ASGI scope (common/asgi/notes.py), which these
tests hand in and read instead (`limit_header`).
Through the edge, tests/contract/test_rate_limiting.py checks the headers.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from common.asgi.notes import NOTES_SCOPE_KEY, RequestNotes
from throttling.models import Lockout

PING = "/api/drf/rl-demo/ping"
LOGIN_SIM = "/api/drf/rl-demo/login-sim"
BF_LOGIN = "/api/drf/bf-demo/login"
BF_STATUS = "/api/drf/bf-demo/status"


@pytest.fixture
def notes() -> RequestNotes:
    """What the edge would open for each request (one for the whole test is enough)."""
    return RequestNotes()


def limit_header(notes: RequestNotes, name: str) -> str:
    """The RateLimit header the edge would write for the last counted request."""
    assert notes.rate_limit is not None
    return notes.rate_limit.headers()[name]


@pytest.fixture
def client(notes: RequestNotes) -> APIClient:
    # The scope a2wsgi would pass in the environ, holding the edge's notes.
    environ: dict[str, Any] = {"REMOTE_ADDR": "203.0.113.7",
                               "asgi.scope": {NOTES_SCOPE_KEY: notes}}
    return APIClient(**environ)


def test_ping_counts_down_then_429(
    notes: RequestNotes, client: APIClient, settings
) -> None:
    settings.RL_DEMO_PING = "3/minute"
    for remaining in (2, 1, 0):
        response = client.get(PING)
        assert response.status_code == 200
        assert response.json() == {"data": {"message": "pong"}}
        assert limit_header(notes, "RateLimit-Policy") == '"rl-demo-ping";q=3;w=60'
        assert limit_header(notes, "RateLimit").startswith(f'"rl-demo-ping";r={remaining};t=')

    refused = client.get(PING)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"]["code"] == "rate_limited"
    retry_after = int(refused["Retry-After"])
    reset = int(limit_header(notes, "RateLimit").rsplit("t=", 1)[1])
    assert 1 <= reset <= retry_after <= 60
    assert refused["Cache-Control"] == "no-store"
    assert limit_header(notes, "RateLimit-Policy") == '"rl-demo-ping";q=3;w=60'
    assert limit_header(notes, "RateLimit").startswith('"rl-demo-ping";r=0;')
    assert body["error"]["message"] == f"Too many requests; retry after {retry_after} seconds."


def test_login_sim_has_its_own_strict_budget(
    notes: RequestNotes, client: APIClient, settings
) -> None:
    settings.RL_DEMO_LOGIN_SIM = "1/minute"
    response = client.post(LOGIN_SIM)
    assert response.status_code == 200
    assert response.json() == {"data": {"message": "login simulated"}}
    assert limit_header(notes, "RateLimit-Policy") == '"rl-demo-login-sim";q=1;w=60'
    assert client.post(LOGIN_SIM).status_code == 429
    assert client.get(PING).status_code == 200  # another policy, another budget


def test_each_ip_has_its_own_budget_and_xff_changes_nothing_here(settings) -> None:
    settings.RL_DEMO_PING = "1/minute"
    settings.TRUSTED_PROXIES = []
    first = APIClient(REMOTE_ADDR="198.51.100.1")
    assert first.get(PING).status_code == 200
    # A forged X-Forwarded-For from an untrusted peer changes nothing.
    assert first.get(PING, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    assert APIClient(REMOTE_ADDR="198.51.100.2").get(PING).status_code == 200


def test_default_policy_headers_on_errors_too(
    notes: RequestNotes, client: APIClient, settings
) -> None:
    settings.RATE_LIMIT_ANON = "50/minute"
    response = client.post(BF_LOGIN, {"password": "x"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "username", "message": "This field is required."}
    ]
    assert limit_header(notes, "RateLimit-Policy") == '"anon";q=50;w=60'
    assert limit_header(notes, "RateLimit").startswith('"anon";r=49;t=')


@pytest.mark.django_db  # bf-demo/status reads the lockout records too
def test_default_policy_refuses_with_429(
    notes: RequestNotes, client: APIClient, settings
) -> None:
    settings.RATE_LIMIT_ANON = "2/minute"
    assert client.get(BF_STATUS).status_code == 200
    assert client.get(BF_STATUS).status_code == 200
    refused = client.get(BF_STATUS)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert limit_header(notes, "RateLimit").startswith('"anon";r=0;')


@pytest.mark.django_db
def test_bf_demo_lockout_flow(client: APIClient, settings) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT = 600
    wrong = {"username": "demo", "password": "wrong"}
    for _ in range(3):
        response = client.post(BF_LOGIN, wrong, format="json")
        assert response.status_code == 401
        assert response.json() == {
            "error": {"code": "not_authenticated", "message": "Invalid username or password."}
        }
    status = client.get(BF_STATUS, {"username": "demo"}).json()["data"]
    assert status["locked"] is True and status["max_failures"] == 3

    right = {"username": "demo", "password": "correct-horse"}
    locked = client.post(BF_LOGIN, right, format="json")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    assert 1 <= int(locked["Retry-After"]) <= 600
    # The (username, IP) pair only: the IP's own threshold (LOGIN_MAX_FAILURES_PER_IP) is higher.
    assert [r.scope for r in Lockout.objects.filter(namespace="bf-demo")] == ["username_ip"]


@pytest.mark.django_db
def test_bf_demo_success_clears_counters(client: APIClient) -> None:
    client.post(BF_LOGIN, {"username": "demo", "password": "nope"}, format="json")
    status = client.get(BF_STATUS, {"username": "DEMO"}).json()["data"]
    assert status["failures"] == {"username": 1, "ip": 1}
    assert status["username"] == "demo" and status["ip"] == "203.0.113.7"
    response = client.post(BF_LOGIN, {"username": "demo", "password": "correct-horse"},
                           format="json")
    assert response.status_code == 200
    assert response.json() == {"data": {"authenticated": True}}
    status = client.get(BF_STATUS, {"username": "demo"}).json()["data"]
    # The username's counter only: a success does not wipe the address's failures.
    assert status["failures"] == {"username": 0, "ip": 1}


@pytest.mark.usefixtures("cache_down")
def test_cache_down_fails_open_and_bf_demo_is_503(
    notes: RequestNotes, client: APIClient, settings
) -> None:
    settings.RATE_LIMIT_FAIL_OPEN = True
    response = client.get(PING)
    assert response.status_code == 200
    assert notes.rate_limit is None
    unavailable = client.post(BF_LOGIN, {"username": "demo", "password": "x"}, format="json")
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["code"] == "service_unavailable"
    assert unavailable["Retry-After"] == "30"


@pytest.mark.usefixtures("cache_down")
def test_cache_down_with_fail_open_off_is_503(client: APIClient, settings) -> None:
    settings.RATE_LIMIT_FAIL_OPEN = False
    response = client.get(PING)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_openapi_documents_the_demos(client: APIClient, settings) -> None:
    settings.RATE_LIMIT_ANON = "1000/minute"
    schema = client.get("/api/drf/openapi.json", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (PING, LOGIN_SIM, BF_LOGIN, BF_STATUS):
        assert path in paths
    assert "11 times" in paths[PING]["get"]["description"]
    assert "requestBody" in paths[BF_LOGIN]["post"]
