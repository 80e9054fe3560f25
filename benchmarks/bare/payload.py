"""The JSON every bare app serves: read once, at start, from BENCH_PAYLOAD_FILE."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PAYLOAD_ENV = "BENCH_PAYLOAD_FILE"


def load_payload() -> dict[str, Any]:
    """The project's first page of books, as the dict a view would return."""
    path = os.environ.get(PAYLOAD_ENV, "")
    if not path:
        raise RuntimeError(f"{PAYLOAD_ENV} must name a JSON file (manage.py bench writes one)")
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(payload, dict):
        raise RuntimeError(f"{path} must hold a JSON object")
    return payload


def compact_json(payload: dict[str, Any]) -> bytes:
    """The bytes FastAPI's, Flask's and DRF's JSON renderers would produce."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
