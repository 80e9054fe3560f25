"""Redis behind Sentinel: a failover under load leaves no limit off and needs no restart.

Started here on free loopback ports: a Redis master, its replica and one
`redis-server --sentinel` watching them; one `uvicorn config.asgi:application`
pointed at the sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER). It first
serves cached reads, logouts and lockouts at every prefix through the
sentinel (tests/contract/redis_features.py); before 2026-12-07 the DRF and
Flask cached reads connected to the URL's host instead and failed open. While
requests to every prefix's rate-limited demo endpoint keep coming,
`SENTINEL FAILOVER` promotes the replica. The same server process then counts
every request on the new master (RateLimit headers again), and the time with
answers that were not counted (fail open) or refused is a few seconds at most.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.contract.conftest import PREFIXES
from tests.contract.redis_features import check_every_redis_feature, make_readers, server_env
from tests.support.network import free_port
from tests.support.processes import UvicornServer

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="needs redis-server (Debian package redis-server)")

MASTER_NAME = "books-cache"
MAX_DISRUPTION_S = 5.0


def _wait_for(condition: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class SentinelSetup:
    master_port: int
    replica_port: int
    sentinel_port: int

    def sentinel(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel_port, socket_timeout=2, decode_responses=True)

    def master_port_now(self) -> int:
        host, port = self.sentinel().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                                     MASTER_NAME)
        return int(port)


@pytest.fixture(scope="module")
def sentinel_setup() -> Iterator[SentinelSetup]:
    setup = SentinelSetup(free_port(), free_port(), free_port())
    with tempfile.TemporaryDirectory(prefix="redis-sentinel-") as folder:
        config = Path(folder) / "sentinel.conf"
        config.write_text(
            f"port {setup.sentinel_port}\nbind 127.0.0.1\ndir {folder}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {setup.master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 5000\n"
        )
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        processes = []
        try:
            for port, extra, name in (
                (setup.master_port, [], "master"),
                (setup.replica_port, ["--replicaof", "127.0.0.1", str(setup.master_port)],
                 "replica"),
            ):
                data = Path(folder) / name
                data.mkdir()
                processes.append(subprocess.Popen(
                    ["redis-server", "--port", str(port), "--dir", str(data), *common, *extra],
                    stdout=subprocess.DEVNULL,
                ))
            processes.append(subprocess.Popen(["redis-server", str(config), "--sentinel"],
                                              stdout=subprocess.DEVNULL))
            replica = redis.Redis(port=setup.replica_port, decode_responses=True)
            _wait_for(lambda: replica.info("replication")["master_link_status"] == "up",
                      "the replica to sync")
            _wait_for(lambda: setup.sentinel().execute_command(
                "SENTINEL", "REPLICAS", MASTER_NAME), "the sentinel to see the replica")
            yield setup
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)


@dataclass
class Answer:
    at: float
    status: int
    counted: bool  # RateLimit headers: the limiter counted this request


def _load(base_url: str, stop: threading.Event, answers: list[Answer]) -> None:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        turn = 0
        while not stop.is_set():
            prefix = PREFIXES[turn % len(PREFIXES)]
            turn += 1
            try:
                response = client.get(f"{prefix}/rl-demo/ping")
            except httpx.HTTPError:
                answers.append(Answer(time.monotonic(), 0, False))
                continue
            answers.append(Answer(time.monotonic(), response.status_code,
                                  "RateLimit" in response.headers))


@pytest.mark.slow  # a failover under load: about twenty seconds of real time
def test_a_failover_under_load_keeps_every_limit_on(
    sentinel_setup: SentinelSetup, transactional_db: None
) -> None:
    """First, on the master: cached reads, logouts, lockouts at every prefix."""
    make_readers()
    env = {
        "REDIS_URL": "redis://sentinel/0",
        "REDIS_SENTINELS": f"127.0.0.1:{sentinel_setup.sentinel_port}",
        "REDIS_SENTINEL_MASTER": MASTER_NAME,
        **server_env(),
        "RL_DEMO_PING": "1000000/hour",  # the load's budget: never reached
    }
    with UvicornServer(extra_env=env) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            check_every_redis_feature(client, ping_budget=None)
        stop, answers = threading.Event(), []  # type: ignore[var-annotated]
        loader = threading.Thread(target=_load, args=(server.base_url, stop, answers))
        loader.start()
        try:
            time.sleep(2)
            assert answers and all(a.status == 200 and a.counted for a in answers), answers[-3:]
            failover_at = time.monotonic()
            sentinel_setup.sentinel().execute_command("SENTINEL", "FAILOVER", MASTER_NAME)
            _wait_for(lambda: sentinel_setup.master_port_now() == sentinel_setup.replica_port,
                      "the replica's promotion")
            time.sleep(MAX_DISRUPTION_S + 2)
        finally:
            stop.set()
            loader.join(timeout=30)

    after = [a for a in answers if a.at >= failover_at]
    disrupted = [a for a in after if not (a.status == 200 and a.counted)]
    if disrupted:
        span = disrupted[-1].at - failover_at
        assert span <= MAX_DISRUPTION_S, f"{len(disrupted)} answers uncounted or failed " \
                                         f"up to {span:.1f} s after the failover"
    last = [a for a in after if a.at >= answers[-1].at - 1.5]
    assert last and all(a.status == 200 and a.counted for a in last)
    new_master = redis.Redis(port=sentinel_setup.replica_port)
    assert new_master.info("replication")["role"] == "master"
    assert any(new_master.scan_iter(count=1000)), "the counters live on the new master"

