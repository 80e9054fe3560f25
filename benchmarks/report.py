"""A run's results: rows, ratios to the bare frameworks, the table, the JSON.

Every number of a row comes from one wrk report, except `peak_pg` (sampled
from pg_stat_activity during that report's run) and `ratio` (this row's
req/s over the req/s of the bare app of the same framework, measured in the
same run). Ratios within one run are what to read: on a small, shared
machine the absolute numbers drift between runs; ratios much less so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .wrk import WrkResult

# The bare app each project prefix is compared with (benchmarks/bare/).
BASELINE_OF = {"drf": "bare_drf", "fastapi": "bare_fastapi", "flask": "bare_flask"}
BASELINE_SCENARIO = "bare"


@dataclass(frozen=True)
class Row:
    """One wrk run: one scenario against one target (a prefix or a bare app)."""

    scenario: str
    target: str
    workers: int
    requests_per_second: float
    ok_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    socket_errors: int
    peak_pg: int | None = None
    ratio: float | None = None
    unit: str = "req/s"

    @classmethod
    def from_wrk(
        cls, *, scenario: str, target: str, workers: int, result: WrkResult,
        peak_pg: int | None, unit: str = "req/s",
    ) -> Row:
        return cls(
            scenario=scenario, target=target, workers=workers,
            requests_per_second=result.requests_per_second,
            ok_per_second=result.ok_per_second,
            p50_ms=result.p50_ms, p99_ms=result.p99_ms,
            non_2xx=result.non_2xx, socket_errors=result.socket_errors,
            peak_pg=peak_pg, unit=unit,
        )

    @property
    def rate(self) -> float:
        """The headline number: successful logins/s for logins, answers/s otherwise."""
        return self.ok_per_second if self.unit == "logins/s" else self.requests_per_second


@dataclass
class Report:
    """Everything a run measured, with what it ran on."""

    meta: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Argon2 hashes per second in one thread of the bench process.
    hash_rate: float | None = None
    # The cached list at 1..N workers: rows of scenario "list_cached" and "bare".
    workers_curve: list[Row] = field(default_factory=list)


def with_ratios(rows: list[Row]) -> list[Row]:
    """Each project row's rate over its framework's bare rate, same worker count.

    Bare rows are the denominators and keep ratio None. Logins keep None as
    well: their ceiling is the password hasher, reported beside them
    (Report.hash_rate), not a framework. A prefix whose baseline is missing
    (it failed, or was not run) gets None too, never a made-up number.
    """
    bare = {
        (row.target, row.workers): row.requests_per_second
        for row in rows
        if row.scenario == BASELINE_SCENARIO
    }
    result = []
    for row in rows:
        baseline = bare.get((BASELINE_OF.get(row.target, ""), row.workers))
        ratio = row.rate / baseline if baseline and row.unit != "logins/s" else None
        result.append(replace(row, ratio=ratio))
    return result


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _rate(value: float) -> str:
    # A few logins per second need their decimal; thousands of requests don't.
    return _number(value, 1 if value < 100 else 0)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


TABLE_COLUMNS = (
    ("scenario", 16, "<"), ("target", 13, "<"), ("w", 2, ">"), ("rate", 10, ">"),
    ("unit", 10, "<"), ("ratio", 7, ">"), ("p50 ms", 8, ">"), ("p99 ms", 8, ">"),
    ("non-2xx", 8, ">"), ("sock err", 8, ">"), ("peak PG", 7, ">"),
)


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.scenario, row.target, str(row.workers), _rate(row.rate),
        row.unit, _ratio(row.ratio), _number(row.p50_ms, 1), _number(row.p99_ms, 1),
        str(row.non_2xx), str(row.socket_errors),
        "-" if row.peak_pg is None else str(row.peak_pg),
    )


def format_table(rows: list[Row]) -> str:
    """A fixed-width text table, one line per row, in the order given."""
    header = " ".join(f"{name:{align}{width}}" for name, width, align in TABLE_COLUMNS)
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            " ".join(
                f"{cell:{align}{width}}"
                for cell, (_, width, align) in zip(_cells(row), TABLE_COLUMNS, strict=True)
            )
        )
    return "\n".join(lines)


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "meta": report.meta,
        "hash_rate_per_s": report.hash_rate,
        "rows": [asdict(row) for row in report.rows],
        "skipped": report.skipped,
        "workers_curve": [asdict(row) for row in report.workers_curve],
    }


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_to_dict(report), indent=2) + "\n", encoding="utf-8")
