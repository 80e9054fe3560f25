"""GET /health: the same database and cache checks as /ready, through FastAPI."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from common.health import health_report

from ..db import run_sync
from ..schemas import HealthReport

# Not rate limited: monitors poll it.
router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthReport,
    summary="Database and cache checks",
    response_description="Both answer.",
    responses={503: {"model": HealthReport,
                     "description": "A dependency is down: the report names the failing check."}},
)
async def health() -> JSONResponse:
    """200 when both answer; 503 names the failing check. Not rate limited."""
    # Not run_db: a busy pool must not queue the readiness answer (the checks open
    # their own connection and are bounded in time by common.health).
    status, body = await run_sync(health_report)
    return JSONResponse(body, status_code=status)
