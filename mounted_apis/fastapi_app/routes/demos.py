"""/rl-demo and /bf-demo: watch rate limiting and lockouts happen.

The logic is throttling.demo (shared with DRF); the interesting part of
/rl-demo/* is which RateLimit dependency each route has: their own per-IP
budgets, not the default one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from throttling import demo

from ..db import run_db, run_sync
from ..deps import default_rate_limit, login_sim_rate_limit, ping_rate_limit, request_client_ip
from ..docs import error_responses
from ..routing import ContractRoute
from ..schemas import BfDemoLogin, BfDemoLoginEnvelope, BfDemoStatusEnvelope, MessageEnvelope

router = APIRouter(tags=["demos"], route_class=ContractRoute)


@router.get(
    "/rl-demo/ping",
    summary="Rate-limit demo: a relaxed limit",
    description="Limited to `RL_DEMO_PING` (default 10/minute) per client IP. Call it 11 "
    "times within a minute: watch `RateLimit`'s `r` count down, then the 429.",
    dependencies=[Depends(ping_rate_limit)],
    responses=error_responses(429),
)
async def ping() -> MessageEnvelope:
    return MessageEnvelope.model_validate({"data": demo.PING_BODY})


@router.post(
    "/rl-demo/login-sim",
    summary="Rate-limit demo: a strict limit, as a login endpoint would have",
    description="Limited to `RL_DEMO_LOGIN_SIM` (default 3/minute) per client IP.",
    dependencies=[Depends(login_sim_rate_limit)],
    responses=error_responses(429),
)
async def login_sim() -> MessageEnvelope:
    return MessageEnvelope.model_validate({"data": demo.LOGIN_SIM_BODY})


@router.post(
    "/bf-demo/login",
    summary="Brute-force demo: a login with lockout",
    description="A fixed demo pair (username `demo`, password `correct-horse`; not a real "
    "account), the token endpoint's lockout rules, its own counters. Five wrong passwords, "
    "then 429 `locked_out` even with the right one.",
    dependencies=[Depends(default_rate_limit)],
    responses=error_responses(400, 401, 422, 429, 503),
)
async def bf_demo_login(payload: BfDemoLogin, request: Request) -> BfDemoLoginEnvelope:
    body = await run_db(
        demo.bf_demo_login,
        username=payload.username,
        password=payload.password,
        ip=request_client_ip(request),
    )
    return BfDemoLoginEnvelope.model_validate({"data": body})


@router.get(
    "/bf-demo/status",
    summary="Brute-force demo: your counters and lock",
    dependencies=[Depends(default_rate_limit)],
    responses=error_responses(429, 503),
)
async def bf_demo_status(
    request: Request,
    username: Annotated[str | None, Query(description="Also show this username.")] = None,
) -> BfDemoStatusEnvelope:
    body = await run_sync(demo.bf_demo_status, username=username, ip=request_client_ip(request))
    return BfDemoStatusEnvelope.model_validate({"data": body})
