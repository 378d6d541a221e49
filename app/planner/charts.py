"""Small server-rendered SVG charts (no chart library, nothing to download): grouped bars and lines."""
from __future__ import annotations

import math
from html import escape

COLOURS = ("#0b6e4f", "#d9822b", "#5b6bbf", "#b00020")


def _nice_max(values: list[float]) -> float:
    top = max([v for v in values if v is not None and not math.isnan(v)] or [1.0])
    if top <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(top))
    return math.ceil(top / step) * step


def bar_chart(labels: list[str], series: dict[str, list[float]], *, unit: str = "", top: float | None = None,
              title: str = "") -> str:
    """Horizontal grouped bars: one row per label, one bar per series; missing values are left blank."""
    label_w, bar_h, gap, width = 220, 12, 10, 760
    row_h = bar_h * len(series) + gap
    height = 40 + row_h * len(labels) + 30
    top = top or _nice_max([v for vals in series.values() for v in vals])
    scale = (width - label_w - 60) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%"><title>{escape(title)}</title>',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for i, lab in enumerate(labels):
        y0 = 30 + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y0 + row_h / 2}" text-anchor="end" class="chart-label">'
                     f'{escape(lab[:34])}</text>')
        for j, (name, vals) in enumerate(series.items()):
            v = vals[i]
            if v is None or math.isnan(v):
                continue
            y = y0 + j * bar_h
            parts.append(f'<rect x="{label_w}" y="{y}" width="{max(v * scale, 1):.1f}" height="{bar_h - 2}" '
                         f'fill="{COLOURS[j % 4]}"><title>{escape(name)}: {v:g}{unit}</title></rect>'
                         f'<text x="{label_w + v * scale + 4:.1f}" y="{y + bar_h - 3}" class="chart-value">'
                         f'{v:g}{unit}</text>')
    parts.append(_legend(list(series), 30 + row_h * len(labels) + 14, label_w))
    return "".join(parts) + "</svg>"


def _legend(names: list[str], y: float, x0: float) -> str:
    out = []
    for j, name in enumerate(names):
        x = x0 + j * 260
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLOURS[j % 4]}"/>'
                   f'<text x="{x + 14}" y="{y}" class="chart-label">{escape(name)}</text>')
    return "".join(out)


def line_chart(x_labels: list[str], series: dict[str, list[float]], *, title: str = "") -> str:
    """Lines over months (x evenly spaced); each series scaled to the common maximum."""
    width, height, left, bottom = 640, 260, 40, 40
    top = _nice_max([v for vals in series.values() for v in vals])
    n = max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> str:
        return f"{left + i * (width - left - 10) / n:.1f},{height - bottom - v / top * (height - bottom - 30):.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
             f'width="100%"><title>{escape(title)}</title>',
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
             f'<text x="4" y="34" class="chart-value">{top:g}</text>']
    for i, lab in enumerate(x_labels):
        parts.append(f'<text x="{xy(i, 0).split(",")[0]}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'class="chart-value">{escape(lab[2:])}</text>')
    for j, (_, vals) in enumerate(series.items()):
        pts = " ".join(xy(i, v) for i, v in enumerate(vals) if v is not None and not math.isnan(v))
        parts.append(f'<polyline fill="none" stroke="{COLOURS[j % 4]}" stroke-width="2" points="{pts}"/>')
    parts.append(_legend(list(series), height - 8, left))
    return "".join(parts) + "</svg>"
