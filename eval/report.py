"""Write an ``EvalReport`` as JSON, CSV, Markdown and a single-file HTML page.

The HTML report opens offline: no scripts, no external stylesheets, and the plots are inline SVG drawn here.
Every piece of text from the data (ids, names, flagged tokens, signatures) is HTML-escaped.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from beknopt.markdown import escape_inline

from .diagnostics import DIAGNOSTIC_FIELDS
from .metrics import LOWER_IS_BETTER
from .results import EvalReport, SystemResult
from .scores import Score

REPORT_FORMATS = ("json", "csv", "md", "html")
PLOT_METRICS = ("rouge1_f", "rouge2_f", "rougeLsum_f", "bertscore_f", "bleu", "chrf", "ter")
LENGTH_METRICS = ("rougeLsum_f", "chrf")
COLOURS = ("#3b6ea5", "#d9822b")


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _ci(score: Score) -> str:
    if score.ci_low is None or score.ci_high is None:
        return "–"
    return f"[{_num(score.ci_low)}, {_num(score.ci_high)}]"


def _few(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


# --- JSON / CSV ---------------------------------------------------------------------------------------------


def to_json(report: EvalReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def _document_columns(system: SystemResult) -> tuple[list[str], list[str]]:
    score_keys = list(dict.fromkeys(k for d in system.documents for k in d.scores))
    diag_keys = []
    if any(d.diagnostics for d in system.documents):
        diag_keys = [*DIAGNOSTIC_FIELDS, "unsupported_numbers", "unsupported_names"]
    return score_keys, diag_keys


def to_csv(report: EvalReport) -> str:
    """One row per document; with two systems every column but id/length is prefixed ``name:``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    prefix = len(report.systems) > 1
    header = ["id", "length"]
    columns = []
    for system in report.systems:
        score_keys, diag_keys = _document_columns(system)
        p = f"{system.name}:" if prefix else ""
        columns.append((score_keys, diag_keys))
        header += [f"{p}empty"] + [p + k for k in score_keys] + [p + k for k in diag_keys]
    writer.writerow(header)
    for i, doc_id in enumerate(report.ids):
        row: list[Any] = [doc_id, report.systems[0].documents[i].length]
        for system, (score_keys, diag_keys) in zip(report.systems, columns, strict=True):
            doc = system.documents[i]
            row.append(";".join(doc.empty))
            row += [doc.scores.get(k, "") for k in score_keys]
            d = doc.diagnostics.to_dict() if doc.diagnostics else {}
            for key in diag_keys:
                value = d.get(key)
                row.append(";".join(value) if isinstance(value, list) else ("" if value is None else value))
        writer.writerow(row)
    return buffer.getvalue()


# --- Markdown -----------------------------------------------------------------------------------------------


def _score_table(scores: dict[str, Score]) -> list[str]:
    lines = ["| Metric | Score | 95% CI | Signature |", "|---|---:|---|---|"]
    for key, score in scores.items():
        lines.append(f"| {key} | {_num(score.value)} | {_ci(score)} | `{score.signature}` |")
    return lines


