"""Charts drawn on the server as SVG: no chart library, nothing from a CDN, printable.

Each chart carries a <title> and <desc> for screen readers; pages show the figures in a
table beside it as well."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # score rates 0–1 (radar) or any numbers (line)
    css: str = "s1"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def radar(
    axes: Sequence[str], series: Sequence[Series], *, size: int = 340, title: str = ""
) -> Markup:
    """Score rates (0–1) per category, one polygon per series."""
    n = len(axes)
    if n < 3:
        return Markup("")
    cx = cy = size / 2
    r = size / 2 - 58
    parts: list[str] = [
        f'<svg class="chart radar" viewBox="0 0 {size} {size}" role="img" '
        f'aria-labelledby="radar-t radar-d" width="{size}" height="{size}">',
        f'<title id="radar-t">{escape(title or "カテゴリ別得点率")}</title>',
        '<desc id="radar-d">'
        + escape(
            "; ".join(
                s.label
                + ": "
                + ", ".join(
                    f"{a} {'—' if v is None else _fmt(v * 100) + '%'}"
                    for a, v in zip(axes, s.values, strict=False)
                )
                for s in series
            )
        )
        + "</desc>",
    ]

    def point(i: int, frac: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * frac * math.cos(angle), cy + r * frac * math.sin(angle)

    for level in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        parts.append(f'<polygon class="grid" points="{pts}"/>')
    for i, axis in enumerate(axes):
        x, y = point(i, 1.0)
        parts.append(f'<line class="axis" x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}"/>')
        lx, ly = point(i, 1.18)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        parts.append(
            f'<text class="label" x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" '
            f'dominant-baseline="middle">{escape(axis)}</text>'
        )
    for s in series:
        pts = " ".join(
            f"{x:.1f},{y:.1f}"
            for x, y in (point(i, max(0.0, min(1.0, v or 0.0))) for i, v in enumerate(s.values))
        )
        parts.append(
            f'<polygon class="series {escape(s.css)}" points="{pts}">'
            f"<title>{escape(s.label)}</title></polygon>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line(
    xs: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 480,
    height: int = 220,
    title: str = "",
    percent: bool = False,
) -> Markup:
    """Values over time (e.g. total points by grant year), one line per series."""
    values = [v for s in series for v in s.values if v is not None]
    if not xs or not values:
        return Markup("")
    left, right, top, bottom = 48, 16, 16, 32
    lo = min(0.0, min(values))
    hi = max(values) or 1.0
    hi = hi * 1.1 if hi > 0 else 1.0
    w, h = width - left - right, height - top - bottom

    def x_at(i: int) -> float:
        return left + (w * i / (len(xs) - 1) if len(xs) > 1 else w / 2)

    def y_at(v: float) -> float:
        return top + h - (v - lo) / (hi - lo) * h

    fmt = (lambda v: f"{_fmt(v * 100)}%") if percent else _fmt
    parts = [
        f'<svg class="chart line" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title or "推移")}" width="{width}" height="{height}">',
        f"<title>{escape(title or '推移')}</title>",
    ]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        y = y_at(v)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{y:.1f}" text-anchor="end" '
            f'dominant-baseline="middle">{fmt(v)}</text>'
        )
    for i, label in enumerate(xs):
        parts.append(
            f'<text class="tick" x="{x_at(i):.1f}" y="{height - 10}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for s in series:
        pts = [(x_at(i), y_at(v)) for i, v in enumerate(s.values) if v is not None]
        if len(pts) > 1:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            parts.append(f'<polyline class="series {escape(s.css)}" points="{d}"/>')
        for (x, y), v in zip(pts, [v for v in s.values if v is not None], strict=True):
            parts.append(
                f'<circle class="dot {escape(s.css)}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                f"<title>{escape(s.label)} {fmt(v)}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
