"""/rl-demo and /bf-demo: watch rate limiting and lockouts happen.

The logic is throttling.demo (shared with DRF and FastAPI). What is worth
reading here is the policy each `@rate_limited` names: the /rl-demo
endpoints spend budgets of their own, per client IP, not the default one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from throttling import demo

from ..parsing import String, json_object, query_params, validate
from ..ratelimit import login_sim_policy, ping_policy, rate_limited, request_client_ip

bp = Blueprint("demos", __name__)

# Presence and JSON type only; an empty value is just a wrong credential.
BF_DEMO_LOGIN = {"username": String(), "password": String()}


@bp.get("/rl-demo/ping")
@rate_limited(ping_policy)
def ping() -> dict[str, Any]:
    """RL_DEMO_PING (default 10/minute) per client IP; the 11th call is a 429."""
    return {"data": demo.PING_BODY}


@bp.post("/rl-demo/login-sim")
@rate_limited(login_sim_policy)
def login_sim() -> dict[str, Any]:
    """RL_DEMO_LOGIN_SIM (default 3/minute) per client IP: a login's strict budget."""
    return {"data": demo.LOGIN_SIM_BODY}


@bp.post("/bf-demo/login")
@rate_limited()
def bf_demo_login() -> dict[str, Any]:
    """The fixed demo pair, with the token endpoint's lockout rules and own counters.

    :raise 401: wrong pair.
    :raise 429: locked out (`locked_out`, Retry-After).
    """
    values = validate(json_object(), BF_DEMO_LOGIN)
    body = demo.bf_demo_login(
        username=values["username"], password=values["password"], ip=request_client_ip()
    )
    return {"data": body}


@bp.get("/bf-demo/status")
@rate_limited()
def bf_demo_status() -> dict[str, Any]:
    """The caller's counters and lock (per IP, and per `?username=` if given)."""
    body = demo.bf_demo_status(username=query_params().get("username"), ip=request_client_ip())
    return {"data": body}
