"""The log formatters and LOG_FORMAT's choice (common/logs.py)."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from common.asgi.metrics import readable_route
from common.logs import JsonFormatter, logging_config


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_extra_fields_at_the_top_level() -> None:
    line = json.loads(JsonFormatter().format(_record(status=200, user_id=None)))
    assert line["message"] == "GET /x"
    assert line["logger"] == "access" and line["level"] == "INFO"
    assert line["status"] == 200 and line["user_id"] is None
    assert "args" not in line and "msg" not in line  # LogRecord's own attributes stay out


def test_json_lines_keep_exceptions_on_one_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "RuntimeError: boom" in json.loads(text)["exception"]


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_logging_config_names_one_formatter(log_format: str) -> None:
    config = logging_config(log_format=log_format, level="INFO")
    assert config["handlers"]["console"]["formatter"] == log_format
    assert list(config["formatters"]) == [log_format]


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/drf/books$", "api/drf/books"),
        ("api/drf/books/(?P<id>[0-9]+)$", "api/drf/books/{id}"),
        ("api/drf/users/<int:id>", "api/drf/users/<int:id>"),
    ],
)
def test_drf_router_regexes_become_templates(route: str, template: str) -> None:
    assert readable_route(route) == template
