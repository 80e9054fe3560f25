"""LOG_FORMAT: json by default in production, text in development, refused when unknown."""

from __future__ import annotations

import pytest

from .test_deploy_settings import PRODUCTION, manage

PRINT_FORMAT = "from django.conf import settings; print(settings.LOG_FORMAT)"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (PRODUCTION, "json"),
        ({**PRODUCTION, "LOG_FORMAT": "text"}, "text"),
        ({"DEBUG": "true"}, "text"),
    ],
)
def test_the_default_follows_debug(env: dict[str, str], expected: str) -> None:
    result = manage("shell", "-c", PRINT_FORMAT, env={"LOG_FORMAT": "", **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected  # after the shell's own notes


def test_an_unknown_format_stops_the_start() -> None:
    result = manage("check", env={"DEBUG": "true", "LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LOG_FORMAT='xml' is invalid: expected one of json, text" in result.stderr
