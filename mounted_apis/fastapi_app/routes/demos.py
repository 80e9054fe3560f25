"""/rl-demo and /bf-demo: watch rate limiting and lockouts happen.

The logic is `throttling.demo` (shared with the other prefixes); what is
worth reading here is which RateLimit dependency each route has: the two
/rl-demo routes spend budgets of their own, per client IP.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic.json_schema import SkipJsonSchema

from throttling import demo

from ..db import run_db, run_sync
from ..deps import ClientIP, login_sim_rate_limit, ping_rate_limit, rate_limit
from ..json_request import ContractRoute
from ..responses import errors
from ..schemas import BfDemoLogin, BfDemoLoginEnvelope, BfDemoStatusEnvelope, MessageEnvelope

router = APIRouter(tags=["demos"], route_class=ContractRoute)

# The token is optional at every demo (`{}`): it only chooses whose budget is spent.
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}]}


@router.get(
    "/rl-demo/ping",
    dependencies=[Depends(ping_rate_limit)],
    summary="Rate-limit demo: a relaxed limit",
    response_description="Pong.",
    responses=errors(401, 429, 503),
    openapi_extra=OPTIONAL_TOKEN,
)
async def ping() -> MessageEnvelope:
    """Limited to `RL_DEMO_PING` (default 10 a minute) per client IP, a budget of its own. Try it: call this 11 times within a minute and watch the `RateLimit` header's `r` (remaining) count down to 0, then the 429 `rate_limited` with `Retry-After` (seconds until the window resets, the same as `t`). `RateLimit-Policy` shows the quota `q` and the window `w`."""  # noqa: E501
    return MessageEnvelope.model_validate({"data": demo.PING_BODY})


@router.post(
    "/rl-demo/login-sim",
    dependencies=[Depends(login_sim_rate_limit)],
    summary="Rate-limit demo: a strict limit, as a login endpoint would have",
    response_description="Counted.",
    responses=errors(401, 429, 503),
    openapi_extra=OPTIONAL_TOKEN,
)
async def login_sim() -> MessageEnvelope:
    """Limited to `RL_DEMO_LOGIN_SIM` (default 3 a minute) per client IP. No credentials are involved: it only shows a login's strict budget. Try it: POST 4 times within a minute; the fourth answers 429 `rate_limited`."""  # noqa: E501
    return MessageEnvelope.model_validate({"data": demo.LOGIN_SIM_BODY})


@router.post(
    "/bf-demo/login",
    dependencies=[Depends(rate_limit)],
    summary="Brute-force demo: a login with lockout",
    response_description="The right pair.",
    responses=errors(400, 401, 413, 422, 429, 503),
    openapi_extra=OPTIONAL_TOKEN,
)
async def bf_demo_login(payload: BfDemoLogin, ip: ClientIP) -> BfDemoLoginEnvelope:
    """Checks a fixed demo pair (username `demo`, password `correct-horse`; not a real account) with the token endpoint's lockout rules and its own counters. Try it: send a wrong password 5 times (`LOGIN_MAX_FAILURES`): 401 each time. The 6th attempt answers 429 `locked_out` with `Retry-After`, even with the right password, for `LOGIN_LOCKOUT` seconds, for that username and for your IP. A success clears the counters. Watch them with `GET /bf-demo/status`."""  # noqa: E501
    body = await run_db(demo.bf_demo_login, username=payload.username,
                        password=payload.password, ip=ip)
    return BfDemoLoginEnvelope.model_validate({"data": body})


@router.get(
    "/bf-demo/status",
    dependencies=[Depends(rate_limit)],
    summary="Brute-force demo: your counters and lock",
    response_description="The counters.",
    responses=errors(401, 429, 503),
    openapi_extra=OPTIONAL_TOKEN,
)
async def bf_demo_status(
    ip: ClientIP,
    username: Annotated[
        str | SkipJsonSchema[None], Query(description="Also show this username's counters.")
    ] = None,
) -> BfDemoStatusEnvelope:
    """Failures counted for your IP (and for `username`, when given) since the last success, the maximum, and whether a lock is in force and until when."""  # noqa: E501
    body = await run_sync(demo.bf_demo_status, username=username, ip=ip)
    return BfDemoStatusEnvelope.model_validate({"data": body})
