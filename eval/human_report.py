"""``beknopt eval --human`` reports: JSON (the rows of ``HumanReport.to_dict``), a Markdown table, and a
single-file HTML page with a heat map (metrics x aspects, summary level) and a per-system scatter plot."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path

from beknopt.formats.markdown import escape_inline

from .formatting import num
from .html import LABELS, html_page
from .human import Correlation, HumanReport
from .report import write_formats
from .svg import svg_scatter

__all__ = ["HUMAN_REPORT_FORMATS", "human_to_html", "human_to_json", "human_to_markdown", "write_human_reports"]

HUMAN_REPORT_FORMATS = ("json", "md", "html")
EXTRA_LABELS = {"support": "support", "numbers": "numbers (−unsupported)", "names": "names (−unsupported)"}


def _label(metric: str) -> str:
    return LABELS.get(metric) or EXTRA_LABELS.get(metric, metric)


def _ci(c: Correlation, coefficient: str = "spearman") -> str:
    interval = c.ci.get(coefficient)
    return f"[{num(interval[0], 3)}, {num(interval[1], 3)}]" if interval else "–"


def human_to_json(report: HumanReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def human_to_markdown(report: HumanReport) -> str:
    """One table per level: every metric x aspect with Spearman (95 % interval), Kendall τ, Pearson and n."""
    lines = [f"# Metric–human agreement ({len(report.judgements)} judged summaries, {len(report.articles)} "
             f"articles, {len(report.systems)} systems)", ""]
    for level, what in (("summary", "per article across systems, averaged; n = articles with variance"),
                        ("system", "of the systems' mean scores; n = systems")):
        lines += [f"## {level.capitalize()} level ({what})", "",
                  "| metric | aspect | Spearman | 95% CI | Kendall τ | Pearson | n |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for c in report.correlations:
            if c.level == level:
                lines.append(f"| {escape_inline(_label(c.metric))} | {escape_inline(c.aspect)} | "
                             f"{num(c.spearman, 3)} | {_ci(c)} | {num(c.kendall, 3)} | {num(c.pearson, 3)} | {c.n} |")
        lines.append("")
    lines += [f"Signature: `{report.signature}`", ""]
    return "\n".join(lines)


def _cell_colour(value: float | None) -> str:
    """Blue for agreement, red for disagreement, white near 0 (|ρ| = 0.6 is full colour)."""
    if value is None:
        return "#f6f8fa"
    strength = min(abs(value) / 0.6, 1.0)
    r, g, b = (9, 105, 218) if value >= 0 else (207, 34, 46)
    mix = [round(255 - (255 - c) * strength * 0.75) for c in (r, g, b)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def _heat_map(report: HumanReport, level: str) -> str:
    by_key = {(c.metric, c.aspect): c for c in report.correlations if c.level == level}
    head = "".join(f"<th>{escape(a)}</th>" for a in report.aspects)
    rows = []
    for metric in report.metrics:
        cells = []
        for aspect in report.aspects:
            c = by_key.get((metric, aspect))
            value = c.spearman if c else None
            title = f"{_label(metric)} vs {aspect}: Spearman {num(value, 3)} {_ci(c)} (n={c.n})" if c else ""
            cells.append(f'<td class="n heat" style="background:{_cell_colour(value)}" title="{escape(title)}">'
                         f"{num(value, 3)}<br><span class=ci>{_ci(c) if c else ''}</span></td>")
        rows.append(f"<tr><th>{escape(_label(metric))}</th>{''.join(cells)}</tr>")
    return (f'<table class="heatmap" data-level="{level}"><tr><th>metric</th>{head}</tr>' + "".join(rows)
            + "</table>")


def _scatter(report: HumanReport, metric: str, aspect: str) -> str:
    means = report.system_means()
    points = [(s, means[s].get(metric), means[s].get(aspect)) for s in report.systems]
    chart = svg_scatter([("systems", [p[1] for p in points], [p[2] for p in points])],
                        f"{_label(metric)} vs {aspect}, one point per system", f"mean {_label(metric)}",
                        f"mean {aspect}")
    rows = "".join(f"<tr><td>{escape(s)}</td><td class=n>{num(x)}</td><td class=n>{num(y, 3)}</td></tr>"
                   for s, x, y in points)
    return (f"<figure>{chart}</figure><details><summary>the points</summary><table><tr><th>system</th>"
            f"<th>mean {escape(_label(metric))}</th><th>mean {escape(aspect)}</th></tr>{rows}</table></details>")


def human_to_html(report: HumanReport, *, metric: str | None = None, aspect: str | None = None) -> str:
    """The page; the scatter shows ``metric`` (default ``support`` when scored, else the first) against
    ``aspect`` (default ``consistency`` when judged, else the first)."""
    metric = metric or ("support" if "support" in report.metrics else report.metrics[0])
    aspect = aspect or ("consistency" if "consistency" in report.aspects else report.aspects[0])
    body = [f"<h1>Metric–human agreement</h1><p class=meta>{len(report.judgements)} judged summaries of "
            f"{len(report.articles)} articles by {len(report.systems)} systems. Spearman's ρ with its 95 % "
            "bootstrap interval (resampling articles); hover a cell for n.</p>",
            "<h2>Summary level</h2><p class=meta>Per article across its systems' summaries, averaged over the "
            "articles where both sides vary.</p>", _heat_map(report, "summary"),
            "<h2>System level</h2><p class=meta>The systems' mean metric against their mean human score.</p>",
            _heat_map(report, "system"),
            f"<h2>{escape(_label(metric))} against {escape(aspect)}</h2>", _scatter(report, metric, aspect),
            f"<details class=sig><summary>signature</summary><code>{escape(report.signature)}</code></details>"]
    return html_page("beknopt eval: metric–human agreement", body)


def write_human_reports(report: HumanReport, out_dir: str | Path, formats: Sequence[str] = HUMAN_REPORT_FORMATS
                        ) -> list[Path]:
    """``human.<ext>`` for each format into ``out_dir`` (created if needed)."""
    writers = {"json": human_to_json, "md": human_to_markdown, "html": human_to_html}
    return write_formats(out_dir, "human", {fmt: lambda w=w: w(report) for fmt, w in writers.items()}, formats)
