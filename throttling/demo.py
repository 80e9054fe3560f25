"""The demo endpoints' logic, framework-neutral: DRF, FastAPI and Flask call these.

/rl-demo/* need no logic beyond their rate-limit policy (see limiter.py); the
brute-force demo checks a fixed credential pair through its own LoginGuard,
with exactly the rules of the real token endpoint. It is not an account:
nothing here touches the user table.
"""

from __future__ import annotations

from typing import Any

from django.utils.crypto import constant_time_compare

from common.errors import NotAuthenticated
from throttling.lockout import bf_demo_guard, normalize_username

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "correct-horse"
MSG_INVALID_CREDENTIALS = "Invalid username or password."

PING_BODY = {"message": "pong"}
LOGIN_SIM_BODY = {"message": "login simulated"}


def _demo_credentials_match(username: str, password: str) -> bool:
    # Both comparisons always run, in constant time: the answer's timing says
    # nothing about which half was wrong.
    name_ok = constant_time_compare(normalize_username(username), DEMO_USERNAME)
    password_ok = constant_time_compare(password, DEMO_PASSWORD)
    return name_ok and password_ok


def bf_demo_login(*, username: str, password: str, ip: str) -> dict[str, Any]:
    """Log in to the demo: `{"authenticated": True}` or an error.

    :raise LockedOut: too many failures for this username or from this IP (429).
    :raise NotAuthenticated: wrong pair (401 "Invalid username or password.").
    :raise ServiceUnavailable: the cache is down (503).
    """
    ok = bf_demo_guard.attempt(
        username, ip, lambda: _demo_credentials_match(username, password)
    )
    if not ok:
        raise NotAuthenticated(MSG_INVALID_CREDENTIALS)
    return {"authenticated": True}


def bf_demo_status(*, username: str | None, ip: str) -> dict[str, Any]:
    """The caller's counters and lock state (per IP, and per username if given)."""
    return bf_demo_guard.status(username or None, ip)
