"""GET /health: the same database and cache checks as /health, through FastAPI."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from common.health import health_report

from ..db import run_db
from ..docs import contract
from ..routing import ContractRoute
from ..schemas import HealthReport

# Not rate limited, like DRF's health view: monitors poll it.
router = APIRouter(route_class=ContractRoute)


@router.get(
    "/health",
    response_model=HealthReport,
    **contract("health"),
)
async def health() -> JSONResponse:
    status, body = await run_db(health_report)
    return JSONResponse(body, status_code=status)
