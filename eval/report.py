"""Write an ``EvalReport`` as JSON, CSV, Markdown and a single-file HTML page (``beknopt.eval.html``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from beknopt.formats.markdown import escape_inline

from .formatting import ci_text, document_columns, few_ids, left_out_text, num, unit
from .html import html_page, html_sections, to_html
from .metrics import LOWER_IS_BETTER
from .results import EvalReport
from .scores import Score
from .svg import nice_ticks

__all__ = ["REPORT_FORMATS", "html_page", "html_sections", "left_out_text", "nice_ticks", "to_csv", "to_html",
           "to_json", "to_markdown", "unit", "write_formats", "write_reports"]

REPORT_FORMATS = ("json", "csv", "md", "html")


# --- JSON / CSV ---------------------------------------------------------------------------------------------


def to_json(report: EvalReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def to_csv(report: EvalReport) -> str:
    """One row per document; with two systems every column but id/length is prefixed ``name:``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    prefix = len(report.systems) > 1
    header = ["id", "length"]
    columns = []
    for system in report.systems:
        score_keys, diag_keys = document_columns(system)
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
        lines.append(f"| {key} | {num(score.value)} | {ci_text(score)} | `{score.signature}` |")
    return lines


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
                out += ["", f"Empty {task} predictions (scored as 0): {len(ids)} ({escape_inline(few_ids(ids))})"]
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
            ci = "–" if c.ci_low is None else f"[{num(c.ci_low)}, {num(c.ci_high)}]"
            out.append(
                f"| {c.metric}{note} | {num(c.value_a)} | {num(c.value_b)} | {num(c.difference)} | {ci} | "
                f"{num(c.p_value)} |"
            )
    if report.sentence_signatures:
        out += [
            "",
            "Per-document (sentence-level) signatures: "
            + "; ".join(f"{k} `{v}`" for k, v in report.sentence_signatures.items()),
        ]
    return "\n".join(out) + "\n"


def write_reports(
    report: EvalReport, out_dir: str | Path, formats: Sequence[str] = REPORT_FORMATS
) -> list[Path]:
    """Write the requested formats as ``report.<ext>`` into ``out_dir`` (created if needed)."""
    writers = {"json": to_json, "csv": to_csv, "md": to_markdown, "html": to_html}
    return write_formats(out_dir, "report", {fmt: lambda w=w: w(report) for fmt, w in writers.items()}, formats)


def write_formats(out_dir: str | Path, stem: str, writers: dict[str, Callable[[], str]],
                  formats: Sequence[str]) -> list[Path]:
    """``<stem>.<format>`` for each of ``formats`` into ``out_dir`` (created if needed), from ``writers``."""
    unknown = [f for f in formats if f not in writers]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(writers)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        path.write_text(writers[fmt](), encoding="utf-8")
        written.append(path)
    return written
