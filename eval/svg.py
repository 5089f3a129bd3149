"""The report's plots as inline SVG (no plotting library, no scripts): histograms and scatter plots with
round axis ticks that reach past the data."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLOURS = ("#3b6ea5", "#d9822b")


# ----------------------------------------------------------------------------------------------------

W, H = 380, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 26, 40  # plot margins: room for tick labels and axis titles


def _clean(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def nice_ticks(lo: float, hi: float, target: int = 5, integer: bool = False) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart) from at or below ``lo`` to at or above ``hi``.

    The axis then runs from the first to the last tick, so every point sits between labelled values and a
    reader can read values off the axis instead of only its two ends.
    """
    if hi - lo < 1e-12:
        lo, hi = (lo - 1, hi + 1) if integer else (lo - 0.5, hi + 0.5)
    raw = (hi - lo) / max(target - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    count = round((last - first) / step)
    return [round(first + k * step, 12) for k in range(count + 1)]


def _tick_label(value: float, ticks: Sequence[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{value:.{decimals}f}"


def _axes(title: str, xlabel: str, ylabel: str, xticks: list[float], yticks: list[float]) -> list[str]:
    """SVG head, title, axis lines, gridlines and tick labels; the plot area spans the first to last tick."""
    x0, x1, y0, y1 = xticks[0], xticks[-1], yticks[0], yticks[-1]
    bottom, right = H - BOTTOM, W - RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
        # long titles (two system names) shrink to fit rather than run off the figure
        f'<text x="{W / 2}" y="15" text-anchor="middle" font-size="{min(12.0, (W - 12) / (0.62 * len(title))):.1f}" '
        f'font-weight="600">{escape(title)}</text>',
    ]
    for t in yticks:
        y = bottom - (bottom - TOP) * (t - y0) / (y1 - y0)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9" fill="#444">'
                     f"{_tick_label(t, yticks)}</text>")
    for t in xticks:
        x = LEFT + (right - LEFT) * (t - x0) / (x1 - x0)
        parts.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#333"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" font-size="9" fill="#444">'
                     f"{_tick_label(t, xticks)}</text>")
    parts += [
        f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>',
        f'<text x="{(LEFT + right) / 2}" y="{H - 6}" text-anchor="middle" font-size="10">{escape(xlabel)}</text>',
        f'<text x="12" y="{(TOP + bottom) / 2}" text-anchor="middle" font-size="10" '
        f'transform="rotate(-90 12 {(TOP + bottom) / 2})">{escape(ylabel)}</text>',
    ]
    return parts


def _legend(names: list[str]) -> list[str]:
    if len(names) < 2:
        return []
    out = []
    for i, name in enumerate(names):
        y = TOP + 10 + 12 * i
        out.append(f'<rect x="{W - 120}" y="{y - 8}" width="8" height="8" fill="{COLOURS[i % len(COLOURS)]}"/>')
        out.append(f'<text x="{W - 108}" y="{y}" font-size="9">{escape(name)}</text>')
    return out


def svg_histogram(
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    xlabel: str,
    bins: int = 10,
    ylabel: str = "documents",
) -> str:
    """Histogram of one or more series (side by side bars per bin) as an inline SVG string."""
    cleaned = [(name, _clean(values)) for name, values in series]
    values = [v for _, vs in cleaned for v in vs]
    xticks = nice_ticks(min(values, default=0.0), max(values, default=1.0))
    lo, hi = xticks[0], xticks[-1]
    width = (hi - lo) / bins
    counts = [[0] * bins for _ in cleaned]
    for s, (_, vs) in enumerate(cleaned):
        for v in vs:
            counts[s][min(int((v - lo) / width), bins - 1)] += 1
    yticks = nice_ticks(0, max([c for row in counts for c in row] + [1]), integer=True)
    top = yticks[-1]
    parts = _axes(title, xlabel, ylabel, xticks, yticks)
    plot_w, plot_h = W - RIGHT - LEFT, H - BOTTOM - TOP
    bar_w = plot_w / bins / max(len(cleaned), 1)
    for s, row in enumerate(counts):
        for b, c in enumerate(row):
            h = plot_h * c / top
            x = LEFT + b * plot_w / bins + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{H - BOTTOM - h:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(cleaned[s][0])}: {c} in '
                f"[{lo + b * width:.3g}, {lo + (b + 1) * width:.3g})</title></rect>"
            )
    parts += _legend([name for name, _ in cleaned])
    parts.append("</svg>")
    return "\n".join(parts)


def svg_scatter(
    series: Sequence[tuple[str, Sequence[float | None], Sequence[float | None]]],
    title: str,
    xlabel: str,
    ylabel: str,
    diagonal: bool = False,
) -> str:
    """Scatter plot of one or more (name, xs, ys) series as an inline SVG string."""
    pts = [
        (
            name,
            [
                (float(x), float(y))
                for x, y in zip(xs, ys, strict=True)
                if x is not None and y is not None and not math.isnan(float(x)) and not math.isnan(float(y))
            ],
        )
        for name, xs, ys in series
    ]
    all_x = [x for _, p in pts for x, _ in p] or [0.0, 1.0]
    all_y = [y for _, p in pts for _, y in p] or [0.0, 1.0]
    if diagonal:
        xticks = yticks = nice_ticks(min(all_x + all_y), max(all_x + all_y))
    else:
        xticks, yticks = nice_ticks(min(all_x), max(all_x)), nice_ticks(min(all_y), max(all_y))
    x0, x1, y0, y1 = xticks[0], xticks[-1], yticks[0], yticks[-1]
    parts = _axes(title, xlabel, ylabel, xticks, yticks)
    plot_w, plot_h = W - RIGHT - LEFT, H - BOTTOM - TOP

    def sx(x: float) -> float:
        return LEFT + plot_w * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return H - BOTTOM - plot_h * (y - y0) / (y1 - y0)

    if diagonal:
        parts.append(
            f'<line x1="{sx(x0):.1f}" y1="{sy(y0):.1f}" x2="{sx(x1):.1f}" y2="{sy(y1):.1f}" '
            'stroke="#aaa" stroke-dasharray="4 3"/>'
        )
    for s, (_, points) in enumerate(pts):
        for x, y in points:
            parts.append(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{COLOURS[s % len(COLOURS)]}" '
                'fill-opacity="0.7"/>'
            )
    parts += _legend([name for name, _ in pts])
    parts.append("</svg>")
    return "\n".join(parts)
