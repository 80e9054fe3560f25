"""Redis Sentinel and Cluster settings: the cache they build, and what stops the start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _settings_with(**variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "REDIS_URL", "REDIS_SENTINELS", "REDIS_CLUSTER"}}
    environment.update({"TESTING": "1", **variables})
    code = ("import django, json; django.setup(); from django.conf import settings; "
            "c = settings.CACHES['default']; "
            "print(json.dumps([c['LOCATION'], c['OPTIONS'].get('CLIENT_CLASS'), "
            "c['OPTIONS'].get('SENTINELS')]))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_sentinels_name_the_master_in_the_location() -> None:
    result = _settings_with(REDIS_URL="redis://:s3cret@ignored:6379/2",
                            REDIS_SENTINELS="10.0.0.5:26379, 10.0.0.6:26380",
                            REDIS_SENTINEL_MASTER="books", DJANGO_SETTINGS_MODULE="config.settings")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["redis://:s3cret@books/2", "django_redis.client.SentinelClient", '
        '[["10.0.0.5", 26379], ["10.0.0.6", 26380]]]'
    )


def test_sentinels_without_redis_url_use_database_zero() -> None:
    result = _settings_with(REDIS_SENTINELS="127.0.0.1:26379",
                            DJANGO_SETTINGS_MODULE="config.settings")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('["redis://mymaster/0", "django_redis.client.SentinelClient"')


@pytest.mark.parametrize("value", ["10.0.0.5", "10.0.0.5:port", ":26379", "10.0.0.5:70000"])
def test_a_bad_sentinel_list_stops_the_start(value: str) -> None:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "REDIS_URL", "REDIS_SENTINELS", "REDIS_CLUSTER"}}
    environment.update(TESTING="1", REDIS_SENTINELS=value)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode != 0
    assert "Configuration error: REDIS_SENTINELS=" in result.stderr, result.stderr
    assert "host:port" in result.stderr
    assert "Traceback" not in result.stderr


def test_cluster_uses_the_cluster_client_on_the_node_given() -> None:
    result = _settings_with(REDIS_URL="redis://10.0.0.5:7000/0", REDIS_CLUSTER="yes",
                            DJANGO_SETTINGS_MODULE="config.settings")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["redis://10.0.0.5:7000/0", "common.redis_cluster.ClusterCacheClient", null]'
    )


@pytest.mark.parametrize("variables", [
    {"REDIS_CLUSTER": "maybe", "REDIS_URL": "redis://10.0.0.5:7000/0"},
    {"REDIS_CLUSTER": "true"},
    {"REDIS_CLUSTER": "true", "REDIS_URL": "redis://10.0.0.5:7000/2"},
    {"REDIS_CLUSTER": "true", "REDIS_URL": "unix:///run/redis.sock"},
    {"REDIS_CLUSTER": "true", "REDIS_URL": "redis://x/0", "REDIS_SENTINELS": "10.0.0.5:26379"},
])
def test_a_cluster_setting_that_cannot_work_stops_the_start(variables: dict[str, str]) -> None:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "REDIS_URL", "REDIS_SENTINELS", "REDIS_CLUSTER"}}
    environment.update(TESTING="1", **variables)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode != 0
    assert "Configuration error: REDIS_CLUSTER=" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