def to_markdown(report: EvalReport) -> str:
    cfg = report.config
    out = [f"# beknopt eval: {len(report.ids)} documents, task {cfg['task']}", ""]
    out.append(
        f"Bootstrap: {cfg['n_bootstrap']} resamples of documents, seed {cfg['seed']}, 95% percentile "
        "intervals. ROUGE and diagnostics are means of per-document values; BLEU/chrF/TER are corpus-level."
    )
    for system in report.systems:
        out += ["", f"## {escape_inline(system.name)}", ""]
        out += _score_table(system.scores)
        if system.diagnostics:
            out += ["", "Summary diagnostics:", ""] + _score_table(system.diagnostics)
        for task, ids in system.empty_predictions.items():
            if ids:
                out += ["", f"Empty {task} predictions (scored as 0): {len(ids)} ({escape_inline(_few(ids))})"]
    if report.comparison:
        a, b = (escape_inline(s.name) for s in report.systems[:2])
        out += [
            "",
            f"## Paired bootstrap: {b} − {a}",
            "",
            f"| Metric | {a} | {b} | Difference | 95% CI | p-value |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for c in report.comparison:
            note = " (lower is better)" if c.metric in LOWER_IS_BETTER else ""
            ci = "–" if c.ci_low is None else f"[{_num(c.ci_low)}, {_num(c.ci_high)}]"
            out.append(
                f"| {c.metric}{note} | {_num(c.value_a)} | {_num(c.value_b)} | {_num(c.difference)} | {ci} | "
                f"{_num(c.p_value)} |"
            )
    if report.sentence_signatures:
        out += [
            "",
            "Per-document (sentence-level) signatures: "
            + "; ".join(f"{k} `{v}`" for k, v in report.sentence_signatures.items()),
        ]
    return "\n".join(out) + "\n"


# --- SVG ----------------------------------------------------------------------------------------------------

W, H, PAD = 360, 220, 40


def _clean(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def _axes(title: str, xlabel: str, ylabel: str, x0: float, x1: float, y0: float, y1: float) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{W / 2}" y="14" text-anchor="middle" font-size="12">{escape(title)}</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" stroke="#333"/>',
        f'<line x1="{PAD}" y1="24" x2="{PAD}" y2="{H - PAD}" stroke="#333"/>',
        f'<text x="{W / 2}" y="{H - 6}" text-anchor="middle" font-size="10">{escape(xlabel)}</text>',
        f'<text x="10" y="{H / 2}" text-anchor="middle" font-size="10" transform="rotate(-90 10 {H / 2})">'
        f"{escape(ylabel)}</text>",
        f'<text x="{PAD}" y="{H - PAD + 12}" text-anchor="middle" font-size="9">{x0:.3g}</text>',
        f'<text x="{W - 10}" y="{H - PAD + 12}" text-anchor="end" font-size="9">{x1:.3g}</text>',
        f'<text x="{PAD - 3}" y="{H - PAD}" text-anchor="end" font-size="9">{y0:.3g}</text>',
        f'<text x="{PAD - 3}" y="30" text-anchor="end" font-size="9">{y1:.3g}</text>',
    ]
    return parts


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def svg_histogram(
    series: Sequence[tuple[str, Sequence[float | None]]], title: str, xlabel: str, bins: int = 10
) -> str:
    """Histogram of one or more series (side by side bars per bin) as an inline SVG string."""
    cleaned = [(name, _clean(values)) for name, values in series]
    lo, hi = _range([v for _, vs in cleaned for v in vs])
    width = (hi - lo) / bins
    counts = [[0] * bins for _ in cleaned]
    for s, (_, values) in enumerate(cleaned):
        for v in values:
            counts[s][min(int((v - lo) / width), bins - 1)] += 1
    top = max([c for row in counts for c in row] + [1])
    parts = _axes(title, xlabel, "documents", lo, hi, 0, top)
    plot_w, plot_h = W - 10 - PAD, H - PAD - 24
    bar_w = plot_w / bins / max(len(cleaned), 1)
    for s, row in enumerate(counts):
        for b, c in enumerate(row):
            h = plot_h * c / top
            x = PAD + b * plot_w / bins + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{H - PAD - h:.1f}" width="{max(bar_w - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(cleaned[s][0])}: {c}</title></rect>'
            )
    parts += _legend([name for name, _ in cleaned])
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(names: list[str]) -> list[str]:
    if len(names) < 2:
        return []
    out = []
    for i, name in enumerate(names):
        y = 28 + 12 * i
        out.append(
            f'<rect x="{W - 110}" y="{y - 8}" width="8" height="8" fill="{COLOURS[i % len(COLOURS)]}"/>'
        )
        out.append(f'<text x="{W - 98}" y="{y}" font-size="9">{escape(name)}</text>')
    return out


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
    all_x = [x for _, p in pts for x, _ in p]
    all_y = [y for _, p in pts for _, y in p]
    x0, x1 = _range(all_x)
    y0, y1 = _range(all_y)
    if diagonal:
        x0 = y0 = min(x0, y0)
        x1 = y1 = max(x1, y1)
    parts = _axes(title, xlabel, ylabel, x0, x1, y0, y1)
    plot_w, plot_h = W - 10 - PAD, H - PAD - 24

    def sx(x: float) -> float:
        return PAD + plot_w * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return H - PAD - plot_h * (y - y0) / (y1 - y0)

    if diagonal:
        parts.append(
            f'<line x1="{sx(x0):.1f}" y1="{sy(y0):.1f}" x2="{sx(x1):.1f}" y2="{sy(y1):.1f}" '
            'stroke="#aaa" stroke-dasharray="4 3"/>'
        )
    for s, (_, points) in enumerate(pts):
        for x, y in points:
            parts.append(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{COLOURS[s % len(COLOURS)]}" '
                'fill-opacity="0.7"/>'
            )
    parts += _legend([name for name, _ in pts])
    parts.append("</svg>")
    return "\n".join(parts)


# --- HTML ---------------------------------------------------------------------------------------------------

CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}
td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:11px;color:#555}
.plots{display:flex;flex-wrap:wrap;gap:12px}.flag{color:#b00}"""


def _html_scores(scores: dict[str, Score]) -> str:
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td class=n>{_num(s.value)}</td><td>{escape(_ci(s))}</td>"
        f"<td><code>{escape(s.signature)}</code></td></tr>"
        for k, s in scores.items()
    )
    return f"<table><tr><th>Metric</th><th>Score</th><th>95% CI</th><th>Signature</th></tr>{rows}</table>"


