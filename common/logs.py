"""Log formatters: one JSON object per line in production, readable text in development.

config/settings.py picks one with `LOG_FORMAT=json|text` (default: json when
DEBUG is off). Every logger of the process goes through the chosen one, so a
log collector reads the access lines (common/asgi/request_log.py) and the
frameworks' own warnings alike.

The fields a caller passes with `extra={...}` become top-level JSON keys:

    logger.info("GET /api/drf/books 200", extra={"status": 200, "route": "..."})
    {"time": "...", "level": "INFO", "logger": "access", "message": "GET ...",
     "status": 200, "route": "..."}
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

LOG_FORMATS = ("json", "text")

# The attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time, level, logger, message, then the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # default=str: an odd `extra` value (a UUID, a Path) must not lose the line.
        return json.dumps(line, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING dict for `log_format` ("json" or "text")."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    formatter: dict[str, Any] = (
        {"()": "common.logs.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {log_format: formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["console"], "level": level},
    }
