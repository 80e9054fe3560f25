"""Settings are checked when they load: a bad value stops the process at start.

`manage.py check` runs in a subprocess with one bad variable, so the real
start-up path is tested (settings import, manage.py's one-line error).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import env

ROOT = Path(__file__).resolve().parents[3]


def _check(**variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    # TESTING: development keys are generated (no SECRET_KEY needed here).
    environment.update({"TESTING": "1", **variables})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("RATE_LIMIT_ANON", "abc", "N/minute"),
        ("RATE_LIMIT_USER", "10/fortnight", "N/minute"),
        ("RL_DEMO_PING", "0/minute", "N/minute"),
        ("RATE_LIMIT_PASSWORD_RESET", "five/hour", "N/minute"),
        ("ACCESS_TOKEN_LIFETIME", "-5", "seconds"),
        ("REFRESH_TOKEN_LIFETIME", "soon", "seconds"),
        ("LOGIN_LOCKOUT", "0", "seconds"),
        ("LOGIN_MAX_FAILURES", "0", "at least 1"),
        ("DATABASE_URL", "postgress://u:secret@db/books", "postgres://"),
        ("REDIS_URL", "localhost:6379", "redis://"),
        ("EMAIL_URL", "smtp://user:secret@mail.example.org:port", "host:port"),
        ("EMAIL_URL", "http://mail.example.org", "smtp://"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(
    name: str, value: str, expected: str
) -> None:
    result = _check(**{name: value})
    assert result.returncode != 0
    message = result.stderr.strip()
    assert message.startswith(f"Configuration error: {name}="), message
    assert expected in message
    assert "Traceback" not in result.stderr  # one line, not a stack
    assert "secret" not in message  # passwords in URLs are masked


def test_good_values_start() -> None:
    result = _check(
        RATE_LIMIT_ANON="50/second", ACCESS_TOKEN_LIFETIME="60",
        EMAIL_URL="smtp://user:p%40ss@mail.example.org:2525",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_email_url_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(url: str) -> dict:
        monkeypatch.setenv("EMAIL_URL", url)
        return env.email_settings()

    assert parse("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert parse("locmem://")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    smtp = parse("smtp://me%40example.org:p%40ss@mail.example.org")
    assert smtp["EMAIL_HOST"] == "mail.example.org" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "me@example.org" and smtp["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert smtp["EMAIL_USE_TLS"] and not smtp["EMAIL_USE_SSL"]
    smtps = parse("smtps://mail.example.org")
    assert smtps["EMAIL_PORT"] == 465 and smtps["EMAIL_USE_SSL"] and not smtps["EMAIL_USE_TLS"]
    assert not parse("smtp://relay:25?tls=false")["EMAIL_USE_TLS"]
    assert parse("file:///tmp/mail")["EMAIL_FILE_PATH"] == "/tmp/mail"
    monkeypatch.delenv("EMAIL_URL")
    assert env.email_settings()["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_redact_masks_only_the_password() -> None:
    assert env.redact("postgres://u:secret@db:5432/x") == "postgres://u:***@db:5432/x"
    assert env.redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


# Values that used to slip through: read as a quiet default, accepted and then
# failing every request, or dying with a bare traceback.
SLIPPED_THROUGH = [
    ("DEBUG", "maybe", "true/false"),
    ("SECURE_SSL_REDIRECT", "ture", "true/false"),
    ("MAX_BODY_BYTES", "-5", "at least 1"),
    ("DJANGO_WORKERS", "ten", "whole number"),
    ("DATABASE_URL", "mysql2://u:secret@db/books", "postgres://"),
    ("TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip", "IP addresses"),
    ("PUBLIC_URL", "books.example.com", "https://"),
    ("LOG_LEVEL", "loud", "one of debug"),
]


@pytest.mark.parametrize(("name", "value", "expected"), SLIPPED_THROUGH)
def test_values_that_used_to_slip_through_stop_the_start(
    name: str, value: str, expected: str
) -> None:
    result = _check(**{name: value})
    assert result.returncode != 0
    assert result.stderr.strip().startswith(f"Configuration error: {name}="), result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr


def test_an_empty_allowed_hosts_stops_a_production_start() -> None:
    result = _check(
        TESTING="", DEBUG="false", ALLOWED_HOSTS=" , ",
        SECRET_KEY="x" * 50, JWT_SIGNING_KEY="y" * 48,
    )
    assert result.returncode != 0
    assert result.stderr.strip().startswith("Configuration error: ALLOWED_HOSTS="), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["TRUE", "Yes", "on", "1"])
def test_booleans_read_in_any_case(value: str) -> None:
    result = _check(DEBUG=value)
    assert result.returncode == 0, result.stderr


ENTRY_POINTS = {
    # The server's own entry point: config/asgi.py under uvicorn.
    "uvicorn": [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", "0"],
    # The README's first command: it runs migrate first, whose one line is the message.
    "dev.py serve": [sys.executable, "dev.py", "serve", "--port", "0"],
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("RATE_LIMIT_ANON", "abc", "N/minute"),
        # Each value reaches every entry point the same way; one is enough by default.
        *(pytest.param(*case, marks=pytest.mark.slow) for case in SLIPPED_THROUGH),
    ],
)
def test_every_entry_point_stops_with_one_line_naming_the_variable(
    entry_point: str, name: str, value: str, expected: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update({"TESTING": "1", name: value})
    result = subprocess.run(
        ENTRY_POINTS[entry_point], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert f"Configuration error: {name}=" in result.stderr, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr
