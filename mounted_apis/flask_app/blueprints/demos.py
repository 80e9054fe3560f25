"""/rl-demo and /bf-demo: watch rate limiting and lockouts happen.

The logic is throttling.demo (shared with DRF and FastAPI). What is worth
reading here is the policy each `@rate_limited` names: the /rl-demo
endpoints spend budgets of their own, per client IP, not the default one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from throttling import demo

from ..openapi import answers, documented
from ..parsing import fields, json_object, string
from ..ratelimit import login_sim_policy, ping_policy, rate_limited, request_client_ip
from ..schemas import (
    BfDemoLogin,
    BfDemoLoginEnvelope,
    BfDemoStatusEnvelope,
    BfDemoStatusQuery,
    MessageEnvelope,
)

bp = Blueprint("demos", __name__)

# Presence and JSON type only; an empty value is just a wrong credential.
BF_DEMO_LOGIN_FIELDS = {"username": string(), "password": string()}


@bp.get("/rl-demo/ping")
@documented("demos", auth="optional", resp=answers(
    (200, MessageEnvelope, "Pong."), 401, 429, 503))
@rate_limited(ping_policy)
def ping() -> dict[str, Any]:
    """Rate-limit demo: a relaxed limit

    Limited to `RL_DEMO_PING` (default 10 a minute) per client IP, a budget of its
    own. Try it: call this 11 times within a minute and watch the `RateLimit` header's
    `r` (remaining) count down to 0, then the 429 `rate_limited` with `Retry-After`
    (seconds until the window resets, the same as `t`). `RateLimit-Policy` shows the
    quota `q` and the window `w`.
    """
    return {"data": demo.PING_BODY}


@bp.post("/rl-demo/login-sim")
@documented("demos", auth="optional", resp=answers(
    (200, MessageEnvelope, "Counted."), 401, 429, 503))
@rate_limited(login_sim_policy)
def login_sim() -> dict[str, Any]:
    """Rate-limit demo: a strict limit, as a login endpoint would have

    Limited to `RL_DEMO_LOGIN_SIM` (default 3 a minute) per client IP. No credentials
    are involved: it only shows a login's strict budget. Try it: POST 4 times within
    a minute; the fourth answers 429 `rate_limited`.
    """
    return {"data": demo.LOGIN_SIM_BODY}


@bp.post("/bf-demo/login")
@documented("demos", auth="optional", json=BfDemoLogin, resp=answers(
    (200, BfDemoLoginEnvelope, "The right pair."), 400, 401, 413, 422, 429, 503))
@rate_limited()
def bf_demo_login() -> dict[str, Any]:
    """Brute-force demo: a login with lockout

    Checks a fixed demo pair (username `demo`, password `correct-horse`; not a real
    account) with the token endpoint's lockout rules and its own counters. Try it:
    send a wrong password 5 times (`LOGIN_MAX_FAILURES`): 401 each time. The 6th
    attempt answers 429 `locked_out` with `Retry-After`, even with the right password,
    for `LOGIN_LOCKOUT` seconds, for that username and for your IP. A success clears
    the counters. Watch them with `GET /bf-demo/status`.
    """
    values = fields(json_object(), BF_DEMO_LOGIN_FIELDS)
    body = demo.bf_demo_login(
        username=values["username"], password=values["password"], ip=request_client_ip()
    )
    return {"data": body}


@bp.get("/bf-demo/status")
@documented("demos", auth="optional", query=BfDemoStatusQuery, resp=answers(
    (200, BfDemoStatusEnvelope, "The counters."), 401, 429, 503))
@rate_limited()
def bf_demo_status() -> dict[str, Any]:
    """Brute-force demo: your counters and lock

    Failures counted for your IP (and for `username`, when given) since the last
    success, the maximum, and whether a lock is in force and until when.
    """
    body = demo.bf_demo_status(username=request.args.get("username"), ip=request_client_ip())
    return {"data": body}
