"""GET /health: the same database and cache checks as /health, through FastAPI."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from common.health import health_report

from ..db import run_db
from ..routing import ContractRoute
from ..schemas import HealthReport

# Not rate limited, like DRF's health view: monitors poll it.
router = APIRouter(tags=["health"], route_class=ContractRoute)


@router.get(
    "/health",
    summary="Database and cache checks",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A dependency is down."}},
)
async def health() -> JSONResponse:
    status, body = await run_db(health_report)
    return JSONResponse(body, status_code=status)
