"""What must keep working on any Redis topology, checked against a running server.

The Cluster and Sentinel tests start their own Redis servers and one uvicorn
pointed at them, then call `check_every_redis_feature` through the server:
at every prefix a cached read (MISS, HIT, a write makes the next read a
MISS), a token refused at once after its logout, a lockout; then one rate
budget shared by the three prefixes. The server must run with the
`server_env()` rates, and the users `make_readers()` creates.
"""

from __future__ import annotations

import httpx

from tests.contract.conftest import PASSWORD, PREFIXES

PING_BUDGET = 9
MAX_FAILURES = 2


def server_env() -> dict[str, str]:
    """The rates the checks count on: a small ping budget and lockout, roomy reads."""
    return {"RL_DEMO_PING": f"{PING_BUDGET}/hour", "RATE_LIMIT_ANON": "10000/hour",
            "RATE_LIMIT_USER": "10000/hour", "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
            "LOG_LEVEL": "WARNING"}


def reader_name(prefix: str) -> str:
    return f"reader{len(prefix)}"


def make_readers() -> None:
    """One user per prefix (in the suite's database: the server reads the same one).

    Hashed with Argon2, which the server knows: the tests' own hasher
    (tests/conftest.py, MD5) is not in the server's PASSWORD_HASHERS.
    """
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from accounts.models import User

    hasher = Argon2PasswordHasher()
    for prefix in PREFIXES:
        user = User.objects.create_user(username=reader_name(prefix),
                                        email=f"r{len(prefix)}@x.org")
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])


def _login(client: httpx.Client, prefix: str, username: str, password: str) -> httpx.Response:
    return client.post(f"{prefix}/auth/token", data={
        "grant_type": "password", "username": username, "password": password,
    })


def check_every_redis_feature(client: httpx.Client, *, ping_budget: int | None = PING_BUDGET
                              ) -> None:
    """The checks; `ping_budget=None` when the caller set another `RL_DEMO_PING`."""
    for prefix in PREFIXES:
        username = reader_name(prefix)
        login = _login(client, prefix, username, PASSWORD)
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        # A cached read: MISS, then HIT; a write makes the next read a MISS.
        first, second = client.get(f"{prefix}/books"), client.get(f"{prefix}/books")
        answers = (first.headers.get("X-Cache"), second.headers.get("X-Cache"))
        assert answers == ("MISS", "HIT"), (prefix, answers)
        assert "RateLimit" in second.headers  # counted on this Redis
        title = f"Written at {prefix}"
        created = client.post(f"{prefix}/books", headers=bearer,
                              json={"title": title, "author": "A. Author", "year": 2001})
        assert created.status_code == 201, created.text
        after = client.get(f"{prefix}/books")
        assert after.headers["X-Cache"] == "MISS"
        assert title in [book["title"] for book in after.json()["data"]]
        assert client.get(f"{prefix}/books").headers["X-Cache"] == "HIT"

        # A token vouched for by its snapshot, then refused at once after its logout.
        for _ in range(2):
            assert client.get(f"{prefix}/books", headers=bearer).status_code == 200
        assert client.post(f"{prefix}/auth/logout", headers=bearer).status_code == 204
        assert client.get(f"{prefix}/books", headers=bearer).status_code == 401
        assert client.get(f"{prefix}/auth/me", headers=bearer).status_code == 401

        # A lockout: MAX_FAILURES wrong passwords, then the right one is refused.
        for _ in range(MAX_FAILURES):
            assert _login(client, prefix, username, "wrong-password").status_code == 400
        locked = _login(client, prefix, username, PASSWORD)
        assert locked.status_code == 429, locked.text
        assert locked.json()["error"] == "locked_out"

    if ping_budget is not None:
        # One budget for every prefix: exactly `ping_budget` of them are admitted.
        pings = [client.get(f"{PREFIXES[n % len(PREFIXES)]}/rl-demo/ping")
                 for n in range(ping_budget + len(PREFIXES))]
        assert [p.status_code for p in pings] == [200] * ping_budget + [429] * len(PREFIXES)

    metrics = client.get("/metrics").text
    errors = [line for line in metrics.splitlines()
              if line.startswith("redis_errors_total{") and not line.endswith(" 0.0")]
    assert not errors, errors
