"""Inline SVG bar charts for the reports: no script, no image files, no style attributes.

The page's Content-Security-Policy forbids inline styles, so colours and sizes are SVG
presentation attributes, which that policy does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

ROW_HEIGHT = 22
LABEL_WIDTH = 260
BAR_WIDTH = 420
COLOURS = ("#1d4e6b", "#a11d1d", "#9a5b00", "#1f7a3d")


@dataclass(frozen=True)
class Bar:
    """One chart row: a label and stacked values, drawn in `COLOURS` order."""

    label: str
    values: tuple[int, ...]


def bar_chart(bars: list[Bar], legend: list[str], title: str) -> Markup:
    """Return an SVG chart of horizontal stacked bars, one row per bar, with a legend."""
    largest = max((sum(bar.values) for bar in bars), default=0) or 1
    height = ROW_HEIGHT * (len(bars) + 2)
    width = LABEL_WIDTH + BAR_WIDTH + 60
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, name in enumerate(legend):
        left = LABEL_WIDTH + index * 140
        parts.append(
            f'<rect x="{left}" y="4" width="12" height="12" '
            f'fill="{COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{left + 16}" y="14">{escape(name)}</text>'
        )
    for row, bar in enumerate(bars, start=1):
        y = row * ROW_HEIGHT + 6
        label = bar.label if len(bar.label) <= 40 else bar.label[:39] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
        )
        x = float(LABEL_WIDTH)
        for index, value in enumerate(bar.values):
            length = BAR_WIDTH * value / largest
            if length > 0:
                colour = COLOURS[index % len(COLOURS)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{ROW_HEIGHT - 6}" '
                    f'fill="{colour}"/>'
                )
            x += length
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{sum(bar.values)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
