"""Redis Cluster (`REDIS_CLUSTER=true`): cached reads, limits, lockouts and logouts at every prefix.

Three masters of the module's own on free loopback ports (`redis-server
--cluster-enabled yes` ×3, `redis-cli --cluster create … --cluster-replicas
0`), and one server with `REDIS_URL` naming the first node only: redis-py's
cluster client learns the others and follows MOVED (common/redis_cluster.py).
Each key lives on the master that owns its hash slot, so every multi-key
step is checked here against three masters, not one.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.contract.conftest import PREFIXES
from tests.contract.redis_features import check_every_redis_feature, make_readers, server_env
from tests.support.processes import UvicornServer

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("redis-cli") is None,
    reason="needs redis-server and redis-cli",
)

MASTERS = 3
# Milliseconds before the cluster calls a silent master failed (Redis's default: 15 s).
NODE_TIMEOUT_MS = 2000
# Seconds a failover may leave requests uncounted (the node timeout, the vote, redis-py's refresh).
FAILOVER_WITHIN_S = 10.0


def _free_node_port() -> int:
    """A free port P whose cluster bus port (P + 10000) is free and valid too."""
    for _ in range(200):
        port = random.randint(20_000, 50_000)
        try:
            with socket.socket() as sock, socket.socket() as bus:
                sock.bind(("127.0.0.1", port))
                bus.bind(("127.0.0.1", port + 10_000))
        except OSError:
            continue
        return port
    raise AssertionError("no free port pair for a cluster node")


def _wait_for(check: object, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds} s")
        time.sleep(0.05)


def _synced(node: redis.Redis) -> bool:
    replication = node.info("replication")
    return replication["role"] == "master" or replication.get("master_link_status") == "up"


class Cluster:
    """Redis Cluster nodes on loopback, slots assigned; `replicas` per master."""

    def __init__(self, folder: str, *, masters: int, replicas: int = 0) -> None:
        self.folder = folder
        self.ports = [_free_node_port() for _ in range(masters * (1 + replicas))]
        self.replicas = replicas
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Cluster:
        try:
            for port in self.ports:
                folder = Path(self.folder) / str(port)
                folder.mkdir()
                self.processes[port] = subprocess.Popen(
                    ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                     "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                     "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                     "--save", "", "--appendonly", "no", "--dir", str(folder)],
                    stdout=subprocess.DEVNULL,
                )
            for port in self.ports:
                _wait_for(redis.Redis(port=port).ping, f"redis-server on {port} answers")
            subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in self.ports),
                 "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                check=True, capture_output=True, timeout=60,
            )
            for port in self.ports:
                _wait_for(lambda port=port: b"cluster_state:ok"
                          in redis.Redis(port=port).execute_command("CLUSTER", "INFO"),
                          f"the cluster is ok at {port}")
                # A replica that never synced is too stale to be promoted.
                _wait_for(lambda port=port: _synced(redis.Redis(port=port)),
                          f"the replica at {port} has synced")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=10)

    def masters(self) -> list[int]:
        return [port for port in self.ports if port in self.processes
                and self.processes[port].poll() is None
                and redis.Redis(port=port).info("replication")["role"] == "master"]


@pytest.fixture(scope="module")
def cluster_ports() -> Iterator[list[int]]:
    """Three cluster masters on loopback, their slots assigned; stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="redis-cluster-") as name, \
            Cluster(name, masters=MASTERS) as cluster:
        yield cluster.ports


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


def test_cached_reads_limits_lockouts_and_logouts_on_a_cluster(
    cluster_ports: list[int], transactional_db: None
) -> None:
    make_readers()
    env = {"REDIS_URL": f"redis://127.0.0.1:{cluster_ports[0]}/0", "REDIS_CLUSTER": "true",
           **server_env()}
    with UvicornServer(extra_env=env) as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as client:
        check_every_redis_feature(client)  # no CROSSSLOT, no MOVED left unfollowed

    keys_per_master = [redis.Redis(port=port).dbsize() for port in cluster_ports]
    assert sum(1 for count in keys_per_master if count) > 1, keys_per_master


@pytest.mark.slow
def test_a_master_failing_over_leaves_no_limit_off_and_needs_no_restart(
    transactional_db: None,
) -> None:
    """Three masters with a replica each; the master holding the ping counter is killed (-9).

    Only Flask is asked before the kill, so FastAPI's event-loop client is made
    after it, when the node REDIS_URL names may be the dead one.
    """
    with tempfile.TemporaryDirectory(prefix="redis-cluster-fo-") as name, \
            Cluster(name, masters=MASTERS, replicas=1) as cluster, \
            UvicornServer(extra_env={
                "REDIS_URL": f"redis://127.0.0.1:{cluster.ports[0]}/0", "REDIS_CLUSTER": "true",
                "RL_DEMO_PING": "100000/hour", "LOG_LEVEL": "ERROR",
            }) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert "RateLimit" in client.get("/api/flask/rl-demo/ping").headers
        owner = next(port for port in cluster.masters()
                     if any(redis.Redis(port=port).scan_iter(match="*rl:*", count=1000)))
        cluster.processes[owner].kill()
        killed = time.monotonic()

        uncounted_until, uncounted = killed, list[str]()
        while time.monotonic() - uncounted_until < 2.0:  # 2 s of every request counted
            assert time.monotonic() - killed < FAILOVER_WITHIN_S + 2.0, uncounted
            uncounted = []
            for prefix in PREFIXES:
                answer = client.get(f"{prefix}/rl-demo/ping")
                assert answer.status_code == 200, answer.text
                if "RateLimit" not in answer.headers:
                    uncounted_until = time.monotonic()
                    uncounted.append(prefix)
        print(f"requests uncounted for {uncounted_until - killed:.1f} s after the kill")
        assert uncounted_until - killed < FAILOVER_WITHIN_S
        assert owner not in cluster.masters()  # its replica took over, the same server counts on it
