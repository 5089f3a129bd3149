"""Write an ``EvalReport`` as JSON, CSV, Markdown and a single-file HTML page.

The HTML report opens offline: no scripts, no external stylesheets or fonts, and the plots are inline SVG drawn
here; toggles are ``<details>`` elements. Every piece of text from the data (ids, names, texts, flagged tokens,
signatures) is HTML-escaped. The page leads with the answer (F-scores with intervals, or the paired table of a
comparison) and keeps the detail (precision/recall, signatures, configuration) one click away.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from beknopt.markdown import escape_inline

from .diagnostics import DIAGNOSTIC_FIELDS
from .metrics import LOWER_IS_BETTER
from .results import DocumentResult, EvalReport, SystemResult
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


def unit(report: EvalReport) -> str:
    """What one scored item is (``config["unit"]``): FLORES lines are segments, not documents."""
    return str(report.config.get("unit") or "documents")


def left_out_text(report: EvalReport) -> str:
    """One plain-text line on the ids that were not scored (``join="intersection"``), with the first few."""
    left = report.left_out
    refs = f"{len(left.references)} of {len(report.ids) + len(left.references)} references"
    parts = [refs + (f" ({_few(left.references)})" if left.references else "")]
    for system in report.systems:
        ids = left.predictions.get(system.name, [])
        of = f" of {system.name}" if len(report.systems) > 1 else ""
        part = f"{len(ids)} of {len(report.ids) + len(ids)} predictions{of}"
        parts.append(part + (f" ({_few(ids)})" if ids else ""))
    return (f"ids: intersection, the {len(report.ids)} {unit(report)} with both a prediction and a reference "
            f"scored; left out {', '.join(parts)}")


def to_markdown(report: EvalReport) -> str:
    cfg = report.config
    out = [f"# beknopt eval: {len(report.ids)} {unit(report)}, task {cfg['task']}", ""]
    out.append(
        f"Bootstrap: {cfg['n_bootstrap']} resamples of {unit(report)}, seed {cfg['seed']}, 95% percentile "
        "intervals. ROUGE and diagnostics are means of per-document values; BLEU/chrF/TER are corpus-level."
    )
    if cfg.get("join") == "intersection" or report.left_out:
        text = left_out_text(report)
        out += ["", escape_inline(text[0].upper() + text[1:] + ".")]
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


# --- HTML ---------------------------------------------------------------------------------------------------

CSS = """body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1.2em 2em 3em;color:#1f2328;background:#fff}
h1{font-size:1.45em;margin:.3em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;padding-bottom:.2em;
border-bottom:1px solid #d0d7de}h3{font-size:1.05em;margin:1.2em 0 .4em}
.meta{color:#57606a;margin:.2em 0}.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;
padding:.5em .8em}
table{border-collapse:collapse;margin:.4em 0 .2em}th,td{border-bottom:1px solid #d8dee4;padding:4px 10px;
text-align:left;vertical-align:top}th{background:#f6f8fa;font-weight:600}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.headline td.v{font-size:1.15em;font-weight:600}.ci{color:#57606a}.key{color:#8c959f;font-size:11px}
details{margin:.2em 0 1em}summary{cursor:pointer;color:#0969da;font-size:13px}
details.sig code{word-break:break-all}details.sig td{font-size:12px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#57606a}
.plots{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #d8dee4;border-radius:6px;padding:4px}
.better{color:#1a7f37;font-weight:600}.muted{color:#8c959f}
.doc{border:1px solid #d0d7de;border-radius:6px;margin:0 0 12px}
.doc>header{background:#f6f8fa;padding:5px 10px;border-bottom:1px solid #d0d7de;border-radius:6px 6px 0 0}
.doc>header b{font-family:ui-monospace,monospace}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr))}
.col{padding:8px 10px;border-left:1px solid #d8dee4;min-width:0}.col:first-child{border-left:0}
.col h4{margin:0 0 .3em;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#57606a}
.col h4 .sys{text-transform:none;letter-spacing:0;font-weight:normal;font-family:ui-monospace,monospace}
.badge{margin-left:.6em;padding:0 .6em;border-radius:999px;font-size:12px;background:#cf222e;color:#fff}
.text{white-space:pre-wrap;margin:0;overflow-wrap:anywhere}.src .text{max-height:14em;overflow:auto;color:#424a53}
.empty{color:#8c959f;font-style:italic}.scores{color:#57606a;font-size:12px;margin-top:.4em}
mark.flag{background:#ffebe9;color:#a40e26;border-bottom:2px solid #cf222e;padding:0 1px}
.flags{margin:.4em 0 0;padding:0;list-style:none}.flags li{display:inline-block;margin:2px 4px 0 0;
padding:0 .6em;border-radius:999px;font-size:12px;background:#ffebe9;color:#a40e26;border:1px solid #ffcecb}"""

LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "rougeLsum": "ROUGE-Lsum",
          "bertscore": "BERTScore", "bleu": "BLEU", "chrf": "chrF", "ter": "TER"}
TRANSLATION_KEYS = ("bleu", "chrf", "ter")


def _label(key: str) -> str:
    """``rouge1_f`` → ``ROUGE-1 F1``, with the key itself after it (the name in JSON and CSV)."""
    base, _, part = key.rpartition("_") if key.endswith(("_f", "_p", "_r")) else (key, "", "")
    name = LABELS.get(base, base) + {"f": " F1", "p": " precision", "r": " recall"}.get(part, "")
    note = " (lower is better)" if key in LOWER_IS_BETTER else ""
    return f"{escape(name)}{note} <span class=key>{escape(key)}</span>"


def _headline_keys(keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """(headline keys: F-scores and single-number metrics, the F-score bases that also have P and R)."""
    head = [k for k in keys if not k.endswith(("_p", "_r"))]
    with_pr = [k[:-2] for k in head if k.endswith("_f") and f"{k[:-2]}_p" in keys and f"{k[:-2]}_r" in keys]
    return head, with_pr


def _ci_html(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else f"[{_num(low)}, {_num(high)}]"


def _signatures(items: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><td>{escape(k)}</td><td><code>{escape(v)}</code></td></tr>" for k, v in items)
    return f"<details class=sig><summary>Signatures</summary><table>{rows}</table></details>"


def _html_headline(scores: dict[str, Score]) -> str:
    """F-scores (and BLEU/chrF/TER) first; precision and recall behind a toggle; signatures collapsed."""
    head, with_pr = _headline_keys(list(scores))
    rows = "".join(
        f"<tr data-metric='{escape(k)}'><td>{_label(k)}</td><td class='n v'>{_num(scores[k].value)}</td>"
        f"<td class='n ci'>{_ci_html(scores[k].ci_low, scores[k].ci_high)}</td></tr>"
        for k in head
    )
    out = [f"<table class=headline><tr><th>Metric</th><th class=n>Score</th><th class=n>95% CI</th></tr>{rows}"
           "</table>"]
    if with_pr:
        pr_rows = "".join(
            f"<tr data-metric='{escape(b)}'><td>{escape(LABELS.get(b, b))}</td>"
            + "".join(f"<td class=n>{_num(scores[f'{b}_{x}'].value)}</td>"
                      f"<td class='n ci'>{_ci_html(scores[f'{b}_{x}'].ci_low, scores[f'{b}_{x}'].ci_high)}</td>"
                      for x in ("p", "r"))
            + "</tr>"
            for b in with_pr
        )
        out.append(
            "<details class=pr><summary>Precision and recall</summary><table class=pr-table><tr><th>Metric</th>"
            "<th class=n>Precision</th><th class=n>95% CI</th><th class=n>Recall</th><th class=n>95% CI</th></tr>"
            f"{pr_rows}</table></details>"
        )
    out.append(_signatures([(k, s.signature) for k, s in scores.items()]))
    return "".join(out)


def _html_diagnostics(scores: dict[str, Score]) -> str:
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td class=n>{_num(s.value)}</td><td class='n ci'>{_ci_html(s.ci_low, s.ci_high)}"
        "</td></tr>"
        for k, s in scores.items()
    )
    return (f"<table class=diagnostics><tr><th>Diagnostic</th><th class=n>Value</th><th class=n>95% CI</th></tr>"
            f"{rows}</table>" + _signatures([(k, s.signature) for k, s in scores.items()]))


def _paired_rows(report: EvalReport, keys: Sequence[str]) -> str:
    a, b = (s.name for s in report.systems[:2])
    by_metric = {c.metric: c for c in report.comparison}
    rows = []
    for key in keys:
        c = by_metric[key]
        better = "–"
        if c.p_value is not None and c.p_value < 0.05 and c.difference != 0:
            b_wins = (c.difference < 0) if key in LOWER_IS_BETTER else (c.difference > 0)
            better = f"<span class=better>{escape(b if b_wins else a)}</span>"
        rows.append(
            f"<tr data-metric='{escape(key)}'><td>{_label(key)}</td><td class=n>{_num(c.value_a)}</td>"
            f"<td class=n>{_num(c.value_b)}</td><td class='n v'>{_num(c.difference)}</td>"
            f"<td class='n ci'>{_ci_html(c.ci_low, c.ci_high)}</td><td class=n>{_num(c.p_value)}</td>"
            f"<td>{better}</td></tr>"
        )
    return "".join(rows)


def _html_paired(report: EvalReport, h: int) -> str:
    """The paired table of ``--compare``: the answer to "is B better than A?", so it comes first."""
    a, b = (escape(s.name) for s in report.systems[:2])
    keys = [c.metric for c in report.comparison]
    head, with_pr = _headline_keys(keys)
    header = (f"<tr><th>Metric</th><th class=n>{a}</th><th class=n>{b}</th><th class=n>{b} − {a}</th>"
              "<th class=n>95% CI</th><th class=n>p</th><th>Better (p &lt; 0.05)</th></tr>")
    out = [f"<h{h}>Paired bootstrap: {b} − {a}</h{h}>",
           f"<table class='headline paired'>{header}{_paired_rows(report, head)}</table>"]
    if with_pr:
        pr_keys = [f"{base}_{x}" for base in with_pr for x in ("p", "r")]
        out.append(f"<details class=pr><summary>Precision and recall</summary><table class=pr-table>{header}"
                   f"{_paired_rows(report, pr_keys)}</table></details>")
    out.append(_signatures([(c.metric, c.signature) for c in report.comparison]))
    return "".join(out)


def _length_axis(report: EvalReport) -> str:
    """What ``DocumentResult.length`` counts: the source if there was one, else the reference."""
    basis = str(report.config.get("length_basis") or "reference words")
    return basis.split()[0]


def _plots(report: EvalReport) -> str:
    systems = report.systems
    keys = [k for k in PLOT_METRICS if all(k in d.scores for s in systems for d in s.documents)]
    what = unit(report)
    figures = []
    for key in keys:
        series = [(s.name, [d.scores[key] for d in s.documents]) for s in systems]
        figures.append(svg_histogram(series, f"{key} per {what.removesuffix('s')}", key, ylabel=what))
    basis = _length_axis(report)
    for key in (k for k in LENGTH_METRICS if k in keys):
        series3 = [
            (s.name, [d.length for d in s.documents], [d.scores[key] for d in s.documents]) for s in systems
        ]
        figures.append(svg_scatter(series3, f"{key} vs {basis} length", f"{basis} length (words)", key))
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


def _highlight(text: str, tokens: Sequence[str]) -> str:
    """``text`` escaped, each flagged token (as a whole word) marked."""
    if not tokens:
        return escape(text)
    alternatives = "|".join(re.escape(t) for t in sorted(set(tokens), key=len, reverse=True))
    out, pos = [], 0
    for match in re.finditer(rf"(?<!\w)(?:{alternatives})(?!\w)", text):
        out += [escape(text[pos : match.start()]), f"<mark class=flag>{escape(match.group(0))}</mark>"]
        pos = match.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _task_of(key: str) -> str:
    return "translation" if key.startswith(TRANSLATION_KEYS) else "summary"


def _column_title(kind: str, name: str | None = None) -> str:
    return f"<h4>{escape(kind)}" + (f" <span class=sys>{escape(name)}</span>" if name else "") + "</h4>"


def _flags(doc: DocumentResult, task: str) -> tuple[list[str], list[str]]:
    """(numbers, names) of a summary found in none of its sources."""
    if doc.diagnostics is None or task != "summary":
        return [], []
    return list(doc.diagnostics.unsupported_numbers), list(doc.diagnostics.unsupported_names)


def _prediction_column(system: SystemResult, i: int, task: str, name: str | None) -> str:
    doc = system.documents[i]
    text = system.predictions[task][i]
    numbers, names = _flags(doc, task)
    body = _highlight(text, numbers + names) if text.strip() else "<span class=empty>(empty prediction)</span>"
    flags = [f"<li>number not in source: {escape(n)}</li>" for n in numbers]
    flags += [f"<li>name not in source: {escape(n)}</li>" for n in names]
    if not text.strip():
        flags.append("<li>empty (scored as 0)</li>")
    head, _ = _headline_keys([k for k in doc.scores if _task_of(k) == task])
    scores = " · ".join(f"{escape(k)} {_num(doc.scores[k], 3)}" for k in head)
    return (f"<section class='col pred'>{_column_title(task.capitalize(), name)}<p class=text>{body}</p>"
            + (f"<ul class=flags>{''.join(flags)}</ul>" if flags else "")
            + (f"<div class=scores>{scores}</div>" if scores else "") + "</section>")


def _html_document(report: EvalReport, i: int) -> str:
    """One document: each system's prediction (flags marked), the reference and the source side by side."""
    tasks = list(report.references) or list(report.systems[0].predictions)
    named = len(report.systems) > 1
    cols = []
    for system in report.systems:
        for task in tasks:
            if task not in system.predictions:
                continue
            cols.append(_prediction_column(system, i, task, system.name if named else None))
    for task in tasks:
        if task in report.references:
            title = "Reference" + (f" {task}" if len(tasks) > 1 else "")
            cols.append(f"<section class='col ref'>{_column_title(title)}"
                        f"<p class=text>{escape(report.references[task][i])}</p></section>")
    label = str(report.config.get("source_label") or "source")
    title = "Source" + (f" ({label})" if label != "source" else "")
    # one column per distinct source: two run folders may each have summarised their own translation
    sources = {s.name: s.sources[i] for s in report.systems if s.sources is not None}
    distinct = len(set(sources.values()))
    for k, (name, text) in enumerate(sources.items()):
        if text in list(sources.values())[:k]:
            continue
        own = name if distinct > 1 else None
        cols.append(f"<section class='col src'>{_column_title(title, own)}<p class=text>{escape(text)}</p></section>")
    doc = report.systems[0].documents[i]
    length = f" · {doc.length} {_length_axis(report)} words" if doc.length is not None else ""
    n_flags = sum(len(n) + len(m) for s in report.systems for t in tasks for n, m in [_flags(s.documents[i], t)])
    badge = f" <span class=badge>{n_flags} flagged</span>" if n_flags else ""
    return (f"<article class=doc data-id='{escape(report.ids[i])}'><header><b>{escape(report.ids[i])}</b>"
            f"<span class=muted>{length}</span>{badge}</header><div class=cols>{''.join(cols)}</div></article>")


def _html_score_table(system: SystemResult) -> str:
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
    return (f"<details><summary>Per-document scores: {escape(system.name)}</summary>"
            f"<table class=documents><tr>{head}</tr>{''.join(rows)}</table></details>")


def html_sections(report: EvalReport, level: int = 1) -> list[str]:
    """The report's HTML, headings from ``<h{level}>`` down, for a page of its own or inside another one."""
    h1, h2, h3 = level, level + 1, level + 2
    cfg = report.config
    names = [s.name for s in report.systems]
    title = f"beknopt eval: {len(report.ids)} {unit(report)}, task {cfg['task']}"
    body = [f"<h{h1}>{escape(title)}</h{h1}>"]
    systems = " vs ".join(f"<b>{escape(n)}</b>" for n in names)
    resampling = (f"{cfg['n_bootstrap']} bootstrap resamples of {escape(unit(report))}, seed {escape(str(cfg['seed']))}"
                  ", 95% percentile intervals" if cfg["n_bootstrap"] else "no bootstrap intervals")
    scales = {"summary": "ROUGE (0–1) and the diagnostics are means of per-document values",
              "translation": "BLEU, chrF and TER (0–100) are corpus-level"}
    scale = "; ".join(v for k, v in scales.items() if cfg["task"] in (k, "both"))
    body.append(f"<p class=meta>{systems} · {resampling}. {scale}.</p>")
    if cfg.get("join") == "intersection" or report.left_out:
        text = left_out_text(report)
        body.append(f"<p class=note>{escape(text[0].upper() + text[1:])}.</p>")
    if report.comparison:
        body.append(_html_paired(report, h2))
    for system in report.systems:
        body.append(f"<h{h2}>{escape('Scores' if len(names) == 1 else system.name)}</h{h2}>")
        body.append(_html_headline(system.scores))
        if system.diagnostics:
            body.append(f"<h{h3}>Summary diagnostics</h{h3}>" + _html_diagnostics(system.diagnostics))
        for task, ids in system.empty_predictions.items():
            if ids:
                body.append(
                    f"<p class=note>Empty {escape(task)} predictions (scored as 0): {len(ids)} "
                    f"({escape(_few(ids))})</p>"
                )
    body.append(f"<h{h2}>Plots</h{h2}>" + _plots(report))
    body.append(f"<h{h2}>{escape(unit(report).capitalize())}</h{h2}>")
    body += [_html_score_table(s) for s in report.systems]
    if report.references:
        body.append("<div class=documents-view>" + "".join(_html_document(report, i) for i in range(len(report.ids)))
                    + "</div>")
    cfg_rows = "".join(
        f"<tr><td>{escape(str(k))}</td><td><code>{escape(json.dumps(v, ensure_ascii=False))}</code></td></tr>"
        for k, v in cfg.items()
    )
    body.append(f"<details><summary>Configuration</summary><table class=config>{cfg_rows}</table></details>")
    return body


def html_page(title: str, body: Sequence[str]) -> str:
    """A self-contained page: inline CSS, no scripts, fonts or anything else fetched."""
    return (
        f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def to_html(report: EvalReport) -> str:
    return html_page("beknopt eval report", html_sections(report))


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
