"""The pure parts of `manage.py bench`: reading wrk, ratios, table, JSON and SVG."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks import scenarios
from benchmarks.report import Report, Row, format_table, with_ratios, write_json
from benchmarks.svg import render_svg, write_svg
from benchmarks.wrk import WrkError, WrkRun, parse_wrk_output

# Recorded from `wrk -t1 -c2 -d1s --latency` against a server answering 404.
REPORT_WITH_NON_2XX = """\
Running 1s test @ http://127.0.0.1:18777/nonexist
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.13ms  569.07us   8.70ms   87.13%
    Req/Sec     1.69k    95.04     1.90k    72.73%
  Latency Distribution
     50%    1.04ms
     75%    1.31ms
     90%    1.63ms
     99%    2.68ms
  1851 requests in 1.10s, 0.92MB read
  Non-2xx or 3xx responses: 1851
Requests/sec:   1680.97
Transfer/sec:    853.78KB
"""

# The shape of a slow run: microsecond and second units, socket errors.
REPORT_SLOW = """\
Running 10s test @ http://127.0.0.1:8000/api/drf/auth/token
  1 threads and 32 connections
  Latency Distribution
     50%  850.00us
     75%    1.20s
     90%    2.10s
     99%    3.50s
  120 requests in 10.02s, 80.00KB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 20
