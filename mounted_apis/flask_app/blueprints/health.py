"""GET /health: the same database and cache checks as /health, through Flask."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from common.health import health_report

from ..auth import ignore_credentials

bp = Blueprint("health", __name__)


@bp.get("/health")
@ignore_credentials  # not authenticated, not rate limited: monitors poll it
def health() -> tuple[dict[str, Any], int]:
    status, body = health_report()
    return body, status
