"""Small SVG charts of the regional pages (地域分析, センター): a sparkline per measure and
horizontal bars for one measure across the municipalities. Like gateway/charts.py: drawn on the
server, no library, printable, with a title for screen readers and a table beside each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


def fmt_value(value: float | None, decimals: int = 1) -> str:
    """A figure as people read it: thousands separated, the measure's decimals."""
    if value is None:
        return "—"
    return f"{value:,.{max(0, decimals)}f}"


def sparkline(
    values: Sequence[float | None],
    *,
    reference: Sequence[float | None] = (),
    title: str,
    width: int = 120,
    height: int = 32,
) -> Markup:
    """The municipality's values over the years (a line) and a reference (the prefecture's
    mean, dashed)."""
    known = [v for v in (*values, *reference) if v is not None]
    if len(values) < 2 or not known:
        return Markup("")
    lo, hi = min(known), max(known)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    pad = 4

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / (len(values) - 1)
        y = height - pad - (v - lo) / (hi - lo) * (height - 2 * pad)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg class="chart spark" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for css, series in (("ref", reference), ("own", values)):
        pts = [xy(i, v) for i, v in enumerate(series) if v is not None]
        if len(pts) > 1:
            parts.append(f'<polyline class="{css}" points="{" ".join(pts)}"/>')
        if css == "own" and pts:
            x, y = pts[-1].split(",")
            parts.append(f'<circle class="own" cx="{x}" cy="{y}" r="2.5"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    group: str = ""
    highlight: bool = False


def hbars(
    bars: Sequence[Bar],
    *,
    mean: float | None,
    decimals: int = 1,
    unit: str = "",
    title: str,
    width: int = 640,
    row: int = 14,
) -> Markup:
    """One bar per municipality (grouped: a heading row before each group), the prefecture's
    mean as a vertical line."""
    values = [b.value for b in bars if b.value is not None]
    if not values:
        return Markup("")
    hi = max(max(values), mean or 0) or 1.0
    lo = min(0.0, min(values))
    left, right, top = 110, 70, 18
    groups = list(dict.fromkeys(b.group for b in bars))
    height = top + row * (len(bars) + len([g for g in groups if g])) + 8
    w = width - left - right

    def x_at(v: float) -> float:
        return left + (v - lo) / (hi - lo) * w

    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    y = top
    current = None
    for b in bars:
        if b.group and b.group != current:
            current = b.group
            parts.append(f'<text class="group" x="4" y="{y + row - 3}">{escape(b.group)}</text>')
            y += row
        css = "bar own" if b.highlight else "bar"
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y + row - 3}" text-anchor="end">'
            f"{escape(b.label)}</text>"
        )
        if b.value is not None:
            x0, x1 = x_at(max(lo, 0.0)), x_at(b.value)
            parts.append(
                f'<rect class="{css}" x="{min(x0, x1):.1f}" y="{y + 2}" '
                f'width="{abs(x1 - x0):.1f}" height="{row - 4}"><title>{escape(b.label)} '
                f"{fmt_value(b.value, decimals)}{escape(unit)}</title></rect>"
            )
            parts.append(
                f'<text class="tick" x="{x1 + 4:.1f}" y="{y + row - 3}">'
                f"{fmt_value(b.value, decimals)}</text>"
            )
        y += row
    if mean is not None:
        x = x_at(mean)
        parts.append(
            f'<line class="mean" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 4}"/>'
            f'<text class="tick" x="{x:.1f}" y="{top - 6}" text-anchor="middle">'
            f"平均 {fmt_value(mean, decimals)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
