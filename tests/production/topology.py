"""The production topology on loopback: the shipped nginx site in front of two app processes.

    with Topology(extra_env={"RL_DEMO_PING": "5/hour"}) as topo:
        httpx.get(f"{topo.base_url}/api/drf/books", verify=False)

What runs is what the README ships, with only what a test cannot have
swapped out (`render_site`): free ports instead of 443/80/8001/8002, a
self-signed certificate made now, logs in a temporary directory, and a
shorter `client_body_timeout` so a stalled body is cut within the test.

- nginx: Debian's binary, as a non-daemon child with its own prefix
  directory, pid file, error log and main config that includes the rendered
  site (the way Debian's nginx.conf includes sites-enabled/*).
- the app: two processes started from the shipped systemd unit's ExecStart
  and Environment lines (`%i` is the port), on this test run's database,
  signing keys and cache (tests.support.processes.process_env).
- the mail worker: the shipped books-worker.service's ExecStart
  (`manage.py db_worker`), sending to a file folder (`mail_dir`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
from django.conf import settings

from tests.support.processes import MailWorker, free_port, process_env

ROOT = Path(settings.BASE_DIR)
SITE_FILE = ROOT / "deploy" / "nginx" / "books-api.conf"
UNIT_FILE = ROOT / "deploy" / "systemd" / "books-api@.service"
WORKER_UNIT_FILE = ROOT / "deploy" / "systemd" / "books-worker.service"
SHIPPED_UPSTREAM_PORTS = (8001, 8002)

# The test's stand-in for the shipped 10 s: long enough for a healthy client,
# short enough to watch a stalled body being cut.
TEST_CLIENT_BODY_TIMEOUT_S = 2


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


# --- the config, rendered ------------------------------------------------------------------


def _replace_once(text: str, old: str, new: str) -> str:
    """Swap one line of the shipped file; the shipped file changing under us fails loudly."""
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"{SITE_FILE.name}: expected {old!r} once, found it {count} times")
    return text.replace(old, new)


def render_site(
    *,
    https_port: int,
    http_port: int,
    upstream_ports: tuple[int, int],
    certificate: Path,
    key: Path,
    log_dir: Path,
) -> str:
    """The shipped site with loopback ports, this run's certificate and log paths."""
    text = SITE_FILE.read_text()
    # IPv6 listeners: loopback IPv4 is all the test needs (and all some containers have).
    text = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", text, flags=re.MULTILINE)
    text = _replace_once(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    for shipped, port in zip(SHIPPED_UPSTREAM_PORTS, upstream_ports, strict=True):
        text = _replace_once(text, f"server 127.0.0.1:{shipped} ", f"server 127.0.0.1:{port} ")
    text = _replace_once(text, "/etc/ssl/books-api/fullchain.pem", str(certificate))
    text = _replace_once(text, "/etc/ssl/books-api/privkey.pem", str(key))
    text = _replace_once(
        text, "/var/log/nginx/books-api.access.log", str(log_dir / "access.log")
    )
    text = _replace_once(text, "/var/log/nginx/books-api.error.log", str(log_dir / "error.log"))
    return _replace_once(
        text, "client_body_timeout 10s;", f"client_body_timeout {TEST_CLIENT_BODY_TIMEOUT_S}s;"
    )


def main_config(prefix: Path, site: Path) -> str:
    """nginx.conf around the site, as Debian's wraps sites-enabled/*, all paths under `prefix`."""
    # As root, nginx would hand requests to workers running as `nobody`, who
    # cannot read this private temporary directory.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = prefix / "temp"
    return (
        f"{user}daemon off;\n"
        "worker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'logs' / 'main-error.log'};\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {prefix / 'logs' / 'main-access.log'};\n"
        f"    client_body_temp_path {temp / 'body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {site};\n"
        "}\n"
    )


def make_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid for a day, made with openssl now."""
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(certificate), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True, capture_output=True, timeout=60,
    )
    return certificate, key


# --- the app processes ---------------------------------------------------------------------


def unit_ready_command(port: int) -> list[str]:
    """The systemd unit's ExecStartPost for instance `port`: waits until GET /ready is 200."""
    for line in UNIT_FILE.read_text().splitlines():
        if line.startswith("ExecStartPost="):
            return shlex.split(line.removeprefix("ExecStartPost=").replace("%i", str(port)))
    raise AssertionError(f"{UNIT_FILE.name}: no ExecStartPost")


def unit_command_and_env(port: int) -> tuple[list[str], dict[str, str]]:
    """The systemd unit's ExecStart (for instance `port`) and its Environment= lines.

    The unit runs the venv's python; here it is this interpreter (the same venv).
    """
    command: list[str] = []
    env: dict[str, str] = {}
    for line in UNIT_FILE.read_text().splitlines():
        if line.startswith("ExecStart="):
            command = shlex.split(line.removeprefix("ExecStart=").replace("%i", str(port)))
        elif line.startswith("Environment="):
            name, _, value = line.removeprefix("Environment=").partition("=")
            env[name] = value
    assert command[1:3] == ["-m", "uvicorn"], f"{UNIT_FILE.name}: unexpected ExecStart {command}"
    return [sys.executable, *command[1:]], env


def worker_unit_command() -> list[str]:
    """The worker unit's ExecStart, on this interpreter (the same venv)."""
    for line in WORKER_UNIT_FILE.read_text().splitlines():
        if line.startswith("ExecStart="):
            command = shlex.split(line.removeprefix("ExecStart="))
            assert command[1:3] == ["manage.py", "db_worker"], command
            return [sys.executable, *command[1:]]
    raise AssertionError(f"{WORKER_UNIT_FILE.name}: no ExecStart")


class AppProcess:
    """One app process as the systemd unit starts it, on `port`."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.address = f"127.0.0.1:{port}"
        command, unit_env = unit_command_and_env(port)
        self._command = command
        self._env = {**env, **unit_env}
        self._log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self._command, cwd=ROOT, env=self._env, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_until_up(self, deadline_s: float = 90.0) -> None:
        """Until it answers GET /ready with 200 directly (database and cache answer)."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"app on {self.address} exited:\n{self.log()}")
            try:
                if httpx.get(f"http://{self.address}/ready", timeout=3).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"app on {self.address} did not get ready:\n{self.log()}")

    def restart_as_systemd_does(self) -> None:
        """`systemctl restart`: SIGTERM, wait for the exit, start, run ExecStartPost."""
        self.terminate()
        assert self.process is not None
        self.process.wait(timeout=60)
        self.start()
        subprocess.run(unit_ready_command(self.port), check=True, timeout=90)

    def terminate(self) -> None:
        """SIGTERM: the process drains (SHUTDOWN_DRAIN_SECONDS), then exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, connections reset mid-request."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")[-4000:]


# --- nginx + two app processes -------------------------------------------------------------


class Topology:
    """nginx (TLS, the shipped site) in front of two app processes, on free loopback ports."""

    def __init__(self, *, extra_env: dict[str, str] | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="nginx-topology-")
        self.dir = Path(self._tmp.name)
        self.mail_dir = self.dir / "mail"
        self.log_dir = self.dir / "logs"
        for directory in (self.mail_dir, self.log_dir, self.dir / "temp"):
            directory.mkdir()
        self.https_port = free_port()
        self.http_port = free_port()
        self.base_url = f"https://127.0.0.1:{self.https_port}"
        env = process_env({"EMAIL_URL": f"file://{self.mail_dir}", **(extra_env or {})})
        env.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's own knob must not matter
        self.apps = [
            AppProcess(port, env, self.log_dir / f"app-{port}.log")
            for port in (free_port(), free_port())
        ]
        self.worker = MailWorker(env, log_path=self.log_dir / "worker.log",
                                 command=worker_unit_command())
        self._nginx: subprocess.Popen[bytes] | None = None

    # -- lifecycle

    def __enter__(self) -> Topology:
        try:
            for app in self.apps:
                app.start()
            self.worker.start()
            for app in self.apps:
                app.wait_until_up()
            self._start_nginx()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._nginx is not None and self._nginx.poll() is None:
            self._nginx.send_signal(signal.SIGTERM)  # fast shutdown
            try:
                self._nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
                self._nginx.wait(timeout=5)
        for app in self.apps:
            app.terminate()  # both drain at once
        for app in self.apps:
            app.stop()
        self.worker.stop()
        self._tmp.cleanup()

    def _start_nginx(self) -> None:
        certificate, key = make_self_signed_certificate(self.dir)
        site = self.dir / "books-api.conf"
        site.write_text(
            render_site(
                https_port=self.https_port,
                http_port=self.http_port,
                upstream_ports=(self.apps[0].port, self.apps[1].port),
                certificate=certificate,
                key=key,
                log_dir=self.log_dir,
            )
        )
        conf = self.dir / "nginx.conf"
        conf.write_text(main_config(self.dir, site))
        base = [nginx_binary(), "-p", str(self.dir), "-c", str(conf),
                "-e", str(self.log_dir / "main-error.log")]
        check = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, f"nginx -t refused the rendered site:\n{check.stderr}"
        self._nginx = subprocess.Popen(base, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self._nginx.poll() is None, f"nginx exited:\n{self.nginx_errors()}"
            try:
                with socket.create_connection(("127.0.0.1", self.https_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not listen:\n{self.nginx_errors()}")

    # -- what happened

    def access_log(self) -> list[str]:
        path = self.log_dir / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def nginx_errors(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-3000:]
            for path in sorted(self.log_dir.glob("*error.log"))
        )

    # -- clients

    def client(self, source_ip: str = "127.0.0.1") -> httpx.Client:
        """An https client to nginx from `source_ip` (any 127.x address reaches 127.0.0.1)."""
        return httpx.Client(
            base_url=self.base_url,
            verify=False,  # the certificate was made a moment ago, by us
            timeout=30,
            transport=httpx.HTTPTransport(verify=False, local_address=source_ip),
        )

    def raw_exchange(self, request: bytes, *, timeout_s: float = 30.0) -> bytes:
        """Send bytes over TLS as they are; what came back, read until a whole answer or EOF."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        address = ("127.0.0.1", self.https_port)
        with (
            socket.create_connection(address, timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(request)
            received = b""
            try:
                while not _complete(received) and (chunk := tls.recv(65536)):
                    received += chunk
            except (ConnectionResetError, ssl.SSLError):
                pass  # nginx may reset a connection it refused; what came before counts
            return received


def _complete(response: bytes) -> bool:
    """Whether `response` holds a whole answer (headers and Content-Length bytes of body)."""
    head, separator, body = response.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = re.search(rb"^content-length:\s*(\d+)", head, re.IGNORECASE | re.MULTILINE)
    return length is not None and len(body) >= int(length[1])
