"""`dev.py serve` and the systemd unit start uvicorn with the same flags (config/serving.py)."""

from __future__ import annotations

import shlex
from pathlib import Path

from django.conf import settings

from config.serving import server_command

UNIT_FILE = Path(settings.BASE_DIR) / "deploy" / "systemd" / "books-api@.service"
# What differs by design: where it listens and how many workers.
_PER_INSTANCE = {"--host", "--port", "--workers"}


def _flags(command: list[str]) -> dict[str, str | None]:
    """`--name value` and bare `--name` flags of a uvicorn command line."""
    flags: dict[str, str | None] = {}
    for index, word in enumerate(command):
        if word.startswith("--") and word not in _PER_INSTANCE:
            following = command[index + 1] if index + 1 < len(command) else "--"
            flags[word] = None if following.startswith("--") else following
    return flags


def test_the_unit_runs_the_same_server_as_dev_serve() -> None:
    exec_start = next(
        line.removeprefix("ExecStart=")
        for line in UNIT_FILE.read_text().splitlines()
        if line.startswith("ExecStart=")
    )
    unit = shlex.split(exec_start.replace("%i", "8001"))
    shipped = server_command("python", host="127.0.0.1", port=8001)

    assert _flags(unit) == _flags(shipped)
    assert _flags(shipped)["--http"] == "common.asgi.http_protocol:EdgeHttpProtocol"


def test_the_unit_waits_for_ready_and_drains_longer_than_nginx_keeps_a_process_out() -> None:
    text = UNIT_FILE.read_text()
    assert "ExecStartPost=" in text and "/ready" in text
    drain = int(text.split("Environment=SHUTDOWN_DRAIN_SECONDS=")[1].split()[0])
    site = (Path(settings.BASE_DIR) / "deploy" / "nginx" / "books-api.conf").read_text()
    fail_timeouts = {int(part.split("s")[0]) for part in site.split("fail_timeout=")[1:]}
    assert fail_timeouts and drain > max(fail_timeouts)


def test_nginx_lets_go_of_idle_connections_before_the_app_closes_them() -> None:
    """nginx's idle upstream connections close before uvicorn's keep-alive and the drain end.

    A connection the app closes while nginx sends a POST on it is a 502 that
    nginx does not retry (the rolling restart test saw one in CI).
    """
    unit = UNIT_FILE.read_text()
    drain = int(unit.split("Environment=SHUTDOWN_DRAIN_SECONDS=")[1].split()[0])
    shipped = _flags(server_command("python", host="127.0.0.1", port=8001))
    app_keep_alive = int(str(shipped["--timeout-keep-alive"]))
    site = (Path(settings.BASE_DIR) / "deploy" / "nginx" / "books-api.conf").read_text()
    upstream = site.split("upstream books_api {")[1].split("}")[0]
    lines = [line.split("#")[0].strip() for line in upstream.splitlines()]
    idle = [line for line in lines if line.startswith("keepalive_timeout ")]
    assert len(idle) == 1, "the upstream block sets keepalive_timeout (nginx's default is 60 s)"
    nginx_idle = int(idle[0].split()[1].rstrip(";").removesuffix("s"))
    assert nginx_idle < app_keep_alive and nginx_idle < drain
