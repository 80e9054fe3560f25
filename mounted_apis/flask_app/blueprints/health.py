"""GET /health: the same database and cache checks as /health, through Flask."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from common.health import health_report

from ..auth import public
from ..openapi import answers, documented
from ..schemas import HealthReport

bp = Blueprint("health", __name__)


@bp.get("/health")
@documented("health", resp=answers(
    (200, HealthReport, "Both answer."), 503,
    words={503: "A dependency is down: the report names the failing check."}, report=(503,)))
@public  # not authenticated, not rate limited: monitors poll it
def health() -> tuple[dict[str, Any], int]:
    """Database and cache checks

    200 when both answer; 503 names the failing check. Not rate limited.
    """
    status, body = health_report()
    return body, status
