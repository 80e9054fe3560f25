"""LOG_SQL=true: every statement a request runs is logged with the request's id, at every prefix."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from starlette.testclient import TestClient

from common import sql_log
from config import env
from config.env import SettingError
from tests.contract.conftest import PREFIXES, Account

REQUEST_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def logged_app() -> Any:
    """The composed application as it is built with LOG_SQL on (once for the module)."""
    from django.conf import settings

    from config.asgi import build_application

    previous = settings.LOG_SQL
    settings.LOG_SQL = True
    try:
        return build_application()
    finally:
        settings.LOG_SQL = previous


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_statement_is_logged_with_the_request_id(
    prefix: str, logged_app: Any, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    alice: Account = make_user("alice")
    client = TestClient(logged_app, base_url="http://testserver")
    sql_log.start_logging()  # what config/apps.py does at start with LOG_SQL on
    try:
        with caplog.at_level("INFO", logger="sql"):
            response = client.post(
                f"{prefix}/auth/token",
                data={"grant_type": "password", "username": alice.username,
                      "password": alice.password},
                headers={"X-Request-ID": REQUEST_ID},
            )
    finally:
        sql_log.stop_logging()
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == REQUEST_ID
    lines = [record for record in caplog.records if record.name == "sql"]
    assert any('FROM "accounts_user"' in record.sql for record in lines)  # type: ignore[attr-defined]
    assert all(record.request_id == REQUEST_ID for record in lines)  # type: ignore[attr-defined]
    assert all(record.getMessage().endswith(f"id={REQUEST_ID}") for record in lines)


def test_nothing_is_logged_without_it(
    client: TestClient, make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    make_user("alice")
    with caplog.at_level("INFO", logger="sql"):
        assert client.get("/api/drf/books").status_code == 200
    assert [record for record in caplog.records if record.name == "sql"] == []


def test_a_value_that_is_not_a_flag_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_SQL", "please")
    with pytest.raises(SettingError, match="LOG_SQL='please' is invalid"):
        env.flag("LOG_SQL", False)
    monkeypatch.setenv("LOG_SQL", "yes")
    assert env.flag("LOG_SQL", False) is True


def test_dev_serve_sets_it_with_sql() -> None:
    from django.conf import settings

    result = subprocess.run(
        [sys.executable, "dev.py", "serve", "--help"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert "--sql" in result.stdout and "LOG_SQL=true" in result.stdout
