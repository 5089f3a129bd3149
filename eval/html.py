"""The single-file HTML report: it opens offline (no scripts, no external stylesheets or fonts; toggles are
``<details>``), escapes every piece of text from the data, leads with the answer (F-scores with intervals, or
the paired table of a comparison) and keeps the detail (precision/recall, signatures, configuration) one click
away."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from html import escape

from .formatting import document_columns, few_ids, left_out_text, num, unit
from .metrics import LOWER_IS_BETTER
from .results import DocumentResult, EvalReport, SystemResult
from .scores import Score
from .svg import svg_histogram, svg_scatter

PLOT_METRICS = ("rouge1_f", "rouge2_f", "rougeLsum_f", "bertscore_f", "bleu", "chrf", "ter")
LENGTH_METRICS = ("rougeLsum_f", "chrf")


# ---------------------------------------------------------------------------------------------------

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
    return "–" if low is None or high is None else f"[{num(low)}, {num(high)}]"


def _signatures(items: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><td>{escape(k)}</td><td><code>{escape(v)}</code></td></tr>" for k, v in items)
    return f"<details class=sig><summary>Signatures</summary><table>{rows}</table></details>"


def _html_headline(scores: dict[str, Score]) -> str:
    """F-scores (and BLEU/chrF/TER) first; precision and recall behind a toggle; signatures collapsed."""
    head, with_pr = _headline_keys(list(scores))
    rows = "".join(
        f"<tr data-metric='{escape(k)}'><td>{_label(k)}</td><td class='n v'>{num(scores[k].value)}</td>"
        f"<td class='n ci'>{_ci_html(scores[k].ci_low, scores[k].ci_high)}</td></tr>"
        for k in head
    )
    out = [f"<table class=headline><tr><th>Metric</th><th class=n>Score</th><th class=n>95% CI</th></tr>{rows}"
           "</table>"]
    if with_pr:
        pr_rows = "".join(
            f"<tr data-metric='{escape(b)}'><td>{escape(LABELS.get(b, b))}</td>"
            + "".join(f"<td class=n>{num(scores[f'{b}_{x}'].value)}</td>"
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
        f"<tr><td>{escape(k)}</td><td class=n>{num(s.value)}</td><td class='n ci'>{_ci_html(s.ci_low, s.ci_high)}"
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
            f"<tr data-metric='{escape(key)}'><td>{_label(key)}</td><td class=n>{num(c.value_a)}</td>"
            f"<td class=n>{num(c.value_b)}</td><td class='n v'>{num(c.difference)}</td>"
            f"<td class='n ci'>{_ci_html(c.ci_low, c.ci_high)}</td><td class=n>{num(c.p_value)}</td>"
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
    scores = " · ".join(f"{escape(k)} {num(doc.scores[k], 3)}" for k in head)
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
    score_keys, _ = document_columns(system)
    head = "".join(f"<th>{escape(k)}</th>" for k in ["id", "length", *score_keys, "flags"])
    rows = []
    for d in system.documents:
        flags = []
        if d.empty:
            flags.append("empty " + "/".join(d.empty))
        if d.diagnostics:
            flags += [f"number {n}" for n in d.diagnostics.unsupported_numbers]
            flags += [f"name {n}" for n in d.diagnostics.unsupported_names]
        cells = "".join(f"<td class=n>{num(d.scores.get(k))}</td>" for k in score_keys)
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
                    f"({escape(few_ids(ids))})</p>"
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