Requests/sec:     11.98
Transfer/sec:      7.98KB
"""


def test_parse_reads_rate_latencies_and_failures() -> None:
    result = parse_wrk_output(REPORT_WITH_NON_2XX)
    assert result.requests == 1851
    assert result.duration_s == pytest.approx(1.10)
    assert result.requests_per_second == pytest.approx(1680.97)
    assert result.p50_ms == pytest.approx(1.04)
    assert result.p99_ms == pytest.approx(2.68)
    assert result.non_2xx == 1851
    assert result.socket_errors == 0
    assert result.ok_per_second == 0


def test_parse_converts_units_and_counts_socket_errors() -> None:
    result = parse_wrk_output(REPORT_SLOW)
    assert result.p50_ms == pytest.approx(0.85)
    assert result.p99_ms == pytest.approx(3500.0)
    assert result.socket_errors == 7
    assert result.non_2xx == 20
    assert result.ok_per_second == pytest.approx(100 / 10.02)


def test_parse_refuses_what_is_not_a_report() -> None:
    with pytest.raises(WrkError, match="not a wrk report"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused")


def test_wrk_argv_puts_script_arguments_after_the_url() -> None:
    run = WrkRun(
        url="http://127.0.0.1:1/api/flask/books", seconds=3,
        headers=("Authorization: Bearer t",), script=scenarios.POST_SCRIPT,
        script_args=("application/json", "{}"),
    )
    argv = run.argv()
    assert argv[:6] == ["wrk", "-t1", "-c32", "-d3s", "--timeout=5s", "--latency"]
    assert argv[argv.index("-H") + 1] == "Authorization: Bearer t"
    assert argv[argv.index("-s") + 1].endswith("post.lua")
    url_at = argv.index("http://127.0.0.1:1/api/flask/books")
    assert argv[url_at + 1:] == ["--", "application/json", "{}"]


def _row(scenario: str, target: str, rate: float, *, workers: int = 1, unit: str = "req/s",
         ok: float | None = None) -> Row:
    return Row(
        scenario=scenario, target=target, workers=workers, requests_per_second=rate,
        ok_per_second=rate if ok is None else ok, p50_ms=1.0, p99_ms=9.5, non_2xx=0,
        socket_errors=0, peak_pg=4, unit=unit,
    )


def test_ratio_is_to_the_bare_app_of_the_same_framework_and_worker_count() -> None:
    rows = with_ratios([
        _row("list_cached", "fastapi", 500.0),
        _row("list_cached", "flask", 300.0, workers=2),
        _row("login", "drf", 40.0, unit="logins/s", ok=10.0),
        _row("bare", "bare_fastapi", 2000.0),
        _row("bare", "bare_flask", 1000.0),
        _row("bare", "bare_flask", 1500.0, workers=2),
        _row("bare", "bare_drf", 800.0),
        _row("bare", "raw_asgi", 9000.0),
    ])
    ratios = {(r.scenario, r.target, r.workers): r.ratio for r in rows}
    assert ratios[("list_cached", "fastapi", 1)] == pytest.approx(0.25)
    assert ratios[("list_cached", "flask", 2)] == pytest.approx(0.2)
    # A login's ceiling is the hasher, not the framework: no ratio.
    assert ratios[("login", "drf", 1)] is None
    assert ratios[("bare", "raw_asgi", 1)] is None
    assert ratios[("bare", "bare_flask", 1)] is None


def test_logins_count_successes_only() -> None:
    # 429s answered fast are not logins.
    assert _row("login", "drf", 40.0, unit="logins/s", ok=2.5).rate == 2.5


def test_ratio_is_none_without_a_baseline() -> None:
    [row] = with_ratios([_row("list_cached", "drf", 100.0)])
    assert row.ratio is None


def test_table_has_a_line_per_row_with_rate_and_ratio() -> None:
    rows = with_ratios([_row("list_cached", "flask", 250.0), _row("bare", "bare_flask", 1000.0)])
    lines = format_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert "0.25x" in lines[2] and "250" in lines[2]
    assert " 2.5 " in format_table([_row("login", "flask", 2.5, unit="logins/s")])


def test_json_holds_rows_meta_and_skips(tmp_path: Path) -> None:
    report = Report(meta={"workers": 1}, rows=[_row("bare", "raw_asgi", 9000.0)],
                    skipped=["skipped search_1m at every prefix: no seed_books"], hash_rate=6.5)
    write_json(report, tmp_path / "bench" / "bench.json")
    data = json.loads((tmp_path / "bench" / "bench.json").read_text())
    assert data["meta"] == {"workers": 1}
    assert data["hash_rate_per_s"] == 6.5
    assert data["rows"][0]["target"] == "raw_asgi"
    assert data["rows"][0]["requests_per_second"] == 9000.0
    assert data["skipped"] == ["skipped search_1m at every prefix: no seed_books"]


def test_svg_is_well_formed_with_a_bar_per_row(tmp_path: Path) -> None:
    rows = with_ratios([
        _row("list_cached", "drf", 120.0), _row("bare", "bare_drf", 1200.0),
        _row("login", "flask", 3.0, unit="logins/s"),
    ])
    write_svg(rows, tmp_path / "bench.svg", title="a <title> & more")
    root = ET.parse(tmp_path / "bench.svg").getroot()
    namespace = "{http://www.w3.org/2000/svg}"
    bars = root.findall(f"{namespace}rect")[1:]  # the first rect is the background
    assert len(bars) == len(rows)
    widths = [float(bar.get("width", "0")) for bar in bars]
    # Log scale: the bare app's bar is the longest, the login's the shortest.
    assert widths[1] > widths[0] > widths[2] >= 0
    text = "".join(root.itertext())
    assert "a <title> & more" in text and "0.10x" in text


def test_svg_of_an_empty_run_is_still_a_chart() -> None:
    root = ET.fromstring(render_svg([], title="nothing measured"))
    assert "nothing measured" in "".join(root.itertext())


def test_quick_selects_a_subset_and_only_refuses_unknown_names() -> None:
    quick = {s.key for s in scenarios.select(quick=True)}
    assert quick == {"list_cached", "list_uncached", "auth_me", "books_create"}
    assert len(scenarios.select(quick=False)) == len(scenarios.SCENARIOS)
    assert [s.key for s in scenarios.select(quick=True, only=["login"])] == ["login"]
    with pytest.raises(ValueError, match="nope"):
        scenarios.select(quick=False, only=["nope"])


def test_paths_name_what_the_run_must_discover() -> None:
    by_key = {s.key: s for s in scenarios.SCENARIOS}
    assert by_key["book_detail"].needs_discovery() == ["book_id"]
    assert by_key["cursor_deep_1m"].needs_discovery() == ["deep_cursor"]
    assert by_key["list_cached"].needs_discovery() == []
