"""docs/bench/bench.svg: the run as horizontal bars, written by hand (no plotting library).

One group per scenario, one bar per target, coloured by framework; the
x axis is logarithmic because a raw ASGI app answers thousands of times
more requests than a login can hash passwords, and both belong on the page.
Each bar is labelled with its rate and, for a prefix, its ratio to the bare
app of its own framework.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from .report import Row

COLOURS = {
    "drf": "#a30000", "bare_drf": "#e8a0a0",
    "fastapi": "#05998b", "bare_fastapi": "#8fd6cf",
    "flask": "#1f4e79", "bare_flask": "#9bb7d4",
    "raw_asgi": "#777777",
}
DEFAULT_COLOUR = "#555555"

# Layout, in SVG user units (pixels at 100 %).
WIDTH = 900
LABEL_WIDTH = 230
RIGHT_MARGIN = 130
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 18
TOP = 50
AXIS_HEIGHT = 30


def _log_span(rows: list[Row]) -> tuple[float, float]:
    rates = [row.rate for row in rows if row.rate > 0]
    if not rates:
        return 0.0, 1.0
    low = math.floor(math.log10(min(rates)))
    high = math.ceil(math.log10(max(rates)))
    return float(low), float(max(high, low + 1))


def _x(rate: float, low: float, high: float) -> float:
    plot_width = WIDTH - LABEL_WIDTH - RIGHT_MARGIN
    if rate <= 0:
        return LABEL_WIDTH
    share = (math.log10(rate) - low) / (high - low)
    return LABEL_WIDTH + max(0.0, min(1.0, share)) * plot_width


def _groups(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.scenario, []).append(row)
    return list(groups.items())


def render_svg(rows: list[Row], *, title: str) -> str:
    """The chart as SVG text; an empty run gives an empty chart with its title."""
    low, high = _log_span(rows)
    groups = _groups(rows)
    bars = sum(len(group) for _, group in groups)
    plot_height = bars * (BAR_HEIGHT + BAR_GAP) + len(groups) * GROUP_GAP
    height = TOP + plot_height + AXIS_HEIGHT + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
        '<text x="10" y="38" fill="#555">rate per second, log scale; ratio = prefix / bare '
        "app of its own framework, same run</text>",
    ]
    axis_y = TOP + plot_height
    for power in range(int(low), int(high) + 1):
        x = _x(10.0**power, low, high)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" fill="#555">'
            f"{10**power:,}</text>"
        )
    y = TOP
    for scenario, group in groups:
        parts.append(
            f'<text x="10" y="{y + BAR_HEIGHT - 4}" font-weight="bold">{escape(scenario)}</text>'
        )
        for row in group:
            end = _x(row.rate, low, high)
            colour = COLOURS.get(row.target, DEFAULT_COLOUR)
            label = f"{row.rate:,.{1 if row.rate < 100 else 0}f} {row.unit}"
            if row.ratio is not None:
                label += f"  {row.ratio:.2f}x"
            if row.non_2xx:
                label += f"  ({row.non_2xx:,} non-2xx)"
            parts += [
                f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end">'
                f"{escape(row.target)} ({row.workers}w)</text>",
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{end - LABEL_WIDTH:.1f}" '
                f'height="{BAR_HEIGHT}" fill="{colour}"/>',
                f'<text x="{end + 4:.1f}" y="{y + BAR_HEIGHT - 4}">{escape(label)}</text>',
            ]
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(rows: list[Row], path: Path, *, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(rows, title=title), encoding="utf-8")