def _plots(report: EvalReport) -> str:
    systems = report.systems
    keys = [k for k in PLOT_METRICS if all(k in d.scores for s in systems for d in s.documents)]
    figures = []
    for key in keys:
        series = [(s.name, [d.scores[key] for d in s.documents]) for s in systems]
        figures.append(svg_histogram(series, f"{key} per document", key))
    for key in (k for k in LENGTH_METRICS if k in keys):
        series3 = [
            (s.name, [d.length for d in s.documents], [d.scores[key] for d in s.documents]) for s in systems
        ]
        figures.append(
            svg_scatter(series3, f"{key} vs article length", report.config.get("length_basis", "words"), key)
        )
    if len(systems) == 2:
        a, b = systems
        for key in keys:
            figures.append(
                svg_scatter(
                    [
                        (
                            f"{a.name} vs {b.name}",
                            [d.scores[key] for d in a.documents],
                            [d.scores[key] for d in b.documents],
                        )
                    ],
                    f"{key}: {a.name} (x) vs {b.name} (y)",
                    a.name,
                    b.name,
                    diagonal=True,
                )
            )
    return '<div class="plots">' + "".join(f"<figure>{f}</figure>" for f in figures) + "</div>"


def _html_documents(system: SystemResult) -> str:
    score_keys, _ = _document_columns(system)
    head = "".join(f"<th>{escape(k)}</th>" for k in ["id", "length", *score_keys, "flags"])
    rows = []
    for d in system.documents:
        flags = []
        if d.empty:
            flags.append("empty " + "/".join(d.empty))
        if d.diagnostics:
            flags += [f"number {n}" for n in d.diagnostics.unsupported_numbers]
            flags += [f"name {n}" for n in d.diagnostics.unsupported_names]
        cells = "".join(f"<td class=n>{_num(d.scores.get(k))}</td>" for k in score_keys)
        rows.append(
            f"<tr><td>{escape(d.id)}</td><td class=n>{d.length if d.length is not None else ''}</td>{cells}"
            f"<td class=flag>{escape('; '.join(flags))}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def to_html(report: EvalReport) -> str:
    cfg = report.config
    body = [f"<h1>beknopt eval: {len(report.ids)} documents, task {escape(str(cfg['task']))}</h1>"]
    cfg_rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td><code>{escape(json.dumps(v, ensure_ascii=False))}</code></td></tr>"
        for k, v in cfg.items()
    )
    body.append(f"<details><summary>Configuration</summary><table>{cfg_rows}</table></details>")
    for system in report.systems:
        body.append(f"<h2>{escape(system.name)}</h2>")
        body.append(_html_scores(system.scores))
        if system.diagnostics:
            body.append("<h3>Summary diagnostics</h3>" + _html_scores(system.diagnostics))
        for task, ids in system.empty_predictions.items():
            if ids:
                body.append(
                    f"<p class=flag>Empty {escape(task)} predictions (scored as 0): {len(ids)} "
                    f"({escape(_few(ids))})</p>"
                )
    if report.comparison:
        a, b = (escape_inline(s.name) for s in report.systems[:2])
        rows = "".join(
            f"<tr><td>{escape(c.metric)}</td><td class=n>{_num(c.value_a)}</td>"
            f"<td class=n>{_num(c.value_b)}</td>"
            f"<td class=n>{_num(c.difference)}</td><td>{_num(c.ci_low)} … {_num(c.ci_high)}</td>"
            f"<td class=n>{_num(c.p_value)}</td></tr>"
            for c in report.comparison
        )
        body.append(
            f"<h2>Paired bootstrap: {escape(b)} − {escape(a)}</h2><table><tr><th>Metric</th>"
            f"<th>{escape(a)}</th><th>{escape(b)}</th><th>Difference</th><th>95% CI</th><th>p</th></tr>"
            f"{rows}</table>"
        )
    body.append("<h2>Plots</h2>" + _plots(report))
    for system in report.systems:
        body.append(
            f"<details><summary>Documents: {escape(system.name)}</summary>{_html_documents(system)}</details>"
        )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>beknopt eval report</title>"
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_reports(
    report: EvalReport, out_dir: str | Path, formats: Sequence[str] = REPORT_FORMATS
) -> list[Path]:
    """Write the requested formats as ``report.<ext>`` into ``out_dir`` (created if needed)."""
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown:
        raise ValueError(
            f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(REPORT_FORMATS)}"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers = {"json": to_json, "csv": to_csv, "md": to_markdown, "html": to_html}
    written = []
    for fmt in formats:
        path = out / f"report.{fmt}"
        path.write_text(writers[fmt](report), encoding="utf-8")
        written.append(path)
    return written
