"""DATABASE_REPLICA_URL and DB_PGBOUNCER are checked at start like DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRIMARY = "postgres://u:secret@db.example.org:5432/books"


def _run(code: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "DB_PGBOUNCER"}
    }
    environment.update({"TESTING": "1", **variables})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=120,
    )


_START = "from config.env import exit_on_setting_error; import django; " \
         "exit_on_setting_error(django.setup); "
_SHOW = _START + "from django.conf import settings as s; " \
        "print(sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', []), " \
        "s.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS'))"


def _settings(**variables: str) -> str:
    result = _run(_SHOW, DJANGO_SETTINGS_MODULE="config.settings", **variables)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_replica_by_default_and_no_router() -> None:
    assert _settings(DATABASE_URL=PRIMARY) == "['default'] [] False"


def test_a_replica_adds_the_alias_and_the_router() -> None:
    shown = _settings(DATABASE_URL=PRIMARY,
                      DATABASE_REPLICA_URL="postgres://u:secret@replica.example.org/books")
    assert shown == "['default', 'replica'] ['common.db_router.ReplicaRouter'] False"


def test_pgbouncer_turns_server_side_cursors_off() -> None:
    assert _settings(DATABASE_URL=PRIMARY, DB_PGBOUNCER="true").endswith("True")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": "mysql://u:secret@db/books"},
         "postgres://"),
        ({"DATABASE_REPLICA_URL": "postgres://u:secret@replica/books"},
         "replica of a PostgreSQL DATABASE_URL"),
        ({"DATABASE_URL": PRIMARY, "DB_PGBOUNCER": "maybe"}, "true/false"),
    ],
)
def test_a_bad_value_stops_the_start_in_one_line(variables: dict[str, str], expected: str) -> None:
    result = _run(_START, DJANGO_SETTINGS_MODULE="config.settings", **variables)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert message.startswith("Configuration error: "), message
    assert expected in message
    assert "Traceback" not in result.stderr
    assert "secret" not in message
