"""Throwaway PostgreSQL servers for the tests: a primary, a streaming replica, pgbouncer.

    with PostgresCluster() as primary, primary.replica(apply_delay_s=2) as replica:
        primary.createdb("app")
        primary.url("app"), replica.url("app")   # postgres://postgres@127.0.0.1:<port>/app

Each server gets a temporary directory, a free loopback port and trust
authentication for loopback only; it is stopped and removed on exit. The
binaries come from /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to
run as root, so as root the servers run as the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.support.network import free_port


def postgres_bin(name: str) -> str | None:
    """The newest installed PostgreSQL's `name` binary, or None."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda path: int(path.split("/")[4]))
    return found[-1] if found else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], **kwargs: object) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True,
                            timeout=120, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, (command, result.stdout, result.stderr)


class _Server:
    port: int
    data_dir: Path
    _root: tempfile.TemporaryDirectory[str]

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        psql = postgres_bin("psql")
        assert psql is not None
        result = subprocess.run(
            [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
             "-Atc", sql],
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def log_text(self) -> str:
        """The server's log so far (with `log_statement = 'all'`: every statement it ran)."""
        return (Path(self._root.name) / "server.log").read_text(errors="replace")

    def _start(self) -> None:
        _run([postgres_bin("pg_ctl") or "pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60",
              "-l", str(Path(self._root.name) / "server.log"), "start"])

    def _stop(self) -> None:
        subprocess.run(
            _as_server_user([postgres_bin("pg_ctl") or "pg_ctl", "-D", str(self.data_dir),
                             "-m", "immediate", "-w", "stop"]),
            capture_output=True, timeout=60,
        )
        self._root.cleanup()

    def _new_root(self, prefix: str) -> None:
        self._root = tempfile.TemporaryDirectory(prefix=prefix)
        root = Path(self._root.name)
        root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        self.data_dir = root / "data"
        self.port = free_port()

    def _configure(self, lines: list[str]) -> None:
        with (self.data_dir / "postgresql.auto.conf").open("a") as conf:
            conf.write("\n".join(lines) + "\n")


class PostgresCluster(_Server):
    """A primary: `initdb`, WAL for one replica, loopback only."""

    def __init__(self, *, settings: list[str] | None = None) -> None:
        self._extra = settings or []

    def __enter__(self) -> PostgresCluster:
        self._new_root("pg-primary-")
        _run([postgres_bin("initdb") or "initdb", "-D", str(self.data_dir), "-U", "postgres",
              "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        with (self.data_dir / "pg_hba.conf").open("w") as hba:
            hba.write("local all all trust\n"
                      "host all all 127.0.0.1/32 trust\n"
                      "host replication all 127.0.0.1/32 trust\n")
        self._configure([
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self._root.name}'",
            "wal_level = replica",
            "max_wal_senders = 4",
            "fsync = off",
            "shared_buffers = 32MB",
            *self._extra,
        ])
        self._start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()

    def createdb(self, name: str) -> None:
        self.psql("postgres", f'CREATE DATABASE "{name}"')

    def replica(self, *, apply_delay_s: float = 0) -> StreamingReplica:
        return StreamingReplica(self, apply_delay_s=apply_delay_s)


class StreamingReplica(_Server):
    """A hot standby of `primary`: `pg_basebackup -R`, then its own port."""

    def __init__(self, primary: PostgresCluster, *, apply_delay_s: float) -> None:
        self.primary = primary
        self.apply_delay_s = apply_delay_s

    def __enter__(self) -> StreamingReplica:
        self._new_root("pg-replica-")
        _run([postgres_bin("pg_basebackup") or "pg_basebackup", "-h", "127.0.0.1",
              "-p", str(self.primary.port), "-U", "postgres", "-D", str(self.data_dir),
              "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
        self._configure([
            f"port = {self.port}",
            f"unix_socket_directories = '{self._root.name}'",
            "hot_standby = on",
            f"recovery_min_apply_delay = '{int(self.apply_delay_s * 1000)}ms'",
        ])
        self._start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stop()

    def wait_until_caught_up(self, timeout_s: float = 30) -> None:
        """Until the replica has replayed what the primary has written so far."""
        target = self.primary.psql("postgres", "SELECT pg_current_wal_insert_lsn()")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.psql("postgres", f"SELECT pg_last_wal_replay_lsn() >= '{target}'") == "t":
                return
            time.sleep(0.1)
        raise AssertionError(f"the replica did not reach {target} in {timeout_s} s")


class PgBouncer:
    """pgbouncer in transaction mode in front of `primary`'s `database`, on a free port.

    `pool_size` server connections per database and user at most, however
    many clients connect (max_client_conn). pgbouncer refuses to run as root:
    as root it runs as the `postgres` system user, like the servers.
    """

    def __init__(self, primary: PostgresCluster, database: str, *, pool_size: int = 5) -> None:
        self.primary, self.database, self.pool_size = primary, database, pool_size
        self.port = free_port()

    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def __enter__(self) -> PgBouncer:
        self._root = tempfile.TemporaryDirectory(prefix="pgbouncer-")
        root = Path(self._root.name)
        (root / "userlist.txt").write_text('"postgres" ""\n')
        self.config = root / "pgbouncer.ini"
        self.config.write_text(
            "[databases]\n"
            f"{self.database} = host=127.0.0.1 port={self.primary.port} dbname={self.database}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {root / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 500\n"
            f"logfile = {root / 'pgbouncer.log'}\n"
        )
        root.chmod(0o755)
        if os.geteuid() == 0:
            for path in (root, *root.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        self._process = subprocess.Popen(
            _as_server_user([shutil.which("pgbouncer") or "/usr/sbin/pgbouncer",
                             str(self.config)]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self._process.poll() is None, self.log_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("pgbouncer did not start listening")

    def log_text(self) -> str:
        log = Path(self._root.name) / "pgbouncer.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._process.terminate()
        self._process.wait(timeout=20)
        self._root.cleanup()
