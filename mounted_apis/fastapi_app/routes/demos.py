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
from ..docs import contract
from ..routing import ContractRoute
from ..schemas import BfDemoLogin, BfDemoLoginEnvelope, BfDemoStatusEnvelope, MessageEnvelope

router = APIRouter(route_class=ContractRoute)


@router.get(
    "/rl-demo/ping",
    dependencies=[Depends(ping_rate_limit)],
    **contract("ping"),
)
async def ping() -> MessageEnvelope:
    return MessageEnvelope.model_validate({"data": demo.PING_BODY})


@router.post(
    "/rl-demo/login-sim",
    dependencies=[Depends(login_sim_rate_limit)],
    **contract("login_sim"),
)
async def login_sim() -> MessageEnvelope:
    return MessageEnvelope.model_validate({"data": demo.LOGIN_SIM_BODY})


@router.post(
    "/bf-demo/login",
    dependencies=[Depends(default_rate_limit)],
    **contract("bf_demo_login"),
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
    dependencies=[Depends(default_rate_limit)],
    **contract("bf_demo_status"),
)
async def bf_demo_status(
    request: Request,
    # Documented from the declaration (common.openapi_contract.query_parameters).
    username: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> BfDemoStatusEnvelope:
    body = await run_sync(demo.bf_demo_status, username=username, ip=request_client_ip(request))
    return BfDemoStatusEnvelope.model_validate({"data": body})
