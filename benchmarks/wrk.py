"""Run wrk against one URL and read its report.

    result = run_wrk(WrkRun(url="http://127.0.0.1:8123/api/flask/books", seconds=10))
    result.requests_per_second, result.p50_ms, result.p99_ms, result.non_2xx

`parse_wrk_output` is pure (text in, numbers out) so it is unit-tested on
recorded reports; `run_wrk` only adds the subprocess. wrk always runs with
`-t1 -c32 --latency` unless a scenario says otherwise: one client thread
leaves the most CPU to the server on a small machine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK_MISSING = (
    "wrk is not installed. It is the load generator this command drives: "
    "install it with `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)."
)

# wrk prints durations with these units (see its stats.c / units.c).
_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}

_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
_PERCENTILE = r"^\s*{}%\s+([\d.]+)(us|ms|s|m|h)\s*$"


class WrkError(RuntimeError):
    """wrk failed, or printed something that is not a report."""


@dataclass(frozen=True)
class WrkResult:
    """The numbers of one wrk report. Latencies are in milliseconds."""

    requests: int
    duration_s: float
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    socket_errors: int

    @property
    def ok_per_second(self) -> float:
        """Answers that were not errors, per second (logins/s for the login scenario)."""
        ok = max(self.requests - self.non_2xx, 0)
        return ok / self.duration_s if self.duration_s else 0.0


@dataclass(frozen=True)
class WrkRun:
    """One wrk invocation: where, how long, how many connections, what to send."""

    url: str
    seconds: float
    connections: int = 32
    threads: int = 1
    headers: tuple[str, ...] = ()
    # A Lua script (benchmarks/lua/) and the arguments it reads from `wrk.args`.
    script: Path | None = None
    script_args: tuple[str, ...] = field(default_factory=tuple)
    # wrk counts an answer slower than this as a timeout; logins need more than 2 s.
    timeout_s: float = 5.0

    def argv(self) -> list[str]:
        argv = [
            "wrk", f"-t{self.threads}", f"-c{self.connections}", f"-d{self.seconds:g}s",
            f"--timeout={self.timeout_s:g}s", "--latency",
        ]
        for header in self.headers:
            argv += ["-H", header]
        if self.script is not None:
            argv += ["-s", str(self.script)]
        argv.append(self.url)
        if self.script_args:
            argv += ["--", *self.script_args]
        return argv


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_TO_MS[unit]


def _percentile(text: str, percent: int) -> float | None:
    match = re.search(_PERCENTILE.format(percent), text, re.MULTILINE)
    return _to_ms(match.group(1), match.group(2)) if match else None


def parse_wrk_output(text: str) -> WrkResult:
    """Read a `wrk --latency` report. Raises WrkError when it is not one."""
    requests = _REQUESTS.search(text)
    rps = _RPS.search(text)
    if requests is None or rps is None:
        raise WrkError(f"not a wrk report:\n{text.strip()[:500]}")
    non_2xx = _NON_2XX.search(text)
    socket_errors = _SOCKET_ERRORS.search(text)
    return WrkResult(
        requests=int(requests.group(1)),
        duration_s=_to_ms(requests.group(2), requests.group(3)) / 1000.0,
        requests_per_second=float(rps.group(1)),
        p50_ms=_percentile(text, 50),
        p99_ms=_percentile(text, 99),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def run_wrk(run: WrkRun) -> WrkResult:
    """Run wrk once and parse its report; bounded by the run's own length."""
    if not wrk_available():
        raise WrkError(WRK_MISSING)
    completed = subprocess.run(
        run.argv(), capture_output=True, text=True, timeout=run.seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise WrkError(f"wrk exited with {completed.returncode}: {completed.stderr.strip()}")
    return parse_wrk_output(completed.stdout)
